namespace Playground.Engine.Spec;

/// <summary>Paths inside a root filesystem, resolved the way the kernel will see them after the root switch.</summary>
public static class RootfsPaths
{
    /// <summary>Linux gives up after 40 symlinks (MAXSYMLINKS in fs/namei.c) with ELOOP; so do we.</summary>
    public const int MaxSymlinks = 40;

    /// <summary>
    /// The host path under <paramref name="rootfs"/> that <paramref name="path"/> names inside the sandbox.
    /// Symlinks are followed with chroot semantics: an absolute target starts again at the rootfs, and
    /// <c>..</c> stops at the rootfs's root, so the result never leaves the rootfs (a rootfs with
    /// <c>/data -> /etc</c> must not make us mount over the host's /etc). Components that do not
    /// exist yet are kept as they are: init creates mount points. Throws <see cref="IOException"/>
    /// on a symlink loop.
    /// </summary>
    public static string ResolveInside(string rootfs, string path)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootfs));
        var resolved = new List<string>();
        // Components still to walk, front first; a symlink's target is pushed in front of the rest.
        var pending = new LinkedList<string>(Split(path));
        int links = 0;
        while (pending.First is { } node)
        {
            var part = node.Value;
            pending.RemoveFirst();
            if (part == ".") continue;
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }

            var host = Join(root, resolved.Append(part));
            var target = ReadLink(host);
            if (target is null) { resolved.Add(part); continue; }

            if (++links > MaxSymlinks)
                throw new IOException($"{path}: too many levels of symbolic links (ELOOP, more than {MaxSymlinks})");
            if (target.StartsWith('/')) resolved.Clear();
            var parts = Split(target);
            for (int i = parts.Count - 1; i >= 0; i--) pending.AddFirst(parts[i]);
        }
        return Join(root, resolved);
    }

    static List<string> Split(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();

    static string Join(string root, IEnumerable<string> parts)
    {
        var rel = string.Join('/', parts);
        return rel.Length == 0 ? root : root + "/" + rel;
    }

    /// <summary>The target of a symlink, or null when the path is not a symlink (or does not exist).</summary>
    static string? ReadLink(string hostPath)
    {
        // A missing path or a path through a regular file (ENOTDIR) is simply not a link:
        // the mount step reports those, with the syscall and errno.
        try { return new FileInfo(hostPath).LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
