using Playground.Engine.Interop;
using Playground.Engine.Spec;

namespace Playground.Engine.Seccomp;

/// <summary>One libseccomp rule: an action for a syscall, optionally only when its arguments match.</summary>
internal sealed record PlannedRule(string Syscall, int Number, SeccompAction Action, LibSeccomp.ArgCmp[] Conditions);

/// <summary>
/// What a spec means as libseccomp rules, before any native call: the preset's rules, then the
/// spec's rules replacing the preset's for the same syscall (the last rule for a syscall wins).
/// Rules whose action is the default are left out: they change nothing, and libseccomp refuses them.
/// </summary>
internal sealed record SeccompPlan(SeccompAction DefaultAction, IReadOnlyList<PlannedRule> Rules, string Key)
{
    /// <summary>Null when the spec asks for no filter at all.</summary>
    public static SeccompPlan? From(SeccompSpec spec)
    {
        var errors = new List<SpecError>();
        var preset = spec.Preset?.Trim().ToLowerInvariant() ?? "";
        if (!SeccompPresets.Names.Contains(preset))
            errors.Add(new("seccomp.preset", $"'{spec.Preset}' is not a preset; accepted: {string.Join(", ", SeccompPresets.Names)}"));
        if (spec.DefaultAction is { } d) CheckAction(d, "seccomp.defaultAction", errors);

        var bySyscall = new Dictionary<string, List<PlannedRule>>(StringComparer.Ordinal);
        var order = new List<string>();
        void Set(string name, List<PlannedRule> rules)
        {
            if (!bySyscall.ContainsKey(name)) order.Add(name);
            bySyscall[name] = rules;
        }

        if (preset == SeccompPresets.DockerDefault)
            foreach (var r in DockerDefaultProfile.OnThisArchitecture)
                Set(r.Syscall, PresetRules(r));

        for (var i = 0; i < spec.Rules.Count; i++)
        {
            var rule = spec.Rules[i];
            if (rule is null) { errors.Add(new($"seccomp.rules[{i}]", "is empty")); continue; }
            var number = Syscalls.Number(rule.Syscall ?? "");
            if (number is null)
                errors.Add(new($"seccomp.rules[{i}].syscall",
                    $"'{rule.Syscall}' is not a syscall on this architecture (x86_64); e.g. mkdir, openat, mount"));
            if (rule.Action is null) errors.Add(new($"seccomp.rules[{i}].action", "is missing; accepted: allow, errno N, kill, trap, log"));
            else CheckAction(rule.Action, $"seccomp.rules[{i}].action", errors);
            if (number is not null && rule.Action is not null)
                Set(rule.Syscall!, [new PlannedRule(rule.Syscall!, number.Value, rule.Action, [])]);
        }
        if (errors.Count > 0) throw new SpecValidationException(errors);

        if (preset == SeccompPresets.Unconfined && spec.DefaultAction is null && spec.Rules.Count == 0) return null;

        var defaultAction = spec.DefaultAction ?? SeccompAction.Allow;
        var defaultValue = SeccompCompiler.ToLibSeccomp(defaultAction);
        var rules = order.SelectMany(n => bySyscall[n])
            .Where(r => SeccompCompiler.ToLibSeccomp(r.Action) != defaultValue).ToList();
        var key = $"{preset}|{defaultAction}|" + string.Join(";", spec.Rules.Select(r => $"{r.Syscall}={r.Action}"));
        return new SeccompPlan(defaultAction, rules, key);
    }

    static List<PlannedRule> PresetRules(RefusedSyscall r)
    {
        var nr = Syscalls.Number(r.Syscall)!.Value;
        if (!r.OnlyWithNamespaceFlags) return [new PlannedRule(r.Syscall, nr, r.Action, [])];
        // Refuse when any namespace flag is set: one rule per flag, each "(flags & F) == F".
        // clone's flags are argument 0 on x86_64.
        var rules = new List<PlannedRule>();
        for (var bit = 0; bit < 64; bit++)
        {
            var flag = 1UL << bit;
            if ((DockerDefaultProfile.CloneNamespaceFlags & flag) == 0) continue;
            rules.Add(new PlannedRule(r.Syscall, nr, r.Action,
                [new LibSeccomp.ArgCmp { Arg = 0, Op = LibSeccomp.CmpMaskedEq, DatumA = flag, DatumB = flag }]));
        }
        return rules;
    }

    static void CheckAction(SeccompAction action, string field, List<SpecError> errors)
    {
        if (!Enum.IsDefined(action.Kind))
            errors.Add(new(field, $"'{action.Kind}' is not an action; accepted: allow, errno N, kill, trap, log"));
        else if (action.Kind == SeccompActionKind.Errno && action.Errno is < 1 or > 4095)
            errors.Add(new(field, $"errno {action.Errno} is out of range; accepted: 1 to 4095, e.g. 1 (EPERM) or 13 (EACCES)"));
    }
}
