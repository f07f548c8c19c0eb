using Playground.Engine.Spec;

namespace Playground.Engine.Rootfs;

/// <summary>
/// A directory seen as "/" (the host itself when it is "/"): paths inside it, symlinks followed
/// with chroot semantics (<see cref="RootfsPaths.ResolveInside"/>), so nothing found ever lies
/// outside it. Paths inside the root start with '/'; host paths are what the host opens.
/// </summary>
internal sealed class RootView
{
    public string Root { get; }
    public bool IsHost => Root == "/";

    public RootView(string root)
    {
        var full = Path.GetFullPath(root);
        Root = full == "/" ? "/" : Path.TrimEndingDirectorySeparator(full);
    }

    /// <summary>The host path of <paramref name="inRoot"/>, symlinks not followed (what a person would type).</summary>
    public string Host(string inRoot) => IsHost ? inRoot : Root + inRoot;

    /// <summary>The path inside the root of a host path under it.</summary>
    public string InRoot(string host) =>
        IsHost ? host : host.Length == Root.Length ? "/" : host[Root.Length..];

    /// <summary>The host path <paramref name="inRoot"/> leads to, every symlink followed inside the root; null on a loop (ELOOP).</summary>
    public string? Resolve(string inRoot)
    {
        try
        {
            var host = RootfsPaths.ResolveInside(Root, inRoot);
            return IsHost && host.StartsWith("//", StringComparison.Ordinal) ? host[1..] : host;
        }
        catch (IOException) { return null; }
    }

    /// <summary>Whether <paramref name="inRoot"/> leads to a regular file inside the root.</summary>
    public bool FileExists(string inRoot) => Resolve(inRoot) is { } host && File.Exists(host);

    /// <summary>
    /// <paramref name="path"/> as an absolute path inside the root, with repeated and trailing
    /// slashes dropped. "." and ".." stay: glibc opens the names it builds as they are, and the
    /// kernel takes ".." after following the symlink before it (so does <see cref="Resolve"/>).
    /// </summary>
    public static string Normalize(string path) =>
        "/" + string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));
}
