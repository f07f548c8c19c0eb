using System.Collections.Concurrent;
using Playground.Engine.Interop;
using Playground.Engine.Spec;

namespace Playground.Engine.Seccomp;

/// <summary>
/// Turns a <see cref="SeccompSpec"/> into BPF bytes in the engine, as crun does, so init only
/// installs bytes and never loads libseccomp. Programs are cached by the spec's content: the
/// launch path asks for the same few specs again and again.
/// </summary>
public static class SeccompCompiler
{
    static readonly ConcurrentDictionary<string, Lazy<SeccompProgram>> cache = new();

    // libseccomp keeps process-wide state (API level, kernel probes) without locks of its own.
    static readonly Lock libseccompLock = new();

    /// <summary>Null when there is nothing to install: the unconfined preset with no default
    /// action and no rules. Throws <see cref="SpecValidationException"/> for a bad spec and
    /// <see cref="SandboxException"/> when libseccomp fails.</summary>
    public static SeccompProgram? Compile(SeccompSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var plan = SeccompPlan.From(spec);
        if (plan is null) return null;
        var lazy = cache.GetOrAdd(plan.Key, _ => new Lazy<SeccompProgram>(() => Build(plan)));
        try { return lazy.Value; }
        catch
        {
            cache.TryRemove(new KeyValuePair<string, Lazy<SeccompProgram>>(plan.Key, lazy)); // don't cache failures
            throw;
        }
    }

    /// <summary>How many distinct programs have been compiled and kept.</summary>
    internal static int CachedCount => cache.Count;

    static SeccompProgram Build(SeccompPlan plan)
    {
        lock (libseccompLock)
        {
            using var filter = NewFilter(ToLibSeccomp(plan.DefaultAction));
            foreach (var rule in plan.Rules)
                filter.AddRule(ToLibSeccomp(rule.Action), rule.Syscall, rule.Number, rule.Conditions);
            return new SeccompProgram(filter.ExportBpf(), filter.ExportPfc(), BuildNotifying(plan));
        }
    }

    /// <summary>
    /// Syscalls whose errno stays in the kernel in the notifying program. sendmsg: init hands the
    /// listener over with it, and a call that waited on a listener nobody holds yet would wait
    /// for ever. clone3: Docker's profile answers it with ENOSYS so glibc falls back to clone,
    /// once per thread a program starts; a probe, not a refusal worth a round trip or a line.
    /// </summary>
    internal static readonly string[] AnsweredByKernel = ["sendmsg", "clone3"];

    /// <summary>
    /// The same filter with each errno answer replaced by "ask the listener" (SECCOMP_RET_USER_NOTIF),
    /// but for <see cref="AnsweredByKernel"/>. The listener answers with the errno the original
    /// program gives (<see cref="SeccompProgram.Evaluate"/>), so the process sees the same result.
    /// Kill, trap and log stay the kernel's: a listener can neither kill as the kernel does nor
    /// need to be asked for a call that goes through.
    /// </summary>
    static byte[] BuildNotifying(SeccompPlan plan)
    {
        uint Notifying(SeccompAction a, string syscall) =>
            a.Kind == SeccompActionKind.Errno && !AnsweredByKernel.Contains(syscall) ? LibSeccomp.ActNotify : ToLibSeccomp(a);
        var defaultErrno = plan.DefaultAction.Kind == SeccompActionKind.Errno;
        var defaultValue = defaultErrno ? LibSeccomp.ActNotify : ToLibSeccomp(plan.DefaultAction);
        using var filter = NewFilter(defaultValue);
        foreach (var rule in plan.Rules)
            if (Notifying(rule.Action, rule.Syscall) != defaultValue)
                filter.AddRule(Notifying(rule.Action, rule.Syscall), rule.Syscall, rule.Number, rule.Conditions);
        // A default errno becomes a notification: the kernel's own answers must then be rules.
        if (defaultErrno)
            foreach (var name in AnsweredByKernel.Where(n => plan.Rules.All(r => r.Syscall != n)))
                if (Syscalls.Number(name) is { } nr)
                    filter.AddRule(ToLibSeccomp(plan.DefaultAction), name, nr, []);
        return filter.ExportBpf();
    }

    static SeccompFilter NewFilter(uint defaultAction)
    {
        var filter = new SeccompFilter(defaultAction);
        // We set no_new_privs ourselves when the spec asks; the filter must not force it.
        filter.SetAttribute(LibSeccomp.FltAtrCtlNnp, 0, "SCMP_FLTATR_CTL_NNP");
        return filter;
    }

    internal static uint ToLibSeccomp(SeccompAction action) => action.Kind switch
    {
        SeccompActionKind.Allow => LibSeccomp.ActAllow,
        SeccompActionKind.Errno => LibSeccomp.ActErrno(action.Errno),
        SeccompActionKind.Kill => LibSeccomp.ActKillProcess,
        SeccompActionKind.Trap => LibSeccomp.ActTrap,
        SeccompActionKind.Log => LibSeccomp.ActLog,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action.Kind, "unknown seccomp action"),
    };
}
