using Playground.Engine.Interop;
using Playground.Engine.Seccomp;

namespace Playground.Engine.Spec.Formats;

public static partial class OciFormat
{
    static SandboxSpec Linux(OciFields linux, SandboxSpec spec)
    {
        var ns = NamespaceSet.None;
        foreach (var (n, i) in linux.Objects("namespaces"))
        {
            var type = n.String("type")!;
            ns = ns.With(type == "network" ? NamespaceKind.Net : Parse(type), true);
            if (n.String("path") is { } path)
                n.Note(n.At("path"), $"joining the {type} namespace at {path} is not supported: a new one is made");
        }
        spec = spec with
        {
            Namespaces = ns,
            UidMap = SpecForms.IdMap(Mappings(linux, "uidMappings")),
            GidMap = SpecForms.IdMap(Mappings(linux, "gidMappings")),
        };

        using (var offsets = linux.Object("timeOffsets"))
            spec = spec with { TimeOffsets = new TimeOffsets { MonotonicSeconds = Offset(offsets, "monotonic"), BoottimeSeconds = Offset(offsets, "boottime") } };
        using (var resources = linux.Object("resources")) spec = spec with { Limits = Resources(resources) };
        using (var seccomp = linux.Object("seccomp")) spec = spec with { Seccomp = Seccomp(seccomp) };
        return spec with { MaskPaths = MaskedPaths(linux) };
    }

    static NamespaceKind Parse(string name) => NamespaceKinds.TryParse(name, out var kind) ? kind : throw new ArgumentException(name);

    static List<IdMapping> Mappings(OciFields linux, string name) =>
        linux.Objects(name).Select(m => new IdMapping(m.Item.UInt("containerID")!.Value, m.Item.UInt("hostID")!.Value, m.Item.UInt("size")!.Value)).ToList();

    static long Offset(OciFields offsets, string clock)
    {
        using var o = offsets.Object(clock);
        if (o.UInt("nanosecs") is > 0) o.Note(o.At("nanosecs"), "not supported: the playground offsets clocks by whole seconds");
        return o.Long("secs") ?? 0;
    }

    static ResourceLimits Resources(OciFields r)
    {
        var limits = new ResourceLimits();
        using (var memory = r.Object("memory"))
        {
            var limit = memory.Long("limit");
            // OCI's swap is memory+swap: equal to the limit means none, which is what the playground always gives.
            var swap = memory.Long("swap");
            if (limit is > 0)
            {
                limits = limits with { MemoryBytes = limit };
                if (swap != limit) memory.Note(memory.At("swap"), $"{(swap is null ? "left out (no swap limit)" : swap.ToString())}: the playground turns swap off");
            }
        }
        using (var pids = r.Object("pids"))
            if (pids.Long("limit") is { } max and > 0) limits = limits with { PidsMax = max };
        using (var cpu = r.Object("cpu"))
            if (cpu.Long("quota") is { } quota and > 0)
                limits = limits with { Cpus = (double)quota / (cpu.ULong("period") ?? 100_000) };
        return limits;
    }

    static SeccompSpec Seccomp(OciFields s)
    {
        if (!s.Exists) return new SeccompSpec { Preset = SeccompPresets.Unconfined };
        var defaultAction = Action(s, s.String("defaultAction")!, s.UInt("defaultErrnoRet"), s.At("defaultAction")) ?? SeccompAction.Allow;
        var foreign = s.Strings("architectures").Where(a => a != "SCMP_ARCH_X86_64").ToList();
        if (foreign.Count > 0)
            s.Note(s.At("architectures"), $"{string.Join(", ", foreign)}: the playground's filter is for x86_64 only (libseccomp kills calls through other ABIs)");

        var preset = SeccompPresets.Unconfined;
        var rules = new List<SeccompRule>();
        var dockerDenied = OciConfigRenderer.DockerDefaultDenied().ToHashSet();
        foreach (var (rule, i) in s.Objects("syscalls"))
        {
            var names = rule.Strings("names");
            var action = Action(rule, rule.String("action")!, rule.UInt("errnoRet"), rule.At("action"));
            // The docker-default preset is written as its first rule (OciConfigRenderer): read it back as the preset.
            if (i == 0 && action == SeccompAction.Eperm && names.ToHashSet().SetEquals(dockerDenied))
            {
                preset = SeccompPresets.DockerDefault;
                continue;
            }
            if (rule.Has("args", out _))
            {
                rule.Note(rule.At("args"), $"conditions on arguments are not supported: the rule for {string.Join(", ", names)} is left out");
                continue;
            }
            if (action is null) continue;   // noted: a rule whose action is to allow anyway
            var unknown = names.Where(n => !Syscalls.IsKnown(n)).ToList();
            if (unknown.Count > 0)
                rule.Note(rule.At("names"), $"{string.Join(", ", unknown)}: not system calls on this architecture (x86_64): left out");
            rules.AddRange(names.Except(unknown).Select(n => new SeccompRule(n, action)));
        }
        return new SeccompSpec { Preset = preset, DefaultAction = defaultAction == SeccompAction.Allow ? null : defaultAction, Rules = rules };
    }

    /// <summary>An SCMP_ACT_* as the playground's action; null (with a note) for the ones it does not have.</summary>
    static SeccompAction? Action(OciFields at, string name, uint? errnoRet, string field)
    {
        switch (name)
        {
            case "SCMP_ACT_ALLOW": return SeccompAction.Allow;
            case "SCMP_ACT_ERRNO": return new SeccompAction(SeccompActionKind.Errno, (int)(errnoRet ?? Errno.EPERM));  // EPERM when left out (config-linux.md)
            case "SCMP_ACT_KILL_PROCESS": return new SeccompAction(SeccompActionKind.Kill);
            case "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD":
                at.Note(field, $"{name} kills one thread; the playground's kill ends the whole process (SCMP_ACT_KILL_PROCESS)");
                return new SeccompAction(SeccompActionKind.Kill);
            case "SCMP_ACT_TRAP": return new SeccompAction(SeccompActionKind.Trap);
            case "SCMP_ACT_LOG": return new SeccompAction(SeccompActionKind.Log);
            default:
                at.Note(field, $"{name} is not supported (it needs a tracer or a notify listener): allow instead");
                return null;
        }
    }

    /// <summary>The playground masks Docker's paths or none; any other list is named where it differs.</summary>
    static bool MaskedPaths(OciFields linux)
    {
        var masked = linux.Strings("maskedPaths");
        var readOnly = linux.Strings("readonlyPaths");
        if (masked.Count == 0 && readOnly.Count == 0) return false;
        void Compare(string name, IReadOnlyList<string> given, IReadOnlyList<string> docker)
        {
            if (given.Except(docker).ToList() is { Count: > 0 } extra)
                linux.Note(linux.At(name), $"{string.Join(" ", extra)}: not supported (the playground uses Docker's list)");
            if (docker.Except(given).ToList() is { Count: > 0 } missing)
                linux.Note(linux.At(name), $"{string.Join(" ", missing)}: covered too (the playground uses Docker's list)");
        }
        Compare("maskedPaths", masked, DockerPaths.Masked);
        Compare("readonlyPaths", readOnly, DockerPaths.ReadOnly);
        return true;
    }
}
