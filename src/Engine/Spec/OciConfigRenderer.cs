using System.Text.Json;
using System.Text.Json.Nodes;

namespace Playground.Engine.Spec;

/// <summary>
/// The spec as an OCI runtime-spec 1.2 <c>config.json</c>, so a person can compare our knobs with what
/// runc or crun would be given (config.md and config-linux.md of opencontainers/runtime-spec).
/// </summary>
public static class OciConfigRenderer
{
    public const string OciVersion = "1.2.0";

    /// <summary>The docker-default seccomp preset's denied syscalls on this architecture, written as one EPERM rule
    /// (without the ones refused only for some clone flags: those need conditions on arguments).</summary>
    internal static IReadOnlyList<string> DockerDefaultDenied() =>
        Playground.Engine.Seccomp.DockerDefaultProfile.OnThisArchitecture.Where(r => !r.OnlyWithNamespaceFlags).Select(r => r.Syscall).ToList();

    public static string Render(SandboxSpec spec) => Render(spec, DockerDefaultDenied());

    internal static string Render(SandboxSpec spec, IReadOnlyList<string>? dockerDefaultDenied)
    {
        var annotations = new JsonObject();
        var config = new JsonObject
        {
            ["ociVersion"] = OciVersion,
            ["process"] = Process(spec),
            ["root"] = new JsonObject { ["path"] = spec.Rootfs, ["readonly"] = spec.ReadOnlyRoot },
        };
        if (spec.Hostname is not null) config["hostname"] = spec.Hostname;
        config["mounts"] = Mounts(spec);
        config["linux"] = Linux(spec, dockerDefaultDenied, annotations);
        if (annotations.Count > 0) config["annotations"] = annotations;
        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    static JsonObject Process(SandboxSpec spec)
    {
        var caps = CapabilitySets.Resolve(spec.Capabilities);
        JsonArray Names(ulong mask) => Array(Capability.Names(mask));
        var process = new JsonObject
        {
            ["terminal"] = spec.Terminal,
            ["user"] = new JsonObject
            {
                ["uid"] = spec.Uid, ["gid"] = spec.Gid,
                ["additionalGids"] = new JsonArray(spec.SupplementaryGroups.Select(g => (JsonNode?)g).ToArray()),
            },
            ["args"] = Array(spec.Command),
            ["env"] = Array(ShellCommandRenderer.EffectiveEnvironment(spec.Environment)),
            ["cwd"] = spec.Cwd,
            ["capabilities"] = new JsonObject
            {
                ["bounding"] = Names(caps.Bounding), ["effective"] = Names(caps.Effective),
                ["permitted"] = Names(caps.Permitted), ["inheritable"] = Names(caps.Inheritable),
                ["ambient"] = Names(caps.Ambient),
            },
            ["noNewPrivileges"] = spec.NoNewPrivs,
        };
        if (spec.Rlimits.Count > 0)
            process["rlimits"] = new JsonArray(spec.Rlimits
                .Where(r => Rlimits.TryParse(r.Name, out _))
                .Select(r => (JsonNode?)new JsonObject
                {
                    ["type"] = Rlimits.ConstantName(Rlimit(r.Name)), ["hard"] = r.Hard, ["soft"] = r.Soft,
                }).ToArray());
        return process;
    }

    static int Rlimit(string name) => Rlimits.TryParse(name, out var r) ? r : -1;

    static JsonArray Mounts(SandboxSpec spec)
    {
        var mounts = new JsonArray();
        void Add(string dst, string type, string source, params string[] options) =>
            mounts.Add(new JsonObject { ["destination"] = dst, ["type"] = type, ["source"] = source, ["options"] = Array(options) });

        foreach (var m in spec.Mounts)
        {
            var ro = m.ReadOnly ? new[] { "ro" } : [];
            switch (m.Type)
            {
                // Plain bind, not rbind: the same as `mount --bind` in the workshop and the shell rendering.
                case MountType.Bind: Add(m.Destination, "bind", m.Source ?? "", ["bind", .. ro]); break;
                case MountType.Proc: Add(m.Destination, "proc", "proc", ["nosuid", "noexec", "nodev", .. ro]); break;
                case MountType.Sysfs: Add(m.Destination, "sysfs", "sysfs", ["nosuid", "noexec", "nodev", .. ro]); break;
                case MountType.Devpts: Add(m.Destination, "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"); break;
                case MountType.Mqueue: Add(m.Destination, "mqueue", "mqueue", "nosuid", "noexec", "nodev"); break;
                case MountType.Tmpfs:
                    Add(m.Destination, "tmpfs", "tmpfs",
                        ["nosuid", "nodev", .. m.SizeBytes is { } size ? new[] { $"size={Sizes.FormatShort(size)}" } : [], .. ro]);
                    break;
            }
        }
        if (spec.MinimalDev)
        {
            // What runc and Docker give every container; the runtime then creates null, zero, full,
            // random, urandom and tty in it (config-linux.md, "Default Devices").
            Add("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
            Add("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
            Add("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        }
        return mounts;
    }

    static JsonObject Linux(SandboxSpec spec, IReadOnlyList<string>? dockerDenied, JsonObject annotations)
    {
        var ns = spec.Namespaces;
        var linux = new JsonObject
        {
            ["namespaces"] = new JsonArray(ns.Enabled.Select(k => (JsonNode?)new JsonObject { ["type"] = OciName(k) }).ToArray()),
        };
        if (ns.User)
        {
            linux["uidMappings"] = Mappings(spec.EffectiveUidMap);
            linux["gidMappings"] = Mappings(spec.EffectiveGidMap);
        }
        if (ns.Time)
            linux["timeOffsets"] = new JsonObject
            {
                ["monotonic"] = new JsonObject { ["secs"] = spec.TimeOffsets.MonotonicSeconds, ["nanosecs"] = 0 },
                ["boottime"] = new JsonObject { ["secs"] = spec.TimeOffsets.BoottimeSeconds, ["nanosecs"] = 0 },
            };
        if (spec.Limits.Any) linux["resources"] = Resources(spec.Limits);
        if (Seccomp(spec.Seccomp, dockerDenied, annotations) is { } seccomp) linux["seccomp"] = seccomp;
        if (spec.MaskPaths)
        {
            linux["maskedPaths"] = Array(DockerPaths.Masked);
            linux["readonlyPaths"] = Array(DockerPaths.ReadOnly);
        }
        return linux;
    }

    /// <summary>OCI's names differ from ours only for the network namespace.</summary>
    public static string OciName(NamespaceKind kind) => kind == NamespaceKind.Net ? "network" : kind.Name();

    static JsonArray Mappings(IReadOnlyList<IdMapping> map) =>
        new(map.Select(m => (JsonNode?)new JsonObject { ["containerID"] = m.Inside, ["hostID"] = m.Outside, ["size"] = m.Count }).ToArray());

    static JsonObject Resources(ResourceLimits l)
    {
        var r = new JsonObject();
        // OCI's swap is memory+swap: equal to the limit means no swap, as our spec promises.
        if (l.MemoryBytes is { } mem) r["memory"] = new JsonObject { ["limit"] = mem, ["swap"] = mem };
        if (l.PidsMax is { } pids) r["pids"] = new JsonObject { ["limit"] = pids };
        if (l.Cpus is { } cpus) r["cpu"] = new JsonObject { ["quota"] = (long)Math.Round(cpus * 100_000), ["period"] = 100_000 };
        return r;
    }

    static JsonObject? Seccomp(SeccompSpec s, IReadOnlyList<string>? dockerDenied, JsonObject annotations)
    {
        if (s.Preset == SeccompPresets.Unconfined && s.Rules.Count == 0 && s.DefaultAction is null) return null;
        // Both presets allow by default; docker-default then denies its list with EPERM.
        var defaultAction = s.DefaultAction ?? SeccompAction.Allow;
        var seccomp = new JsonObject { ["defaultAction"] = ScmpAction(defaultAction.Kind) };
        if (defaultAction.Kind == SeccompActionKind.Errno) seccomp["defaultErrnoRet"] = defaultAction.Errno;
        seccomp["architectures"] = Array(["SCMP_ARCH_X86_64"]);

        var syscalls = new JsonArray();
        if (s.Preset == SeccompPresets.DockerDefault)
        {
            if (dockerDenied is { Count: > 0 })
                syscalls.Add(Rule(dockerDenied, SeccompAction.Eperm));
            else
                annotations["org.playground.seccomp"] = "docker-default preset's syscall list is not included in this rendering";
        }
        foreach (var rule in s.Rules) syscalls.Add(Rule([rule.Syscall], rule.Action));
        seccomp["syscalls"] = syscalls;
        return seccomp;
    }

    static JsonObject Rule(IEnumerable<string> names, SeccompAction action)
    {
        var o = new JsonObject { ["names"] = Array(names), ["action"] = ScmpAction(action.Kind) };
        if (action.Kind == SeccompActionKind.Errno) o["errnoRet"] = action.Errno;
        return o;
    }

    // "kill" ends the whole process (SCMP_ACT_KILL_PROCESS): killing one thread leaves a confusing half-dead program.
    internal static string ScmpAction(SeccompActionKind kind) => kind switch
    {
        SeccompActionKind.Allow => "SCMP_ACT_ALLOW",
        SeccompActionKind.Errno => "SCMP_ACT_ERRNO",
        SeccompActionKind.Kill => "SCMP_ACT_KILL_PROCESS",
        SeccompActionKind.Trap => "SCMP_ACT_TRAP",
        SeccompActionKind.Log => "SCMP_ACT_LOG",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    static JsonArray Array(IEnumerable<string> items) => new(items.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
}
