using System.Runtime.InteropServices;
using Playground.Engine.Interop;

namespace Playground.Engine.Rootfs;

/// <summary>
/// Ownership of a whole tree, symlinks themselves never their targets (chown -hR). It walks by
/// name: only for trees no sandbox can change meanwhile (one being built, not yet handed over).
/// </summary>
public static class TreeOwner
{
    const int AtFdCwd = -100;

    /// <summary>chown -h of one path.</summary>
    public static void Chown(string path, uint uid, uint gid)
    {
        if (FileAt.fchownat(AtFdCwd, path, (int)uid, (int)gid, FileAt.AT_SYMLINK_NOFOLLOW) < 0)
            throw new IOException($"chown {path}: {Errno.Describe(Marshal.GetLastPInvokeError())}");
    }

    /// <summary>chown -hR: the root and every entry below it.</summary>
    public static void ChownTree(string root, uint uid, uint gid) => Walk(root, path => Chown(path, uid, gid));

    /// <summary>
    /// A tree made with host ids (a debootstrap as root) moved into a range: id N becomes
    /// <paramref name="offset"/> + N (ids beyond <paramref name="count"/> become its nobody, 65534).
    /// </summary>
    public static unsafe void ShiftIds(string root, uint offset, uint count) => Walk(root, path =>
    {
        FileAt.Statx st;
        if (FileAt.statx(AtFdCwd, path, FileAt.AT_SYMLINK_NOFOLLOW, FileAt.STATX_BASIC_STATS, &st) < 0)
            throw new IOException($"statx {path}: {Errno.Describe(Marshal.GetLastPInvokeError())}");
        uint Map(uint id) => offset + (id < count ? id : 65534);
        Chown(path, Map(st.Uid), Map(st.Gid));
    });

    /// <summary>The root and every entry below it (directory links are not entered).</summary>
    static void Walk(string root, Action<string> each)
    {
        each(root);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions
                 { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }))
            each(entry.FullName);
    }
}
