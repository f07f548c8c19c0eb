using Playground.Engine.Interop;
using Playground.Engine.Launch.Protocol;

namespace Playground.Init;

/// <summary>
/// Init's end of the launch channel: a SOCK_SEQPACKET socket (one message per datagram; fds
/// ride along with SCM_RIGHTS). The plan arrives on fd 3 with the socket to use from then
/// on, which is close-on-exec, so the engine reads end-of-file when execve succeeds.
/// </summary>
internal sealed unsafe class Channel : IReporter
{
    // The socket the plan came with (only we hold it; see the engine's LaunchChannel.SendPlan).
    int _fd = InheritedFds.Channel;

    public Channel()
    {
        // Nothing the engine passed may reach the command.
        for (var fd = InheritedFds.Channel; fd <= InheritedFds.Init; fd++)
            Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);
    }

    public LaunchPlan ReadPlan()
    {
        var r = Receive(out var channel);
        if (r.Type != MessageType.Plan || channel < 0) throw new InvalidOperationException($"expected a plan and its channel, got {r.Type}");
        Libc.close(_fd);
        _fd = channel;
        return r.Plan();
    }

    /// <summary>I exist: the engine maps our ids and moves us into the cgroup, then sends the plan
    /// (at once, or later when we are kept pre-started for a launch to come).</summary>
    public void Hello() => Send(new WireWriter(MessageType.Hello).ToArray());

    public void Step(StepReport report) => Send(WireWriter.Encode(report));
    public void Exec(string path) => Send(new WireWriter(MessageType.Exec).Str(path).ToArray());
    public void Started() => Send(new WireWriter(MessageType.Started).ToArray());
    public void Exited(int waitStatus) => Send(new WireWriter(MessageType.Exited).I32(waitStatus).ToArray());

    public void SeccompListener(int listenerFd)
    {
        var sent = Libc.SendWithFd(_fd, new WireWriter(MessageType.SeccompListener).ToArray(), listenerFd);
        var errno = Libc.Errno;
        Libc.close(listenerFd); // the engine's copy is the one that answers
        if (sent < 0) throw new StepFailure("sendmsg", errno, "seccomp listener to the engine");
    }

    public void SendTerminal(int masterFd)
    {
        if (Libc.SendWithFd(_fd, new WireWriter(MessageType.Terminal).ToArray(), masterFd) < 0)
            throw new StepFailure("sendmsg", Libc.Errno, "terminal to the engine");
    }

    void Send(byte[] message)
    {
        fixed (byte* p = message)
            if (Libc.write(_fd, p, message.Length) < 0) throw new StepFailure("write", Libc.Errno, "launch channel");
    }

    // Large enough for any plan (a seqpacket datagram is at most the socket's send buffer).
    readonly byte[] _buffer = new byte[256 * 1024];

    WireReader Receive(out int passedFd)
    {
        var n = Libc.ReceiveWithFd(_fd, _buffer, out passedFd);
        if (n <= 0) throw new InvalidOperationException("the engine closed the launch channel");
        return new WireReader(_buffer, (int)n);
    }
}
