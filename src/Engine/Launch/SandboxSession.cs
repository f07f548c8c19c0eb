using Playground.Engine.Cgroups;
using Playground.Engine.Interop;
using Playground.Engine.Launch.Protocol;
using Playground.Engine.Spec;

namespace Playground.Engine.Launch;

/// <summary>
/// A running process in a sandbox: the first one (from <see cref="SandboxEngine.Launch"/>) or
/// another one joined to it (<see cref="Exec"/>). Its stdio is a PTY or pipes. Disposing the
/// first one kills every process of the sandbox and removes its cgroup.
/// </summary>
public sealed unsafe class SandboxSession : IDisposable
{
    readonly SandboxEngine _engine;
    readonly SandboxEngine.Started _started;
    readonly SandboxSession? _parent;
    // A process joined to a sandbox (exec): ending it ends only itself, never the sandbox.
    readonly bool _joined;
    readonly TaskCompletionSource<ExitStatus> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _disposed;

    internal SandboxSession(SandboxEngine engine, string id, SandboxSpec spec, LaunchPlan plan, SandboxCgroup cgroup,
        SandboxEngine.Started started, SandboxSession? parent, bool joined = false, Xray.RefusalFeed? refusals = null)
    {
        Refusals = refusals;
        _joined = joined || parent is not null;
        _engine = engine;
        _started = started;
        _parent = parent;
        Id = id;
        Spec = spec;
        Plan = plan;
        Cgroup = cgroup;
        (Input, Output, Error) = started.Init.Stdio.TakeStreams();
        ExitWatcher.Shared.Watch(started.Init.Pid, (int)started.Init.PidFd.DangerousGetHandle(), OnExit);
    }

    public string Id { get; }
    public SandboxSpec Spec { get; }
    internal LaunchPlan Plan { get; }
    internal SandboxCgroup Cgroup { get; }

    /// <summary>The name of its cgroup (as /proc/PID/cgroup shows it, under the hierarchy's parent).</summary>
    public string CgroupId => Cgroup.Id;

    /// <summary>What the kernel applied to it now, against <paramref name="outerPid"/>'s namespaces (its lab's reaper, or 1 for the server's).</summary>
    public Xray.XraySnapshot Xray(int outerPid) => Engine.Xray.SandboxXray.Read(InitPid, outerPid, Spec, Cgroup);
    public LaunchStory Story => _started.Story;
    /// <summary>The system calls its own filter refused, as they happen: a sandbox in a lab with a
    /// filter of its own has one (shared with the processes exec'd into it); otherwise null.</summary>
    public Xray.RefusalFeed? Refusals { get; }
    public bool HasTerminal => Error is null;
    /// <summary>The process the engine spawned (unshare or nsenter), as the host sees it.</summary>
    public int HostPid => _started.Init.Pid;
    /// <summary>The sandbox's first process as the host sees it: PID 1 of its pid namespace when it has one.</summary>
    public int InitPid => _started.Init.InitPid;
    /// <summary>Writes go to the PTY master or the stdin pipe.</summary>
    public Stream Input { get; }
    /// <summary>The PTY master's output, or the stdout pipe.</summary>
    public Stream Output { get; }
    /// <summary>The stderr pipe; null with a terminal (both go to the PTY).</summary>
    public Stream? Error { get; }
    /// <summary>Completes when the command has ended.</summary>
    public Task<ExitStatus> Completion => _exit.Task;

    /// <summary>End of input for a command on pipes (no-op with a terminal: send ^D instead).</summary>
    public void CloseInput()
    {
        if (!HasTerminal) Input.Dispose();
    }

    public void Resize(TerminalSize size)
    {
        if (!HasTerminal) throw new InvalidOperationException("this session has no terminal");
        var ws = new Libc.WinSize { Cols = size.Columns, Rows = size.Rows };
        var fd = ((FdStream)Output).Handle;
        if (fd.IsClosed) return;
        if (Libc.ioctl((int)fd.DangerousGetHandle(), Libc.TIOCSWINSZ, &ws) < 0)
            throw new IOException($"TIOCSWINSZ: {Errno.Name(Libc.Errno)}");
    }

    /// <summary>Another process in the same namespaces, cgroup, root, capabilities and seccomp filter (like nsenter).</summary>
    public SandboxSession Exec(IReadOnlyList<string> command, bool terminal, TerminalSize? size = null)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (Completion.IsCompleted) throw new InvalidOperationException("the sandbox has ended");
        return _engine.Exec(_parent ?? this, command, terminal, size);
    }

    /// <summary>SIGKILL to every process of the sandbox (or, for an exec'd process, to it alone). No-op once disposed.</summary>
    public void Kill()
    {
        if (_disposed == 0) KillProcesses();
    }

    void KillProcesses()
    {
        if (!_joined) Cgroup.KillAll(TimeSpan.FromSeconds(5));
        _started.Init.Kill();
    }

    void OnExit(int status)
    {
        var exit = FromWaitStatus(status);
        // As PID 1, init cannot die of the command's signal; it reports the command's status instead.
        if (_started.ReportsExit)
            while (_started.Channel.TryReceive() is { } msg)
                if (msg.Type == MessageType.Exited) exit = FromWaitStatus(msg.I32());
        _started.Channel.Dispose();
        _exit.TrySetResult(exit);
    }

    static ExitStatus FromWaitStatus(int status) =>
        (status & 0x7f) == 0 ? new ExitStatus((status >> 8) & 0xff, 0) : new ExitStatus(0, status & 0x7f);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Once the first process has ended there may be nothing left: Cgroup.Delete finds out
        // with one rmdir, and kills whatever is still there otherwise.
        if (!Completion.IsCompleted) KillProcesses();
        Completion.Wait(TimeSpan.FromSeconds(10));
        Input.Dispose();
        Output.Dispose();
        Error?.Dispose();
        if (!_joined) Cgroup.Delete();
        _started.Init.CloseHandles();
    }
}
