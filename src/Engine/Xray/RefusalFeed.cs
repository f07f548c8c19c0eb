using Playground.Engine.Seccomp;
using Playground.Engine.Spec;

namespace Playground.Engine.Xray;

/// <summary>A system call a sandbox's own filter refused: when, which process (host pid and
/// its command name), the call, and the errno it was answered with.</summary>
public sealed record SeccompEvent(DateTime At, int HostPid, string Command, int Number, string Syscall, int Errno)
{
    /// <summary>
    /// The rule of <paramref name="spec"/> that matched, in words, with what the call returned:
    /// "rule 'mkdir → errno 1' (EPERM)", "docker-default: … (EPERM)", "the default action (errno 1) (EPERM)".
    /// </summary>
    public string RuleIn(SeccompSpec spec)
    {
        var returned = $" ({Interop.Errno.Name(Errno)})";
        if (spec.Rules.LastOrDefault(r => r.Syscall == Syscall) is { } rule) return $"rule '{Syscall} → {rule.Action}'{returned}";
        if (spec.Preset == SeccompPresets.DockerDefault && DockerDefaultProfile.Refused.FirstOrDefault(r => r.Syscall == Syscall) is { } refused)
            return $"docker-default ({refused.Reason}){returned}";
        return spec.DefaultAction is { } d ? $"the default action ({d}){returned}" : $"the filter{returned}";
    }
}

/// <summary>
/// The refusals of one sandbox (its first process and every process exec'd into it), as its
/// filters' listeners report them to <see cref="SeccompSupervisor"/>: the last
/// <see cref="Kept"/>, and how many in all.
/// </summary>
public sealed class RefusalFeed(SeccompProgram program)
{
    public const int Kept = 100;
    readonly Queue<SeccompEvent> _recent = new();
    readonly Lock _lock = new();
    long _total;

    // The supervisor's count of answers in its current window (its thread alone touches them).
    internal long WindowStart;
    internal int InWindow;

    /// <summary>The sandbox's own filter as compiled: its answers are the ones the listener gives.</summary>
    public SeccompProgram Program { get; } = program;

    /// <summary>Every refusal since the sandbox started, including those no longer kept.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>The last refusals, oldest first.</summary>
    public IReadOnlyList<SeccompEvent> Recent()
    {
        lock (_lock) return [.. _recent];
    }

    /// <summary>Raised after each refusal, on the thread pool: never on the supervisor's thread,
    /// where a slow or failing handler would hold up every sandbox's refused calls.</summary>
    public event Action? Added;

    internal void Add(SeccompEvent e)
    {
        Interlocked.Increment(ref _total);
        lock (_lock)
        {
            _recent.Enqueue(e);
            if (_recent.Count > Kept) _recent.Dequeue();
        }
        if (Added is { } added) ThreadPool.QueueUserWorkItem(_ => added());
    }
}
