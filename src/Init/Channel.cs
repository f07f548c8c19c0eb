using Playground.Engine.Interop;
using Playground.Engine.Launch.Protocol;

namespace Playground.Init;

/// <summary>
/// Init's end of the launch channel: a SOCK_SEQPACKET socket the engine hands us as fd 3
/// (one message per datagram; fds ride along with SCM_RIGHTS). Close-on-exec, so the
/// engine reads end-of-file when execve succeeds.
/// </summary>
internal sealed unsafe class Channel : IReporter
{
    public const int Fd = 3;
    /// <summary>The engine's pty master, when it made one (no devpts in the sandbox).</summary>
    public const int EngineTerminalFd = 4;

    public Channel()
    {
        Libc.fcntl(Fd, Libc.F_SETFD, Libc.FD_CLOEXEC);
        Libc.fcntl(EngineTerminalFd, Libc.F_SETFD, Libc.FD_CLOEXEC);
    }

    public LaunchPlan ReadPlan()
    {
        var r = Receive();
        if (r.Type != MessageType.Plan) throw new InvalidOperationException($"expected a plan, got {r.Type}");
        return r.Plan();
    }

    public void HelloAndWait()
    {
        Send(new WireWriter(MessageType.Hello).ToArray());
        var r = Receive();
        if (r.Type != MessageType.Go) throw new InvalidOperationException($"expected go, got {r.Type}");
    }

    public void Step(StepReport report) => Send(WireWriter.Encode(report));
    public void Exec(string path) => Send(new WireWriter(MessageType.Exec).Str(path).ToArray());
    public void Started() => Send(new WireWriter(MessageType.Started).ToArray());
    public void Exited(int waitStatus) => Send(new WireWriter(MessageType.Exited).I32(waitStatus).ToArray());

    public void SendTerminal(int masterFd)
    {
        var payload = new WireWriter(MessageType.Terminal).ToArray();
        // struct cmsghdr { size_t len; int level; int type; } followed by the fd: CMSG_SPACE(4) = 24.
        var control = stackalloc byte[24];
        *(ulong*)control = 20;
        *(int*)(control + 8) = Libc.SOL_SOCKET;
        *(int*)(control + 12) = Libc.SCM_RIGHTS;
        *(int*)(control + 16) = masterFd;
        fixed (byte* p = payload)
        {
            var iov = new Libc.IoVec { Base = p, Len = payload.Length };
            var msg = new Libc.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 24 };
            if (Libc.sendmsg(Fd, &msg, 0) < 0) throw new StepFailure("sendmsg", Libc.Errno, "terminal to the engine");
        }
    }

    void Send(byte[] message)
    {
        fixed (byte* p = message)
            if (Libc.write(Fd, p, message.Length) < 0) throw new StepFailure("write", Libc.Errno, "launch channel");
    }

    // Large enough for any plan (a seqpacket datagram is at most the socket's send buffer).
    readonly byte[] _buffer = new byte[256 * 1024];

    WireReader Receive()
    {
        var buf = _buffer;
        nint n;
        fixed (byte* p = buf)
            do n = Libc.read(Fd, p, buf.Length); while (n < 0 && Libc.Errno == Errno.EINTR);
        if (n <= 0) throw new InvalidOperationException("the engine closed the launch channel");
        return new WireReader(buf, (int)n);
    }
}
