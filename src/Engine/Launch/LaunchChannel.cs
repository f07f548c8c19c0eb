using Microsoft.Win32.SafeHandles;
using Playground.Engine.Interop;
using Playground.Engine.Launch.Protocol;

namespace Playground.Engine.Launch;

/// <summary>
/// The engine's end of the launch channel: a close-on-exec SOCK_SEQPACKET pair whose other
/// end is init's fd 3. One message per datagram; init's terminal master arrives as SCM_RIGHTS.
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

    public void Send(byte[] message)
    {
        fixed (byte* p = message)
            if (Libc.write(Fd, p, message.Length) < 0)
                throw new SandboxException("launch channel", "write", Libc.Errno, "init went away before reading its plan");
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
        var buf = _buffer;
        var control = stackalloc byte[64];
        nint n;
        fixed (byte* p = buf)
        {
            var iov = new Libc.IoVec { Base = p, Len = buf.Length };
            var msg = new Libc.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 64 };
            do n = Libc.recvmsg(Fd, &msg, Libc.MSG_CMSG_CLOEXEC); while (n < 0 && Libc.Errno == Errno.EINTR);
            // ECONNRESET: init ended with our message unread; for us that is its end of stream.
            if (n < 0 && Libc.Errno == 104) n = 0;
            if (n < 0) throw new SandboxException("launch channel", "recvmsg", Libc.Errno, "");
            if (msg.ControlLen >= 20 && *(int*)(control + 8) == Libc.SOL_SOCKET && *(int*)(control + 12) == Libc.SCM_RIGHTS)
                fd = *(int*)(control + 16);
        }
        return n == 0 ? null : new WireReader(buf, (int)n);
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
