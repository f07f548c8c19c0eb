using System.Text.Json.Serialization;

namespace Playground.Engine.Spec;

/// <summary>
/// Everything a person can choose about one sandbox: the workshop's knobs, as data.
/// The engine validates it (<see cref="SpecValidator"/>), renders it
/// (<see cref="ShellCommandRenderer"/>, <see cref="OciConfigRenderer"/>), converts it from and to other
/// tools' languages (<see cref="Formats.SpecFormats"/>) and launches it.
/// Properties left out of a JSON spec keep the defaults below, which are the
/// "only --rootfs given" policy: every namespace but time, Docker's capabilities and
/// seccomp profile, no_new_privs, proc, a minimal /dev and masked paths.
/// </summary>
public sealed record SandboxSpec
{
    /// <summary>The directory that becomes the sandbox's root.</summary>
    public string? Rootfs { get; init; }

    /// <summary>Mount the root read-only (needs a new mount namespace).</summary>
    public bool ReadOnlyRoot { get; init; }

    public NamespaceSet Namespaces { get; init; } = NamespaceSet.AllButTime;

    /// <summary>uid map of the user namespace; empty means the default (root inside, 100000.. outside).</summary>
    public IReadOnlyList<IdMapping> UidMap { get; init; } = [];
    public IReadOnlyList<IdMapping> GidMap { get; init; } = [];

    /// <summary>Clock offsets of the time namespace, in seconds (needs the time namespace).</summary>
    public TimeOffsets TimeOffsets { get; init; } = new();

    /// <summary>Mounts in the order they are made, after the root and before the minimal /dev.</summary>
    public IReadOnlyList<MountSpec> Mounts { get; init; } = [MountSpec.Proc()];

    /// <summary>A tmpfs /dev with null, zero, full, random, urandom, tty, a new devpts and /dev/shm.</summary>
    public bool MinimalDev { get; init; } = true;

    /// <summary>Docker's masked and read-only paths under /proc and /sys.</summary>
    public bool MaskPaths { get; init; } = true;

    /// <summary>Host name inside the sandbox (needs the uts namespace).</summary>
    public string? Hostname { get; init; }

    public EnvironmentSpec Environment { get; init; } = new();

    /// <summary>Working directory inside the sandbox.</summary>
    public string Cwd { get; init; } = "/";

    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public IReadOnlyList<uint> SupplementaryGroups { get; init; } = [];

    public IReadOnlyList<RlimitSpec> Rlimits { get; init; } = [];

    public CapabilitySpec Capabilities { get; init; } = new();

    public bool NoNewPrivs { get; init; } = true;

    public SeccompSpec Seccomp { get; init; } = new();

    public ResourceLimits Limits { get; init; } = new();

    /// <summary>The program and its arguments (argv). A name without '/' is looked up in PATH inside the root.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>Give the command a pseudo-terminal (otherwise pipes).</summary>
    public bool Terminal { get; init; }

    /// <summary>The policy of <c>playground run --rootfs DIR</c>.</summary>
    public static SandboxSpec Default(string rootfs, params string[] command) =>
        new() { Rootfs = rootfs, Command = command };

    /// <summary>Ids outside the user namespace that the default maps use.</summary>
    public const uint DefaultOutsideId = 100000;
    public const uint DefaultIdCount = 65536;

    [JsonIgnore]
    public IReadOnlyList<IdMapping> EffectiveUidMap =>
        UidMap.Count > 0 ? UidMap : [new IdMapping(0, DefaultOutsideId, DefaultIdCount)];

    [JsonIgnore]
    public IReadOnlyList<IdMapping> EffectiveGidMap =>
        GidMap.Count > 0 ? GidMap : [new IdMapping(0, DefaultOutsideId, DefaultIdCount)];
}

/// <summary>Which namespaces are new (true) and which are shared with the parent (false).</summary>
public sealed record NamespaceSet
{
    public bool Mount { get; init; }
    public bool Uts { get; init; }
    public bool Ipc { get; init; }
    public bool Pid { get; init; }
    public bool Net { get; init; }
    public bool User { get; init; }
    public bool Cgroup { get; init; }
    public bool Time { get; init; }

    public static NamespaceSet None { get; } = new();
    public static NamespaceSet All { get; } = From(NamespaceKinds.All);
    public static NamespaceSet AllButTime { get; } = All with { Time = false };

