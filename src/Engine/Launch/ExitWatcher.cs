using System.Collections.Concurrent;
using Playground.Engine.Interop;

namespace Playground.Engine.Launch;

/// <summary>
/// Reaps the processes the engine spawned, for every sandbox, on one thread: each is watched
/// through a pidfd in one epoll set (readable once the process has exited), then waitpid'ed.
/// A thread per sandbox blocked in waitpid cost a thread start on every launch (up to ~2 ms
/// on a busy 2-core machine) and a thread per running sandbox.
/// </summary>
internal sealed unsafe class ExitWatcher
{
    public static ExitWatcher Shared { get; } = new();

    readonly int _epoll;
    readonly ConcurrentDictionary<int, (int Pid, Action<int> OnExit)> _watched = new();

    ExitWatcher()
    {
        _epoll = Pidfd.epoll_create1(Pidfd.EPOLL_CLOEXEC);
        if (_epoll < 0) throw new SandboxException("exit watcher", "epoll_create1", Libc.Errno, "");
        new Thread(Run) { IsBackground = true, Name = "sandbox reaper" }.Start();
    }

    /// <summary>
    /// Calls <paramref name="onExit"/> with the wait status once <paramref name="pid"/> (our
    /// child) has ended, on the watcher's thread: keep it short. <paramref name="pidfd"/> stays
    /// the caller's (for signals); the watcher uses its own duplicate.
    /// </summary>
    public void Watch(int pid, int pidfd, Action<int> onExit)
    {
        var fd = Libc.fcntl(pidfd, 1030 /*F_DUPFD_CLOEXEC*/, 3);
        if (fd < 0) throw new SandboxException("exit watcher", "fcntl", Libc.Errno, "");
        _watched[fd] = (pid, onExit);
        var ev = new Pidfd.EpollEvent { Events = Pidfd.EPOLLIN, Data = (ulong)fd };
        if (Pidfd.epoll_ctl(_epoll, Pidfd.EPOLL_CTL_ADD, fd, &ev) < 0)
        {
            var errno = Libc.Errno;
            _watched.TryRemove(fd, out _);
            Libc.close(fd);
            throw new SandboxException("exit watcher", "epoll_ctl", errno, "");
        }
    }

    void Run()
    {
        var events = stackalloc Pidfd.EpollEvent[16];
        while (true)
        {
            var n = Pidfd.epoll_wait(_epoll, events, 16, -1);
            for (var i = 0; i < n; i++)
            {
                var fd = (int)events[i].Data;
                if (!_watched.TryRemove(fd, out var w)) continue;
                Pidfd.epoll_ctl(_epoll, Pidfd.EPOLL_CTL_DEL, fd, null);
                Libc.close(fd);
                int status, rc;
                while ((rc = Libc.waitpid(w.Pid, &status, 0)) < 0 && Libc.Errno == Errno.EINTR) { }
                try { w.OnExit(rc < 0 ? 255 << 8 : status); }
                catch (Exception e) { Console.Error.WriteLine($"sandbox reaper: {e}"); }
            }
        }
    }
}
