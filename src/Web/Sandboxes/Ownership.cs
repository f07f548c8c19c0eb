using System.Runtime.InteropServices;

namespace Playground.Web.Sandboxes;

internal static unsafe partial class Ownership
{
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint uid, uint gid);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint realpath(string path, nint resolved);

    /// <summary>realpath(3): every symlink resolved; null if the path does not exist.</summary>
    public static string? RealPath(string path)
    {
        var p = realpath(path, 0);
        if (p == 0) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { Marshal.FreeHGlobal(p); }
    }

    /// <summary>chown -h of one path.</summary>
    public static void Chown(string path, uint uid, uint gid)
    {
        if (lchown(path, uid, gid) < 0) throw new IOException($"lchown {path}: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>
    /// A tree made with host ids (a debootstrap as root) moved into a person's range: id N
    /// becomes <paramref name="offset"/> + N (ids beyond the range become its nobody, 65534).
    /// Only for trees no sandbox can reach (the paths are walked by name).
    /// </summary>
    public static void ShiftIds(string root, uint offset, uint count) => Walk(root, path =>
    {
        var (uid, gid) = Stat(path);
        uint Map(uint id) => offset + (id < count ? id : 65534);
        Chown(path, Map(uid), Map(gid));
    });

    /// <summary>chown -hR: every entry of the tree, symlinks themselves (never their targets). Only for trees no sandbox can reach.</summary>
    public static void ChownTree(string root, uint uid, uint gid) => Walk(root, path => Chown(path, uid, gid));

    /// <summary>The root and every entry below it (directory links are not entered).</summary>
    static void Walk(string root, Action<string> each)
    {
        each(root);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions
                 { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }))
            each(entry.FullName);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buf);

    /// <summary>lstat's owner: statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW); uid and gid sit at bytes 20 and 24 of struct statx.</summary>
    static unsafe (uint Uid, uint Gid) Stat(string path)
    {
        const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100;
        const uint StatxUid = 0x8, StatxGid = 0x10;
        var buf = stackalloc byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxUid | StatxGid, buf) < 0)
            throw new IOException($"statx {path}: errno {Marshal.GetLastPInvokeError()}");
        return (*(uint*)(buf + 20), *(uint*)(buf + 24));
    }
}
