using System.Runtime.InteropServices;

namespace Playground.Engine.Interop;

// Engine-only: process fds and epoll, for watching many sandboxes' exits from one thread.
internal static unsafe partial class Pidfd
{
    const string C = "libc";
    const int SYS_pidfd_send_signal = 424, SYS_pidfd_open = 434;

    [LibraryImport(C, SetLastError = true)] private static partial nint syscall(nint number, nint a1, nint a2, nint a3, nint a4);

    /// <summary>An fd for the process that is readable once it has exited, or -1 (errno).</summary>
    public static int Open(int pid) => (int)syscall(SYS_pidfd_open, pid, 0, 0, 0);

    /// <summary>kill(2) that cannot hit a recycled pid: the fd names one process for its whole life.</summary>
    public static int SendSignal(int pidfd, int signal) => (int)syscall(SYS_pidfd_send_signal, pidfd, signal, 0, 0);

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent { public uint Events; public ulong Data; }
    public const uint EPOLLIN = 1;
    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CLOEXEC = 0x80000;

    [LibraryImport(C, SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport(C, SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);
    [LibraryImport(C, SetLastError = true)] public static partial int epoll_wait(int epfd, EpollEvent* events, int max, int timeoutMs);
}