    public bool this[NamespaceKind kind] => kind switch
    {
        NamespaceKind.Mount => Mount, NamespaceKind.Uts => Uts, NamespaceKind.Ipc => Ipc,
        NamespaceKind.Pid => Pid, NamespaceKind.Net => Net, NamespaceKind.User => User,
        NamespaceKind.Cgroup => Cgroup, NamespaceKind.Time => Time,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public NamespaceSet With(NamespaceKind kind, bool on) => kind switch
    {
        NamespaceKind.Mount => this with { Mount = on }, NamespaceKind.Uts => this with { Uts = on },
        NamespaceKind.Ipc => this with { Ipc = on }, NamespaceKind.Pid => this with { Pid = on },
        NamespaceKind.Net => this with { Net = on }, NamespaceKind.User => this with { User = on },
        NamespaceKind.Cgroup => this with { Cgroup = on }, NamespaceKind.Time => this with { Time = on },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static NamespaceSet From(IEnumerable<NamespaceKind> kinds) =>
        kinds.Aggregate(None, (set, k) => set.With(k, true));

    public IEnumerable<NamespaceKind> Enabled => NamespaceKinds.All.Where(k => this[k]);
}

public enum NamespaceKind { Mount, Uts, Ipc, Pid, Net, User, Cgroup, Time }

public static class NamespaceKinds
{
    public static IReadOnlyList<NamespaceKind> All { get; } = Enum.GetValues<NamespaceKind>();

    /// <summary>The name used by the CLI, the JSON spec and /proc/PID/ns (mount is "mnt" there).</summary>
    public static string Name(this NamespaceKind kind) => kind.ToString().ToLowerInvariant();

    public static string ProcName(this NamespaceKind kind) => kind == NamespaceKind.Mount ? "mnt" : kind.Name();

    public static bool TryParse(string name, out NamespaceKind kind)
    {
        foreach (var k in All)
            if (string.Equals(k.Name(), name, StringComparison.OrdinalIgnoreCase) ||
                string.Equals(k.ProcName(), name, StringComparison.OrdinalIgnoreCase))
            { kind = k; return true; }
        kind = default;
        return false;
    }

    public static string Accepted => string.Join(", ", All.Select(Name));
}

/// <summary>One line of /proc/PID/uid_map: <c>inside outside count</c>.</summary>
public sealed record IdMapping(uint Inside, uint Outside, uint Count);

public sealed record TimeOffsets
{
    public long MonotonicSeconds { get; init; }
    public long BoottimeSeconds { get; init; }
}

public enum MountType { Bind, Proc, Sysfs, Devpts, Tmpfs, Mqueue }

public sealed record MountSpec
{
    public MountType Type { get; init; }
    /// <summary>Host path, for bind mounts only.</summary>
    public string? Source { get; init; }
    /// <summary>Absolute path inside the sandbox.</summary>
    public string Destination { get; init; } = "";
    public bool ReadOnly { get; init; }
    /// <summary>Size of a tmpfs in bytes; null means the kernel's default (half of RAM).</summary>
    public long? SizeBytes { get; init; }

    public static MountSpec Proc(string dst = "/proc") => new() { Type = MountType.Proc, Destination = dst };
    public static MountSpec Bind(string src, string dst, bool ro = false) =>
        new() { Type = MountType.Bind, Source = src, Destination = dst, ReadOnly = ro };
    public static MountSpec Tmpfs(string dst, long? size = null) =>
        new() { Type = MountType.Tmpfs, Destination = dst, SizeBytes = size };
}

public sealed record EnvironmentSpec
{
    /// <summary>Start from an empty environment, like <c>env -i</c>; otherwise from <see cref="Base"/>.</summary>
    public bool Clear { get; init; }
    /// <summary>KEY=VALUE entries, applied in order over the base.</summary>
    public IReadOnlyList<string> Set { get; init; } = [];

    /// <summary>What a command sees when the environment is not cleared: a fresh login-like
    /// environment, never the server's own (which may hold secrets).</summary>
    public static IReadOnlyList<string> Base { get; } =
    [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME=/root",
        "TERM=xterm-256color",
    ];
}

public sealed record RlimitSpec(string Name, ulong Soft, ulong Hard);

public sealed record CapabilitySpec
{
    /// <summary><c>none</c>, <c>docker-default</c> or <c>all</c>.</summary>
    public string Preset { get; init; } = CapabilityPresets.DockerDefault;
    public IReadOnlyList<string> Add { get; init; } = [];
    public IReadOnlyList<string> Drop { get; init; } = [];

    // Each set may be given exactly; when null it follows the rule in CapabilityPlan.
    public IReadOnlyList<string>? Bounding { get; init; }
    public IReadOnlyList<string>? Effective { get; init; }
    public IReadOnlyList<string>? Permitted { get; init; }
    public IReadOnlyList<string>? Inheritable { get; init; }
    public IReadOnlyList<string>? Ambient { get; init; }
}

public static class CapabilityPresets
{
    public const string None = "none";
    public const string DockerDefault = "docker-default";
    public const string All = "all";
    public static IReadOnlyList<string> Names { get; } = [None, DockerDefault, All];
}

public sealed record SeccompSpec
{
    /// <summary><c>unconfined</c> or <c>docker-default</c>; rules below are applied on top.</summary>
    public string Preset { get; init; } = SeccompPresets.DockerDefault;
    /// <summary>Overrides the preset's default action (allow, errno, kill, trap, log).</summary>
    public SeccompAction? DefaultAction { get; init; }
    public IReadOnlyList<SeccompRule> Rules { get; init; } = [];
}

public static class SeccompPresets
{
    public const string Unconfined = "unconfined";
    public const string DockerDefault = "docker-default";
    public static IReadOnlyList<string> Names { get; } = [Unconfined, DockerDefault];
}

public enum SeccompActionKind { Allow, Errno, Kill, Trap, Log }

public sealed record SeccompAction(SeccompActionKind Kind, int Errno = 1)
{
    public static SeccompAction Allow { get; } = new(SeccompActionKind.Allow);
    public static SeccompAction Eperm { get; } = new(SeccompActionKind.Errno, 1);
    public override string ToString() => Kind == SeccompActionKind.Errno ? $"errno {Errno}" : Kind.ToString().ToLowerInvariant();
}

public sealed record SeccompRule(string Syscall, SeccompAction Action);

public sealed record ResourceLimits
{
    /// <summary>memory.max in bytes, swap off; null for no limit.</summary>
    public long? MemoryBytes { get; init; }
    /// <summary>pids.max; null for no limit.</summary>
    public long? PidsMax { get; init; }
    /// <summary>CPU quota as a fraction of one CPU (0.5 = half a core, 2 = two cores).</summary>
    public double? Cpus { get; init; }

    [JsonIgnore]
    public bool Any => MemoryBytes is not null || PidsMax is not null || Cpus is not null;
}
