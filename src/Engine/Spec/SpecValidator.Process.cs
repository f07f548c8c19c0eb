using Playground.Engine.Seccomp;

namespace Playground.Engine.Spec;

public static partial class SpecValidator
{
    static void CheckProcess(SandboxSpec spec, Action<string, string> add)
    {
        if (spec.Command.Count == 0)
            add("command", "empty: give the program and its arguments, e.g. [\"/bin/sh\"]");
        else if (string.IsNullOrEmpty(spec.Command[0]))
            add("command[0]", "empty: give the program to run, an absolute path or a name looked up in PATH inside the root");
        for (int i = 0; i < spec.Command.Count; i++)
            if (spec.Command[i] is { } arg && arg.Contains('\0'))
                add($"command[{i}]", "contains a NUL character, which execve(2) cannot pass");

        for (int i = 0; i < spec.Environment.Set.Count; i++)
        {
            var entry = spec.Environment.Set[i] ?? "";
            var eq = entry.IndexOf('=');
            if (eq < 0)
                add($"environment.set[{i}]", $"'{entry}' has no '=': give KEY=VALUE, e.g. FOO=BAR");
            else if (!IsEnvKey(entry[..eq]))
                add($"environment.set[{i}]", $"'{entry[..eq]}' is not a valid variable name: use letters, digits and '_', not starting with a digit");
            else if (entry.Contains('\0'))
                add($"environment.set[{i}]", "contains a NUL character, which execve(2) cannot pass");
        }

        if (string.IsNullOrEmpty(spec.Cwd) || !spec.Cwd.StartsWith('/'))
            add("cwd", $"'{spec.Cwd}' is not absolute: give a directory inside the sandbox, e.g. / or /root");

        var seen = new HashSet<int>();
        for (int i = 0; i < spec.Rlimits.Count; i++)
        {
            var r = spec.Rlimits[i];
            if (!Rlimits.TryParse(r.Name, out var resource))
                add($"rlimits[{i}].name", $"'{r.Name}' is not a resource limit: use one of {Rlimits.Accepted}");
            else if (!seen.Add(resource))
                add($"rlimits[{i}].name", $"{r.Name} is set twice: give each limit once");
            if (r.Soft > r.Hard)
                add($"rlimits[{i}].soft", $"soft limit {Show(r.Soft)} is above the hard limit {Show(r.Hard)}: setrlimit(2) requires soft ≤ hard");
        }
    }

    static string Show(ulong v) => v == Rlimits.Infinity ? "unlimited" : v.ToString();

    static bool IsEnvKey(string key) =>
        key.Length > 0 && !char.IsAsciiDigit(key[0]) && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    static void CheckCapabilities(CapabilitySpec caps, Action<string, string> add)
    {
        if (!CapabilityPresets.Names.Contains(caps.Preset))
            add("capabilities.preset", $"'{caps.Preset}' is not a preset: use one of {string.Join(", ", CapabilityPresets.Names)}");
        var allKnown = true;
        void Names(string field, IReadOnlyList<string>? names)
        {
            for (int i = 0; i < (names?.Count ?? 0); i++)
                if (!Capability.TryParse(names![i] ?? "", out _))
                {
                    add($"capabilities.{field}[{i}]", $"'{names[i]}' is not a capability: use a name from capabilities(7), e.g. CAP_NET_RAW, NET_RAW or net_raw");
                    allKnown = false;
                }
        }
        Names("add", caps.Add); Names("drop", caps.Drop);
        Names("bounding", caps.Bounding); Names("effective", caps.Effective); Names("permitted", caps.Permitted);
        Names("inheritable", caps.Inheritable); Names("ambient", caps.Ambient);
        if (!allKnown) return;

        // capabilities(7): capset(2) refuses effective ⊄ permitted, and PR_CAP_AMBIENT_RAISE refuses a
        // capability that is not in both permitted and inheritable.
        var sets = CapabilitySets.Resolve(caps);
        if (caps.Ambient is not null && (sets.Ambient & ~(sets.Permitted & sets.Inheritable)) is var badAmbient and not 0)
            add("capabilities.ambient", $"{string.Join(", ", Capability.Names(badAmbient))} must also be in permitted and inheritable (ambient ⊆ permitted ∩ inheritable); inheritable is empty unless given");
        if ((sets.Effective & ~sets.Permitted) is var badEffective and not 0)
            add("capabilities.effective", $"{string.Join(", ", Capability.Names(badEffective))} must also be in permitted (effective ⊆ permitted)");
    }

    static void CheckSeccomp(SeccompSpec seccomp, Action<string, string> add)
    {
        if (!SeccompPresets.Names.Contains(seccomp.Preset))
            add("seccomp.preset", $"'{seccomp.Preset}' is not a preset: use one of {string.Join(", ", SeccompPresets.Names)}");
        if (seccomp.DefaultAction is { } d) CheckAction(d, "seccomp.defaultAction", add);
        for (int i = 0; i < seccomp.Rules.Count; i++)
        {
            var rule = seccomp.Rules[i];
            if (!Syscalls.IsKnown(rule.Syscall ?? ""))
                add($"seccomp.rules[{i}].syscall", $"'{rule.Syscall}' is not a system call on this architecture: use a name as in syscalls(2), e.g. mkdir, unshare, ptrace");
            if (rule.Action is { } a) CheckAction(a, $"seccomp.rules[{i}].action", add);
        }
    }

    static void CheckAction(SeccompAction action, string field, Action<string, string> add)
    {
        if (action.Kind == SeccompActionKind.Errno && action.Errno is < 1 or > 4095)
            add(field, $"errno {action.Errno} is out of range: give 1 to 4095 (the kernel's errno range), e.g. errno:EPERM or errno:13");
    }

    /// <summary>Smallest pids.max a command can start under: see <see cref="CheckLimits"/>.</summary>
    public static long MinimumPids(SandboxSpec spec) => spec.Namespaces.Pid ? 2 : 1;

    static void CheckLimits(SandboxSpec spec, Action<string, string> add)
    {
        var l = spec.Limits;
        if (l.MemoryBytes is { } mem)
        {
            if (mem < 4 * Sizes.MiB)
                add("limits.memoryBytes", $"{Sizes.Format(mem)} is too little: give at least 4MiB ({4 * Sizes.MiB}); the sandbox's init and the command's first pages need a few MB and would be OOM-killed before the command starts");
            else if (mem > Sizes.TiB)
                add("limits.memoryBytes", $"{Sizes.Format(mem)} is more than 1TiB: give 4MiB to 1TiB, or leave it out for no limit");
        }
        // pids.max counts every task in the cgroup. With a new pid namespace, `unshare --fork` stays in
        // the cgroup as the waiting parent of the command, so the command itself needs a second slot.
        if (l.PidsMax is { } pids && pids < MinimumPids(spec))
            add("limits.pidsMax", spec.Namespaces.Pid
                ? $"{pids} is too low: with the pid namespace on, unshare --fork waits in the sandbox's cgroup as the command's parent, so at least 2 are needed (every process the command starts counts too)"
                : $"{pids} is too low: give at least 1 (the command itself counts), or leave it out for no limit");
        if (l.Cpus is { } cpus && !(cpus > 0 && cpus <= 1024))
            add("limits.cpus", $"{cpus} is out of range: give a fraction of one CPU above 0 and at most 1024, e.g. 0.5 for half a core or 2 for two cores");
    }
}
