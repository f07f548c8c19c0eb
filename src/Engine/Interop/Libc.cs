using System.Runtime.InteropServices;

namespace Playground.Engine.Interop;

// P/Invoke into glibc for the engine and for init (this file is linked into both).
// Raw calls return -1 and leave errno in Marshal.GetLastPInvokeError(); callers turn that
// into a story step or an exception at one boundary.
internal static unsafe partial class Libc
{
    const string C = "libc";

    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_NOCTTY = 0x100, O_NONBLOCK = 0x800,
        O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;

    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);
    [LibraryImport(C, SetLastError = true)] public static partial int close(int fd);
    [LibraryImport(C, SetLastError = true)] public static partial nint read(int fd, byte* buf, nint count);
    [LibraryImport(C, SetLastError = true)] public static partial nint write(int fd, byte* buf, nint count);
    [LibraryImport(C, SetLastError = true)] public static partial int dup2(int oldfd, int newfd);
    [LibraryImport(C, SetLastError = true)] public static partial int fcntl(int fd, int cmd, int arg);
    public const int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;
    [LibraryImport(C, SetLastError = true)] public static partial int ioctl(int fd, nuint request, void* arg);
    [LibraryImport(C, SetLastError = true)] public static partial int ioctl(int fd, nuint request, nint arg);
    public const nuint TIOCSWINSZ = 0x5414, TIOCGWINSZ = 0x5413, TIOCSCTTY = 0x540E, TIOCSPTLCK = 0x40045431,
        TIOCGPTN = 0x80045430, TIOCGPTPEER = 0x5441;
    [LibraryImport(C, SetLastError = true)] public static partial int isatty(int fd);

    [StructLayout(LayoutKind.Sequential)]
    public struct WinSize { public ushort Rows, Cols, XPixel, YPixel; }

    [LibraryImport(C, SetLastError = true)] public static partial int socketpair(int domain, int type, int protocol, int* sv);
    public const int AF_UNIX = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000, SOL_SOCKET = 1, SCM_RIGHTS = 1,
        MSG_DONTWAIT = 0x40, MSG_CMSG_CLOEXEC = 0x40000000;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec { public void* Base; public nint Len; }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name; public int NameLen; public IoVec* Iov; public nint IovLen;
        public void* Control; public nint ControlLen; public int Flags;
    }

    [LibraryImport(C, SetLastError = true)] public static partial nint sendmsg(int fd, MsgHdr* msg, int flags);
    [LibraryImport(C, SetLastError = true)] public static partial nint recvmsg(int fd, MsgHdr* msg, int flags);

    // struct cmsghdr { size_t len; int level; int type; } then one fd: CMSG_LEN(4) = 20, CMSG_SPACE(4) = 24.
    const int FdControlLen = 20, FdControlSpace = 24;

    /// <summary>One datagram on a unix socket, carrying <paramref name="passFd"/> along (SCM_RIGHTS). Returns sendmsg's result.</summary>
    public static nint SendWithFd(int socket, ReadOnlySpan<byte> payload, int passFd)
    {
        var control = stackalloc byte[FdControlSpace];
        *(ulong*)control = FdControlLen;
        *(int*)(control + 8) = SOL_SOCKET;
        *(int*)(control + 12) = SCM_RIGHTS;
        *(int*)(control + 16) = passFd;
        fixed (byte* p = payload)
        {
            var iov = new IoVec { Base = p, Len = payload.Length };
            var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = FdControlSpace };
            nint n;
            do n = sendmsg(socket, &msg, 0); while (n < 0 && Errno == Interop.Errno.EINTR);
            return n;
        }
    }

    /// <summary>One datagram into <paramref name="buffer"/>; <paramref name="passedFd"/> is an fd that came along (close-on-exec), or -1. Returns recvmsg's result.</summary>
    public static nint ReceiveWithFd(int socket, Span<byte> buffer, out int passedFd)
    {
        passedFd = -1;
        var control = stackalloc byte[64];
        fixed (byte* p = buffer)
        {
            var iov = new IoVec { Base = p, Len = buffer.Length };
            var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 64 };
            nint n;
            do n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && Errno == Interop.Errno.EINTR);
            if (n >= 0 && msg.ControlLen >= FdControlLen && *(int*)(control + 8) == SOL_SOCKET && *(int*)(control + 12) == SCM_RIGHTS)
                passedFd = *(int*)(control + 16);
            return n;
        }
    }

    [LibraryImport(C, SetLastError = true)] public static partial int kill(int pid, int sig);
    public const int SIGKILL = 9, SIGTERM = 15, SIGCHLD = 17, SIGHUP = 1;
    [LibraryImport(C, SetLastError = true)] public static partial int waitpid(int pid, int* status, int options);
    public const int WNOHANG = 1, __WALL = 0x40000000;
    [LibraryImport(C, SetLastError = true)] public static partial int getpid();
    [LibraryImport(C, SetLastError = true)] public static partial int setsid();

    // posix_spawn(3). The attribute and file-action objects are opaque glibc structs
    // (336 and 80 bytes on x86_64); we allocate them generously.
    public const int SpawnAttrSize = 512, FileActionsSize = 256;
    public const short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSIGDEF = 0x04,
        POSIX_SPAWN_SETSID = 0x80;
    [LibraryImport(C, SetLastError = true)] public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);
    [LibraryImport(C)] public static partial int posix_spawnattr_init(void* attr);
    [LibraryImport(C)] public static partial int posix_spawnattr_destroy(void* attr);
    [LibraryImport(C)] public static partial int posix_spawnattr_setflags(void* attr, short flags);
    [LibraryImport(C)] public static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);
    [LibraryImport(C)] public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);
    [LibraryImport(C)] public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);
    [LibraryImport(C)] public static partial int posix_spawn_file_actions_init(void* fa);
    [LibraryImport(C)] public static partial int posix_spawn_file_actions_destroy(void* fa);
    [LibraryImport(C)] public static partial int posix_spawn_file_actions_adddup2(void* fa, int fd, int newfd);
    [LibraryImport(C)] public static partial int posix_spawn_file_actions_addclose(void* fa, int fd);
    [LibraryImport(C)] public static partial int posix_spawn_file_actions_addtcsetpgrp_np(void* fa, int fd);
    [LibraryImport(C)] public static partial int sigemptyset(void* set);
    [LibraryImport(C)] public static partial int sigfillset(void* set);
    public const int SigSetSize = 128;

    [LibraryImport(C, SetLastError = true)] public static partial int pipe2(int* fds, int flags);
    [LibraryImport(C, SetLastError = true)] public static partial int posix_openpt(int flags);
    [LibraryImport(C, SetLastError = true)] public static partial int unlockpt(int fd);

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>
    /// Initialises spawn attributes and file actions for a child with an empty signal mask and
    /// default dispositions (ignored signals stay ignored across exec, and .NET ignores SIGPIPE),
    /// plus <paramref name="flags"/>. Destroy both after the spawn.
    /// </summary>
    public static void SpawnDefaults(void* attr, void* fileActions, short flags)
    {
        var none = stackalloc byte[SigSetSize];
        var all = stackalloc byte[SigSetSize];
        sigemptyset(none);
        sigfillset(all);
        posix_spawnattr_init(attr);
        posix_spawn_file_actions_init(fileActions);
        posix_spawnattr_setflags(attr, (short)(flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
        posix_spawnattr_setsigmask(attr, none);   // glibc copies the sets
        posix_spawnattr_setsigdefault(attr, all);
    }

    /// <summary>Null-terminated array of UTF-8 strings in unmanaged memory; free with <see cref="FreeStringArray"/>.</summary>
    public static byte** StringArray(IReadOnlyList<string> items)
    {
        var arr = (byte**)NativeMemory.Alloc((nuint)(items.Count + 1), (nuint)sizeof(byte*));
        for (var i = 0; i < items.Count; i++) arr[i] = (byte*)Marshal.StringToCoTaskMemUTF8(items[i]);
        arr[items.Count] = null;
        return arr;
    }

    public static void FreeStringArray(byte** arr)
    {
        for (var p = arr; *p != null; p++) Marshal.FreeCoTaskMem((nint)(*p));
        NativeMemory.Free(arr);
    }
}

internal static unsafe partial class Libc
{
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events; public short REvents; }
    public const short POLLIN = 1;
    [LibraryImport(C, SetLastError = true)] public static partial int poll(PollFd* fds, nuint n, int timeoutMs);
    [LibraryImport(C, SetLastError = true)] public static partial int eventfd(uint initial, int flags);
    public const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
}
