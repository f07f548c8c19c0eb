using System.Runtime.InteropServices;
using System.Text;

namespace Playground.Engine.Interop;

// openat2(2) (linux/openat2.h), Linux 5.6+. glibc 2.36 has no wrapper, so it goes through syscall(2);
// 437 is the same number on every architecture (asm-generic table).
internal static unsafe partial class Openat2
{
    const string C = "libc";
    const int SYS_openat2 = 437;

    // struct open_how: the kernel checks that unused fields are zero and that size matches a known version.
    [StructLayout(LayoutKind.Sequential)]
    struct OpenHow { public ulong Flags, Mode, Resolve; }

    /// <summary>Never cross a mount point.</summary>
    public const ulong RESOLVE_NO_XDEV = 0x01;
    /// <summary>No /proc/PID/fd-style "magic" links.</summary>
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    /// <summary>No symlink anywhere in the path, the last component included (ELOOP).</summary>
    public const ulong RESOLVE_NO_SYMLINKS = 0x04;
    /// <summary>Resolve as if dirfd were "/" (chroot semantics): absolute links and ".." never climb above it.</summary>
    public const ulong RESOLVE_IN_ROOT = 0x10;
    /// <summary>Every step of the walk stays beneath dirfd: ".." at the top, absolute paths and links out fail (EXDEV).</summary>
    public const ulong RESOLVE_BENEATH = 0x08;

    [LibraryImport(C, SetLastError = true)]
    private static partial nint syscall(nint number, int dirfd, byte* path, OpenHow* how, nint size);

    /// <summary>An fd for <paramref name="path"/> resolved from <paramref name="dirfd"/> under <paramref name="resolve"/>, or -1 (errno).</summary>
    public static int Open(int dirfd, string path, int flags, ulong resolve, int mode = 0)
    {
        var how = new OpenHow { Flags = (ulong)(uint)flags, Mode = (ulong)mode, Resolve = resolve };
        var max = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        var buf = max <= 1024 ? stackalloc byte[max] : new byte[max];
        var n = Encoding.UTF8.GetBytes(path, buf);
        buf[n] = 0;
        fixed (byte* p = buf) return (int)syscall(SYS_openat2, dirfd, p, &how, sizeof(OpenHow));
    }
}
