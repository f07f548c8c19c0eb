using Microsoft.Win32.SafeHandles;
using Playground.Engine.Interop;
using Playground.Engine.Launch.Protocol;

namespace Playground.Engine.Launch;

/// <summary>
/// The engine's end of the launch channel: a close-on-exec SOCK_SEQPACKET pair whose other
/// end reaches init as fd 3. One message per datagram; fds ride along as SCM_RIGHTS.
/// </summary>
internal sealed unsafe class LaunchChannel : IDisposable
{
    public SafeFileHandle Ours { get; }
    public SafeFileHandle Theirs { get; }

    // One buffer per channel: a launch reads dozens of messages, each consumed before the next.
    readonly byte[] _buffer = new byte[64 * 1024];

    public LaunchChannel()
    {
        var sv = stackalloc int[2];
        if (Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0, sv) < 0)
            throw new SandboxException("launch channel", "socketpair", Libc.Errno, "");
        Ours = new SafeFileHandle(sv[0], true);
        Theirs = new SafeFileHandle(sv[1], true);
    }

    /// <summary>After the spawn the child holds its copy; drop ours so its end-of-file reaches us.</summary>
    public void CloseTheirs() => Theirs.Dispose();

    /// <summary>
    /// Sends the plan with the channel init will really use (<paramref name="next"/>'s other
    /// end): the spawned end reaches nsenter or unshare too, which keep it open while they
    /// wait, so only a socket that init alone holds tells us by end-of-file that execve ran.
    /// </summary>
    public void SendPlan(byte[] plan, LaunchChannel next)
    {
        if (Libc.SendWithFd(Fd, plan, (int)next.Theirs.DangerousGetHandle()) < 0)
            throw new SandboxException("launch channel", "sendmsg", Libc.Errno, "init went away before reading its plan");
        next.CloseTheirs();
    }

    int Fd => (int)Ours.DangerousGetHandle();

    /// <summary>A message (valid until the next receive), or null at end of stream. <paramref name="fd"/> is a passed fd, or -1.</summary>
    public WireReader? Receive(int timeoutMs, out int fd)
    {
        fd = -1;
        var pfd = new Libc.PollFd { Fd = Fd, Events = Libc.POLLIN };
        int ready;
        do ready = Libc.poll(&pfd, 1, timeoutMs); while (ready < 0 && Libc.Errno == Errno.EINTR);
        if (ready == 0) throw new SandboxException("launch", "poll", Errno.EAGAIN, $"no word from init in {timeoutMs} ms");
        var n = Libc.ReceiveWithFd(Fd, _buffer, out fd);
        // ECONNRESET: init ended with our message unread; for us that is its end of stream.
        if (n < 0 && Libc.Errno == 104) n = 0;
        if (n < 0) throw new SandboxException("launch channel", "recvmsg", Libc.Errno, "");
        return n == 0 ? null : new WireReader(_buffer, (int)n);
    }

    /// <summary>Messages already waiting (used after the process ended, to find its exit report).</summary>
    public WireReader? TryReceive()
    {
        var pfd = new Libc.PollFd { Fd = Fd, Events = Libc.POLLIN };
        if (Ours.IsClosed || Libc.poll(&pfd, 1, 0) <= 0) return null;
        var r = Receive(0, out var fd);
        if (fd >= 0) Libc.close(fd);
        return r;
    }

    public void Dispose() { Ours.Dispose(); Theirs.Dispose(); }
}
