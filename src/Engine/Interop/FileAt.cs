using System.Runtime.InteropServices;

namespace Playground.Engine.Interop;

// The *at(2) calls (fcntl.h, sys/stat.h, unistd.h): each names its file by a directory fd and one
// path, so a caller that resolved the directory safely (openat2) never walks the path again.
// Raw imports: -1 and errno in Marshal.GetLastPInvokeError(); callers turn that into an exception.
internal static unsafe partial class FileAt
{
    const string C = "libc";

    public const int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    public const int O_EXCL = 0x80;
    public const int S_IFMT = 0xF000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFDIR = 0x4000, S_IFBLK = 0x6000,
        S_IFREG = 0x8000, S_IFLNK = 0xA000;
    /// <summary>utimensat(2): leave this time as it is.</summary>
    public const long UTIME_OMIT = (1L << 30) - 2;

    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int openat(int dirfd, string path, int flags, int mode);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdirat(int dirfd, string path, int mode);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int symlinkat(string target, int newdirfd, string linkpath);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int linkat(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mknodat(int dirfd, string path, int mode, ulong dev);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlinkat(int dirfd, string path, int flags);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fchownat(int dirfd, string path, int uid, int gid, int flags);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int utimensat(int dirfd, string path, Timespec* times, int flags);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirfd, string path, int flags, uint mask, Statx* buf);

    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fchmodat(int dirfd, string path, int mode, int flags);

    [LibraryImport(C, SetLastError = true)] public static partial int fchown(int fd, int uid, int gid);
    [LibraryImport(C, SetLastError = true)] public static partial int fchmod(int fd, int mode);
    [LibraryImport(C, SetLastError = true)] public static partial int futimens(int fd, Timespec* times);
    [LibraryImport(C)] public static partial int geteuid();

    // fchmodat2(2), Linux 6.6+: the first chmod-by-name that honours AT_SYMLINK_NOFOLLOW (glibc's
    // fchmodat emulates the flag through /proc). Same number on every architecture.
    const int SYS_fchmodat2 = 452;
    [LibraryImport(C, SetLastError = true)]
    private static partial nint syscall(nint number, int dirfd, byte* path, int mode, int flags);

    public static int fchmodat2(int dirfd, string path, int mode, int flags)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes) return (int)syscall(SYS_fchmodat2, dirfd, p, mode, flags);
    }

    /// <summary>dev_t from major and minor, as glibc's makedev(3).</summary>
    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec { public long Sec, Nsec; }

    public const uint STATX_BASIC_STATS = 0x7ff;

    // struct statx (linux/stat.h): the same layout on every architecture, unlike struct stat.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct Statx
    {
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;

        public readonly int Type => Mode & S_IFMT;
    }
}
