using System.Collections.Concurrent;
using Playground.Engine.Interop;
using Playground.Engine.Xray;

namespace Playground.Engine.Seccomp;

/// <summary>
/// Answers the calls that sandboxes' filters refer to their listener (SECCOMP_RET_USER_NOTIF):
/// one thread polls every listener; for each call it runs the original filter on the call's
/// data, answers with that errno, and adds the refusal to the sandbox's <see cref="RefusalFeed"/>.
/// The process waits in the call meanwhile, so it is alive and its pid is its own (no race with
/// its exit), and the listener is the sandbox's, so the event needs no guessing whose it is.
/// A listener goes when the kernel says no process uses its filter any more (POLLHUP).
/// A sandbox that refuses calls in a tight loop is served at most <see cref="PerSecond"/> a
/// second, all its processes together: past that its listeners are set aside until the next
/// window, so its processes wait, and the other sandboxes' are answered as usual.
/// </summary>
public sealed unsafe class SeccompSupervisor
{
    public static SeccompSupervisor Shared { get; } = new();

    /// <summary>Answers per sandbox per second, at most (in windows of <see cref="WindowMs"/>).</summary>
    public const int PerSecond = 5000;
    const int WindowMs = 50, PerWindow = PerSecond * WindowMs / 1000;

    // struct seccomp_notif { u64 id; u32 pid; u32 flags; struct seccomp_data data; } and
    // struct seccomp_notif_resp { u64 id; s64 val; s32 error; u32 flags; }: _IOWR('!', 0 and 1, …).
    const int NotifSize = 16 + SeccompProgram.DataSize, ResponseSize = 24;
    const nuint NotifRecv = 0xc0502100, NotifSend = 0xc0182101;
    const uint FlagContinue = 1; // SECCOMP_USER_NOTIF_FLAG_CONTINUE
    const short PollHup = 0x10, PollErr = 0x8, PollNval = 0x20;

    sealed record Listener(int Fd, RefusalFeed Feed);

    readonly ConcurrentQueue<Listener> _arriving = new();
    readonly List<Listener> _listeners = [];
    readonly int _wake;
    long _answered;

    SeccompSupervisor()
    {
        _wake = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wake < 0) throw new SandboxException("seccomp listener", "eventfd", Libc.Errno, "");
        new Thread(Loop) { IsBackground = true, Name = "seccomp supervisor" }.Start();
    }

    /// <summary>Calls answered since the server started (all sandboxes).</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Listeners being served now.</summary>
    public int Count { get; private set; }

    /// <summary>Takes <paramref name="listenerFd"/> (closed when its processes are gone) and serves it from now on.</summary>
    public void Watch(int listenerFd, RefusalFeed feed)
    {
        _arriving.Enqueue(new Listener(listenerFd, feed));
        ulong one = 1;
        Libc.write(_wake, (byte*)&one, 8);
    }

    void Loop()
    {
        var polls = new List<Libc.PollFd>();
        var served = new List<Listener>();
        var notif = stackalloc byte[NotifSize];
        var response = stackalloc byte[ResponseSize];
        while (true)
        {
            while (_arriving.TryDequeue(out var l)) _listeners.Add(l);
            Count = _listeners.Count;
            var now = Environment.TickCount64;
            polls.Clear();
            served.Clear();
            polls.Add(new Libc.PollFd { Fd = _wake, Events = Libc.POLLIN });
            var resting = false;
            foreach (var l in _listeners)
            {
                var feed = l.Feed;
                if (now - feed.WindowStart >= WindowMs) (feed.WindowStart, feed.InWindow) = (now, 0);
                if (feed.InWindow >= PerWindow) { resting = true; continue; }
                polls.Add(new Libc.PollFd { Fd = l.Fd, Events = Libc.POLLIN });
                served.Add(l);
            }
            var array = polls.ToArray();
            int ready;
            fixed (Libc.PollFd* p = array) ready = Libc.poll(p, (nuint)array.Length, resting ? WindowMs : -1);
            if (ready <= 0) continue; // time-out (a window ended) or EINTR
            if (array[0].REvents != 0)
            {
                ulong count;
                Libc.read(_wake, (byte*)&count, 8);
            }
            for (var i = 1; i < array.Length; i++)
            {
                var l = served[i - 1];
                var events = array[i].REvents;
                if ((events & Libc.POLLIN) != 0) Answer(l, notif, response);
                else if ((events & (PollHup | PollErr | PollNval)) != 0)
                {
                    _listeners.Remove(l);
                    Libc.close(l.Fd);
                }
            }
        }
    }

    void Answer(Listener l, byte* notif, byte* response)
    {
        // The kernel wants the buffer zeroed (EINVAL otherwise).
        new Span<byte>(notif, NotifSize).Clear();
        if (Libc.ioctl(l.Fd, NotifRecv, notif) < 0) return; // ENOENT: the call was interrupted by a signal, or its process killed
        l.Feed.InWindow++;
        var id = *(ulong*)notif;
        var pid = *(int*)(notif + 8);
        var data = new ReadOnlySpan<byte>(notif + 16, SeccompProgram.DataSize);
        // The notifying filter asks only where the original answers with an errno; should it ever
        // disagree, the original's word holds: an allow goes on, anything else is ENOSYS.
        int errno;
        try
        {
            var answer = l.Feed.Program.Evaluate(data);
            errno = (answer & SeccompProgram.ActionMask) == SeccompProgram.RetErrno ? (int)(answer & SeccompProgram.DataMask)
                : answer == SeccompProgram.RetAllow ? 0 : Errno.ENOSYS;
        }
        catch (InvalidOperationException) { errno = Errno.ENOSYS; } // a program the interpreter cannot run: never leave the call waiting
        // In the feed before the answer: once the call has returned, its refusal is there to see.
        if (errno != 0)
        {
            var number = *(int*)(notif + 16);
            l.Feed.Add(new SeccompEvent(DateTime.UtcNow, pid, Comm(pid), number, Syscalls.Name(number) ?? $"syscall {number}", errno));
        }
        new Span<byte>(response, ResponseSize).Clear();
        *(ulong*)response = id;
        *(int*)(response + 16) = -errno;
        *(uint*)(response + 20) = errno == 0 ? FlagContinue : 0;
        Libc.ioctl(l.Fd, NotifSend, response); // ENOENT: the process went meanwhile
        Interlocked.Increment(ref _answered);
    }

    static string Comm(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n'); }
        catch (IOException) { return "?"; }
    }
}
