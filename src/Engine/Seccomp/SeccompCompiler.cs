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
            using var filter = new SeccompFilter(ToLibSeccomp(plan.DefaultAction));
            // We set no_new_privs ourselves when the spec asks; the filter must not force it.
            filter.SetAttribute(LibSeccomp.FltAtrCtlNnp, 0, "SCMP_FLTATR_CTL_NNP");
            foreach (var rule in plan.Rules)
                filter.AddRule(ToLibSeccomp(rule.Action), rule.Syscall, rule.Number, rule.Conditions);
            return new SeccompProgram(filter.ExportBpf(), filter.ExportPfc());
        }
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
