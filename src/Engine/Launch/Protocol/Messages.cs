namespace Playground.Engine.Launch.Protocol;

/// <summary>Message types on the launch channel (a SOCK_SEQPACKET pair: one message per datagram).</summary>
public enum MessageType : byte
{
    /// <summary>engine → init: the <see cref="LaunchPlan"/>, once ids are mapped and init is in its cgroup; the channel to use from then on rides along.</summary>
    Plan = 1,
    /// <summary>init → engine: I exist; map my ids and place me in the cgroup.</summary>
    Hello = 2,
    /// <summary>init → engine: one step of the launch story.</summary>
    Step = 4,
    /// <summary>init → engine: execve is next; end of stream after this means it succeeded.</summary>
    Exec = 5,
    /// <summary>init → engine (PID 1 only): the command was started.</summary>
    Started = 6,
    /// <summary>init → engine (PID 1 only): the command ended; code or signal.</summary>
    Exited = 7,
    /// <summary>init → engine: a terminal made inside the sandbox; the master fd rides along (SCM_RIGHTS).</summary>
    Terminal = 8,
    /// <summary>init → engine: the seccomp filter's listener (SCM_RIGHTS), sent right after loading it.</summary>
    SeccompListener = 9,
}

/// <summary>The fds init is started with, beyond stdio (the engine's spawn puts them there).</summary>
public static class InheritedFds
{
    /// <summary>The launch channel.</summary>
    public const int Channel = 3;
    /// <summary>The engine's pty master, when it made the terminal (no devpts in the sandbox).</summary>
    public const int EngineTerminal = 4;
    /// <summary>Exec into a sandbox with its own mount namespace: that namespace (nsfs), for setns.</summary>
    public const int MountNamespace = 5;
    /// <summary>Exec: init's own executable, which nsenter runs as /proc/self/fd/6.</summary>
    public const int Init = 6;
}

public sealed record StepReport(string Step, string Syscall, int Errno, string Detail)
{
    public bool Ok => Errno == 0 && Syscall.Length == 0;
}
