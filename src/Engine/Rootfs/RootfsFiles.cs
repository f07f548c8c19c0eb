namespace Playground.Engine.Rootfs;

/// <summary>
/// Copies host files into a rootfs at the same paths, so that the names the dynamic linker opens
/// (<c>/lib64/ld-linux-x86-64.so.2</c>, <c>/lib/x86_64-linux-gnu/libtinfo.so.6</c>) lead to them
/// inside the root as they do on the host: every symlink met on the way is made again with the
/// same target (<c>/lib64 → usr/lib64</c>, <c>libtinfo.so.6 → libtinfo.so.6.4</c>), then what it
/// points to, down to the regular file, with its mode.
/// </summary>
public static class RootfsFiles
{
    const UnixFileMode Rwx755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>
    /// Copies each of <paramref name="hostPaths"/> into <paramref name="rootfs"/> (created if
    /// needed). What the rootfs already has on the way wins (its own /lib directory, its own
    /// symlinks), followed as the kernel would after a chroot; a regular file whose contents differ
    /// from the host's is replaced. Returns the symlinks and files written, as paths inside the
    /// rootfs (directories made on the way are not listed).
    /// </summary>
    /// <param name="owner">Who owns what is made in the rootfs; null: whoever runs this (e.g. a person's root id when the server copies for them).</param>
    public static IReadOnlyList<string> CopyInto(string rootfs, IEnumerable<string> hostPaths, (uint Uid, uint Gid)? owner = null) =>
        CopyInto(rootfs, hostPaths, "/", owner);

    /// <summary>As <see cref="CopyInto(string, IEnumerable{string})"/>, taking the files from <paramref name="sourceRoot"/> instead of "/".</summary>
    internal static IReadOnlyList<string> CopyInto(string rootfs, IEnumerable<string> paths, string sourceRoot, (uint Uid, uint Gid)? owner = null)
    {
        Directory.CreateDirectory(rootfs);
        var target = new RootView(rootfs);
        var source = new RootView(sourceRoot);
        var written = new List<string>();
        // Every write goes through the kernel's chroot-style resolution: a link the rootfs's owner
        // swaps in meanwhile cannot lead the copy out of the rootfs.
        using var writer = new RootWriter(rootfs, owner);
        foreach (var path in paths)
        {
            if (!path.StartsWith('/')) throw new ArgumentException($"{path}: not an absolute path", nameof(paths));
            Copy(target, writer, source, RootView.Normalize(path), written);
        }
        return written;
    }

    /// <summary>
    /// Walks <paramref name="path"/> one component at a time in the rootfs, as the kernel would
    /// after the root switch. A component the rootfs lacks is made like the source's entry at the
    /// same place: a symlink (then followed), a directory, or, at the end, the file the path
    /// means on the source. Where the rootfs's own links lead somewhere the source has nothing,
    /// plain directories are made, so the path still ends at the file inside the rootfs.
    /// </summary>
    static void Copy(RootView target, RootWriter writer, RootView source, string path, List<string> written)
    {
        var file = source.Resolve(path);
        if (file is null || !File.Exists(file))
            throw new FileNotFoundException($"{path}: no such file{(source.IsHost ? "" : $" in {source.Root}")}", path);

        var resolved = new List<string>();
        var pending = new LinkedList<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        int links = 0;
        while (pending.First is { } first)
        {
            var part = first.Value;
            pending.RemoveFirst();
            if (part == ".") continue;
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }

            var inRoot = "/" + string.Join('/', resolved.Append(part));
            bool last = pending.Count == 0;
            // Its parents are resolved: only this component can be a link.
            string? link = writer.LinkTarget(inRoot);
            if (link is null && !writer.Kind(inRoot).Exists)
            {
                var there = SourceEntry(source, resolved, part);
                link = there is null ? null : LinkTarget(there);
                if (link is not null)
                {
                    writer.MakeSymlink(inRoot, link);
                    written.Add(inRoot);
                }
                else if (!last)
                    writer.MakeDirectory(inRoot, there is not null && Directory.Exists(there) ? File.GetUnixFileMode(there) : Rwx755);
            }

            if (link is not null)
            {
                if (++links > Spec.RootfsPaths.MaxSymlinks)
                    throw new IOException($"{path}: too many levels of symbolic links in {target.Root} (ELOOP)");
                if (link.StartsWith('/')) resolved.Clear();
                var parts = link.Split('/', StringSplitOptions.RemoveEmptyEntries);
                for (int i = parts.Length - 1; i >= 0; i--) pending.AddFirst(parts[i]);
                continue;
            }
            resolved.Add(part);
            if (last && writer.CopyFile(file, inRoot)) written.Add(inRoot);
        }
    }

    /// <summary>The source's entry at the same place (its own symlinks before it followed), or null when it has none.</summary>
    static string? SourceEntry(RootView source, List<string> resolvedParent, string part)
    {
        var parent = source.Resolve("/" + string.Join('/', resolvedParent));
        if (parent is null) return null;
        var entry = parent.TrimEnd('/') + "/" + part;
        return Path.Exists(entry) || LinkTarget(entry) is not null ? entry : null;
    }

    static string? LinkTarget(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
