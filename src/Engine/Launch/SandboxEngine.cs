using Playground.Engine.Spec;

namespace Playground.Engine.Launch;

public readonly record struct TerminalSize(ushort Columns, ushort Rows);

public sealed record EngineOptions
{
    /// <summary>Path of the NativeAOT init; default: playground-init beside the running program.</summary>
    public string? InitPath { get; init; }
    /// <summary>Name of the cgroup parent of every sandbox.</summary>
    public string CgroupParent { get; init; } = "playground";
}

/// <summary>Launches sandboxes. Thread-safe; one per process is enough.</summary>
public sealed partial class SandboxEngine(EngineOptions? options = null)
{
    public EngineOptions Options { get; } = options ?? new EngineOptions();

    /// <summary>
    /// Validates the spec, creates the sandbox and returns once the command has been
    /// executed (or throws <see cref="SpecValidationException"/> before anything is made, or
    /// <see cref="SandboxException"/> naming the failed step, with nothing left behind).
    /// </summary>
    public SandboxSession Launch(SandboxSpec spec, TerminalSize? size = null) => throw new NotImplementedException();
}

/// <summary>A running sandbox: its first process's stdio (a PTY or pipes), its story, its end.</summary>
public sealed partial class SandboxSession : IDisposable
{
    public string Id { get; } = "";
    public SandboxSpec Spec { get; } = new();
    public LaunchStory Story { get; } = new([]);
    public bool HasTerminal { get; }
    /// <summary>Writes go to the PTY master or the stdin pipe.</summary>
    public Stream Input { get; } = Stream.Null;
    /// <summary>The PTY master's output, or the stdout pipe.</summary>
    public Stream Output { get; } = Stream.Null;
    /// <summary>The stderr pipe; null with a terminal (both go to the PTY).</summary>
    public Stream? Error { get; }
    /// <summary>Completes when the sandbox's command has ended.</summary>
    public Task<ExitStatus> Completion { get; } = Task.FromResult(default(ExitStatus));
    public void CloseInput() => throw new NotImplementedException();
    public void Resize(TerminalSize size) => throw new NotImplementedException();
    /// <summary>Another process in the same namespaces, cgroup, root, capabilities and seccomp filter.</summary>
    public SandboxSession Exec(IReadOnlyList<string> command, bool terminal, TerminalSize? size = null) => throw new NotImplementedException();
    /// <summary>SIGKILL to every process of the sandbox.</summary>
    public void Kill() => throw new NotImplementedException();
    /// <summary>Kills and reclaims everything: processes, cgroup, fds.</summary>
    public void Dispose() { }
}
