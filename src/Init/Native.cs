using System.Runtime.InteropServices;

namespace Playground.Init;

// Syscalls only init makes (the shared ones are in Engine/Interop/Libc.cs).
internal static unsafe partial class Native
{
    const string C = "libc";
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string? source, string target, string? fstype, nuint flags, string? data);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chroot(string path);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chdir(string path);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdir(string path, int mode);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int symlink(string target, string linkpath);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lstat(string path, byte* buf);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statvfs(string path, byte* buf);
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int access(string path, int mode);
    [LibraryImport(C, SetLastError = true)] public static partial int sethostname(byte* name, nint len);
    [LibraryImport(C, SetLastError = true)] public static partial int prlimit(int pid, int resource, ulong* newLimit, ulong* old);
    [LibraryImport(C, SetLastError = true)] public static partial int unshare(int flags);
    [LibraryImport(C, SetLastError = true)] public static partial int setns(int fd, int nstype);
    [LibraryImport(C, SetLastError = true)] public static partial int setgroups(nint size, uint* list);
    [LibraryImport(C, SetLastError = true)] public static partial int setresuid(uint r, uint e, uint s);
    [LibraryImport(C, SetLastError = true)] public static partial int setresgid(uint r, uint e, uint s);
    [LibraryImport(C, SetLastError = true)] public static partial int prctl(int option, nuint a2, nuint a3, nuint a4, nuint a5);
    [LibraryImport(C, SetLastError = true)] public static partial nint syscall(nint number, nint a1, nint a2, nint a3);
    [LibraryImport(C, SetLastError = true)] public static partial int execve(byte* path, byte** argv, byte** envp);
    [LibraryImport(C, SetLastError = true)] public static partial nint signal(int sig, nint handler);
    [LibraryImport(C, SetLastError = true)] public static partial int sigprocmask(int how, void* set, void* old);

    public const int SYS_capset = 126, SYS_pivot_root = 155, SYS_seccomp = 317, SYS_close_range = 436;
    public const int CLONE_NEWCGROUP = 0x02000000, CLONE_NEWNS = 0x00020000, CLONE_FS = 0x00000200;
    public const int PR_SET_KEEPCAPS = 8, PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38, PR_CAP_AMBIENT = 47,
        PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_CLEAR_ALL = 4;
    public const int S_IFMT = 0xF000, S_IFDIR = 0x4000;
}
