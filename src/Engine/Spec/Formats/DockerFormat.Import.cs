using System.Globalization;

namespace Playground.Engine.Spec.Formats;

public static partial class DockerFormat
{
    static readonly Dictionary<char, string> Short = new()
    {
        ['a'] = "attach", ['c'] = "cpu-shares", ['d'] = "detach", ['e'] = "env", ['h'] = "hostname", ['i'] = "interactive",
        ['l'] = "label", ['m'] = "memory", ['p'] = "publish", ['P'] = "publish-all", ['q'] = "quiet", ['t'] = "tty",
        ['u'] = "user", ['v'] = "volume", ['w'] = "workdir",
    };

    // docker run's options (docker run --help, Docker 28), so a typo is refused and a real option is named.
    static readonly HashSet<string> Bools =
    [
        "detach", "disable-content-trust", "help", "init", "interactive", "no-healthcheck", "oom-kill-disable", "privileged",
        "publish-all", "quiet", "read-only", "rm", "sig-proxy", "tty", "use-api-socket",
    ];
    static readonly HashSet<string> Values =
    [
        "add-host", "annotation", "attach", "blkio-weight", "blkio-weight-device", "cap-add", "cap-drop", "cgroup-parent", "cgroupns",
        "cidfile", "cpu-count", "cpu-percent", "cpu-period", "cpu-quota", "cpu-rt-period", "cpu-rt-runtime", "cpu-shares", "cpus",
        "cpuset-cpus", "cpuset-mems", "detach-keys", "device", "device-cgroup-rule", "device-read-bps", "device-read-iops",
        "device-write-bps", "device-write-iops", "dns", "dns-option", "dns-search", "domainname", "entrypoint", "env", "env-file",
        "expose", "gpus", "group-add", "health-cmd", "health-interval", "health-retries", "health-start-interval", "health-start-period",
        "health-timeout", "hostname", "io-maxbandwidth", "io-maxiops", "ip", "ip6", "ipc", "isolation", "kernel-memory", "label",
        "label-file", "link", "link-local-ip", "log-driver", "log-opt", "mac-address", "memory", "memory-reservation", "memory-swap",
        "memory-swappiness", "mount", "name", "network", "net", "network-alias", "net-alias", "oom-score-adj", "pid", "pids-limit",
        "platform", "publish", "pull", "restart", "runtime", "security-opt", "shm-size", "stop-signal", "stop-timeout", "storage-opt",
        "sysctl", "tmpfs", "ulimit", "user", "userns", "uts", "volume", "volume-driver", "volumes-from", "workdir",
    ];

    /// <summary>What the flags said, before it becomes a spec.</summary>
    sealed class Run
    {
        public SandboxSpec Spec = new()
        {
            Namespaces = NamespaceSet.AllButTime with { User = false },
            MinimalDev = true, MaskPaths = true, NoNewPrivs = false,
        };
        public List<string> Env = [], CapAdd = [], CapDrop = [];
        public List<MountSpec> Mounts = [MountSpec.Proc(), new() { Type = MountType.Sysfs, Destination = "/sys", ReadOnly = true }];
        public List<RlimitSpec> Rlimits = [];
        public List<uint> Groups = [];
        public bool Interactive;
        public string? Swap, Entrypoint;
    }

    public static Imported Import(string text)
    {
        var notes = new List<FormatNote>();
        var words = new Words(ShellWords.Command(text));
        if (words.More && Path.GetFileName(words.Peek) is "docker" or "podman")
        {
            words.Take();
            if (words.More && words.Peek == "container") words.Take();
            if (!words.More || words.Take() != "run") throw Words.Error("docker", "expected docker run [OPTIONS] IMAGE [COMMAND]");
        }
        var run = new Run();
        while (words.More && words.Peek.StartsWith('-') && words.Peek != "-")
        {
            var word = words.Take();
            if (word == "--") break;
            if (word.StartsWith("--"))
            {
                var (name, inline) = word[2..].Split('=', 2) is [var n, var v] ? (n, (string?)v) : (word[2..], null);
                if (Bools.Contains(name)) Apply(run, name, $"--{name}", Bool($"--{name}", inline), notes);
                else if (Values.Contains(name)) Apply(run, name, $"--{name}", inline ?? words.Value($"--{name}", "VALUE"), notes);
                else throw Words.Error($"--{name}", "not an option of docker run (see docker run --help)");
                continue;
            }
            // -it, -e K=V, -eK=V, -m=64m: pflag's short options, clustered.
            for (int j = 1; j < word.Length; j++)
            {
                if (!Short.TryGetValue(word[j], out var name)) throw Words.Error($"-{word[j]}", "not an option of docker run (see docker run --help)");
                if (Bools.Contains(name)) { Apply(run, name, $"-{word[j]}", "true", notes); continue; }
                var rest = word[(j + 1)..].TrimStart('=');
                Apply(run, name, $"-{word[j]}", rest.Length > 0 ? rest : words.Value($"-{word[j]}", "VALUE"), notes);
                break;
            }
        }
        var image = words.More ? words.Take() : throw Words.Error("IMAGE", "missing: give the root directory where docker takes an image, then the command");
        if (!image.StartsWith('/'))
        {
            notes.Add(new("IMAGE", $"'{image}' is an image name: the playground runs a root directory in its place " +
                                   $"(playground rootfs from-image {image} DIR makes one)"));
            image = null;
        }
        return new Imported(Finish(run, image, words.Rest(), notes), notes);
    }

    static SandboxSpec Finish(Run run, string? rootfs, IReadOnlyList<string> command, List<FormatNote> notes)
    {
        var spec = run.Spec;
        if (!run.Interactive) notes.Add(new("-i", "left out: docker gives the command no input; the playground always connects it"));
        if (spec.Limits.MemoryBytes is { } mem && (run.Swap is null || !Sizes.TryParse(run.Swap, out var swap) || swap != mem))
            notes.Add(new("--memory-swap", $"{run.Swap ?? "left out (docker allows as much swap as memory)"}: the playground turns swap off"));
        else if (spec.Limits.MemoryBytes is null && run.Swap is not null)
            notes.Add(new("--memory-swap", $"{run.Swap}: without --memory there is no limit to add swap to"));
        notes.Add(new("docker run", "docker also mounts mqueue on /dev/mqueue and cgroup on /sys/fs/cgroup: not in the spec"));
        return spec with
        {
            Rootfs = rootfs,
            Command = run.Entrypoint is { } e ? [e, .. command] : command,
            Environment = SpecForms.Environment(ShellCommandRenderer.EffectiveEnvironment(new EnvironmentSpec { Set = run.Env })),
            Capabilities = SpecForms.Capabilities(Caps(run)),
            Mounts = run.Mounts,
            Rlimits = run.Rlimits,
            SupplementaryGroups = run.Groups,
        };
    }

    /// <summary>As moby's TweakCapabilities: ALL in --cap-add is every one minus the drops; ALL in --cap-drop
    /// is only the adds; otherwise docker's default with the adds and without the drops.</summary>
    static CapabilitySets Caps(Run run)
    {
        var add = Capability.Mask(run.CapAdd.Where(c => c != "ALL"));
        var drop = Capability.Mask(run.CapDrop.Where(c => c != "ALL"));
        var set = run.CapAdd.Contains("ALL") ? Capability.AllMask & ~drop
            : run.CapDrop.Contains("ALL") ? add
            : (Capability.Mask(Capability.DockerDefault) | add) & ~drop;
        return new CapabilitySets(set, set, set, 0, 0);
    }

    static string Bool(string flag, string? value) => value switch
    {
        null or "true" or "1" => "true",
        "false" or "0" => "false",
        _ => throw Words.Error(flag, $"'{value}' is not true or false"),
    };

    static void Apply(Run run, string name, string flag, string value, List<FormatNote> notes)
    {
        var spec = run.Spec;
        var ns = spec.Namespaces;
        bool on = value == "true";
        void NotSupported(string why = "not supported") => notes.Add(new(flag, value == "true" ? why : $"{value}: {why}"));
        switch (name)
        {
            case "rm": break;   // the playground keeps nothing of an ended sandbox either
            case "interactive": run.Interactive = on; break;
            case "tty": spec = spec with { Terminal = on }; break;
            case "read-only": spec = spec with { ReadOnlyRoot = on }; break;
            case "detach": NotSupported("not supported: the playground runs the command attached"); break;
            case "privileged": NotSupported("not supported: give --cap-add ALL, --security-opt seccomp=unconfined and --security-opt systempaths=unconfined"); break;
            case "name": NotSupported("not part of a spec"); break;
            case "hostname": spec = spec with { Hostname = value }; break;
            case "workdir": spec = spec with { Cwd = value }; break;
            case "entrypoint": run.Entrypoint = value; break;
            case "user":
                var ids = value.Split(':');
                if (ids.Length > 2 || ids.Any(i => !uint.TryParse(i, out _)))
                    throw Words.Error(flag, $"'{value}' is not UID or UID:GID in numbers (names would need the image's /etc/passwd)");
                spec = spec with { Uid = uint.Parse(ids[0]), Gid = ids.Length == 2 ? uint.Parse(ids[1]) : 0 };
                break;
            case "group-add":
                run.Groups.Add(uint.TryParse(value, out var gid) ? gid : throw Words.Error(flag, $"'{value}' is not a numeric group id"));
                break;
            case "env":
                if (value.Contains('=')) run.Env.Add(value);
                else NotSupported("not supported: without =VALUE docker takes the caller's value; give NAME=VALUE");
                break;
            case "cap-add" or "cap-drop":
                if (value != "ALL" && !Capability.TryParse(value, out _))
                    throw Words.Error(flag, $"'{value}' is not a capability: use a name from capabilities(7), e.g. NET_ADMIN, or ALL");
                (name == "cap-add" ? run.CapAdd : run.CapDrop).Add(value.ToUpperInvariant());
                break;
            case "security-opt": spec = SecurityOpt(spec, flag, value, notes); break;
            case "network" or "net":
                spec = spec with { Namespaces = ns with { Net = value != "host" } };
                if (value is not ("none" or "host"))
                    NotSupported("taken as none: the playground's network namespace has only loopback (docker's bridge adds an interface with NAT)");
                break;
            case "pid" or "ipc" or "uts" or "userns" or "cgroupns":
                spec = spec with { Namespaces = Namespace(ns, name, flag, value, notes) };
                break;
            case "memory":
                spec = spec with { Limits = spec.Limits with { MemoryBytes = Size(flag, value) } };
                break;
            case "memory-swap": run.Swap = value; break;
            case "pids-limit":
                var pids = long.TryParse(value, out var p) ? p : throw Words.Error(flag, $"'{value}' is not a number (-1 for no limit)");
                spec = spec with { Limits = spec.Limits with { PidsMax = pids > 0 ? pids : null } };
                break;
            case "cpus":
                var cpus = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var c) ? c : throw Words.Error(flag, $"'{value}' is not a number of CPUs, e.g. 1.5");
                spec = spec with { Limits = spec.Limits with { Cpus = cpus } };
                break;
            case "ulimit": run.Rlimits.Add(Ulimit(flag, value)); break;
            case "mount": if (MountFlag(flag, value, notes) is { } m) run.Mounts.Add(m); break;
            case "volume": if (Volume(flag, value, notes) is { } v) run.Mounts.Add(v); break;
            case "tmpfs": run.Mounts.Add(Tmpfs(flag, value, notes)); break;
            default: NotSupported(); break;
        }
        run.Spec = spec;
    }

    static NamespaceSet Namespace(NamespaceSet ns, string name, string flag, string value, List<FormatNote> notes)
    {
        var kind = name switch { "pid" => NamespaceKind.Pid, "ipc" => NamespaceKind.Ipc, "uts" => NamespaceKind.Uts, "userns" => NamespaceKind.User, _ => NamespaceKind.Cgroup };
        // host shares the daemon's; the others (private, shareable, none, "") are the container's own,
        // except userns, which only dockerd --userns-remap makes.
        if (value == "host") return ns.With(kind, false);
        if (value.StartsWith("container:", StringComparison.Ordinal) || kind == NamespaceKind.User || (kind == NamespaceKind.Ipc && value == "none"))
            notes.Add(new(flag, $"{value}: not supported"));
        return kind == NamespaceKind.User ? ns : ns.With(kind, true);
    }

    static SandboxSpec SecurityOpt(SandboxSpec spec, string flag, string value, List<FormatNote> notes)
    {
        // key=value, or docker's older key:value.
        var cut = value.IndexOfAny(['=', ':']);
        var (key, arg) = cut < 0 ? (value, "") : (value[..cut], value[(cut + 1)..]);
        switch (key)
        {
            case "seccomp" when arg == "unconfined": return spec with { Seccomp = new SeccompSpec { Preset = SeccompPresets.Unconfined } };
            case "seccomp":
                notes.Add(new(flag, $"{value}: a profile file is not supported (docker's default profile kept)"));
                return spec;
            case "no-new-privileges" when arg is "" or "true" or "false": return spec with { NoNewPrivs = arg != "false" };
            case "systempaths" when arg == "unconfined": return spec with { MaskPaths = false };
            default:
                notes.Add(new(flag, $"{value}: not supported"));
                return spec;
        }
    }

    static long Size(string flag, string value) =>
        Sizes.TryParse(value, out var bytes) ? bytes : throw Words.Error(flag, $"'{value}' is not a size: give {Sizes.Accepted}");

    static RlimitSpec Ulimit(string flag, string value)
    {
        static ulong? Limit(string v) => v == "-1" ? Rlimits.Infinity : ulong.TryParse(v, out var n) ? n : null;
        var (name, limits) = value.Split('=', 2) is [var n, var l] ? (n, l.Split(':')) : (value, []);
        if (Ulimits.Contains(name) && limits is [var both] && Limit(both) is { } b) return new RlimitSpec(name, b, b);
        if (Ulimits.Contains(name) && limits is [var soft, var hard] && Limit(soft) is { } s && Limit(hard) is { } h) return new RlimitSpec(name, s, h);
        throw Words.Error(flag, $"'{value}' is not NAME=SOFT[:HARD] with NAME one of {string.Join(", ", Ulimits)} and -1 for unlimited");
    }

    /// <summary>--mount type=bind,src=…,dst=…[,readonly] or type=tmpfs,dst=…[,tmpfs-size=…]; volumes are named.</summary>
    static MountSpec? MountFlag(string flag, string value, List<FormatNote> notes)
    {
        var fields = new Dictionary<string, string>();
        foreach (var field in CsvFields(flag, value))
        {
            var (k, v) = field.Split('=', 2) is [var a, var b] ? (a, b) : (field, "true");
            fields[k switch { "source" => "src", "destination" or "target" => "dst", "ro" => "readonly", _ => k }] = v;
        }
        var type = fields.Remove("type", out var t) ? t : "volume";
        var ro = fields.Remove("readonly", out var r) && r is "true" or "1";
        if (!fields.Remove("dst", out var dst)) throw Words.Error(flag, $"'{value}' has no dst= (the path inside the sandbox)");
        MountSpec mount;
        if (type == "bind" && fields.Remove("src", out var src)) mount = MountSpec.Bind(src, dst, ro);
        else if (type == "tmpfs")
            mount = MountSpec.Tmpfs(dst, fields.Remove("tmpfs-size", out var size) ? Size(flag, size) : null) with { ReadOnly = ro };
        else
        {
            notes.Add(new(flag, $"{value}: a {type} mount is not supported (bind with src= and tmpfs are): left out"));
            return null;
        }
        foreach (var (k, v) in fields) notes.Add(new(flag, $"{k}={v}: not supported"));
        return mount;
    }

    /// <summary>-v /host:/inside[:ro]: only host paths (a name or a lone path is a docker volume).</summary>
    static MountSpec? Volume(string flag, string value, List<FormatNote> notes)
    {
        var parts = value.Split(':');
        if (parts.Length < 2 || !parts[0].StartsWith('/'))
        {
            notes.Add(new(flag, $"{value}: docker volumes are not supported (a host path is: /host:/inside[:ro]): left out"));
            return null;
        }
        var options = parts.Length > 2 ? parts[2].Split(',') : [];
        foreach (var o in options.Where(o => o is not ("ro" or "rw"))) notes.Add(new(flag, $"{o}: not supported"));
        return MountSpec.Bind(parts[0], parts[1], options.Contains("ro"));
    }

    /// <summary>--tmpfs /inside[:OPTIONS], OPTIONS as mount(8)'s: ro, rw and size= are taken.</summary>
    static MountSpec Tmpfs(string flag, string value, List<FormatNote> notes)
    {
        var (dst, options) = value.Split(':', 2) is [var d, var o] ? (d, o.Split(',')) : (value, []);
        var mount = MountSpec.Tmpfs(dst);
        foreach (var option in options)
        {
            if (option == "ro") mount = mount with { ReadOnly = true };
            else if (option.StartsWith("size=", StringComparison.Ordinal)) mount = mount with { SizeBytes = Size(flag, option[5..]) };
            else if (option != "rw") notes.Add(new(flag, $"{option}: not supported"));
        }
        return mount;
    }

    /// <summary>One CSV record as Go's encoding/csv reads it: fields by commas, "…" quoting with "" for a quote.</summary>
    static List<string> CsvFields(string flag, string record)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        for (int i = 0; i <= record.Length; i++)
        {
            if (i == record.Length || record[i] == ',') { fields.Add(field.ToString()); field.Clear(); continue; }
            if (record[i] != '"' || field.Length > 0) { field.Append(record[i]); continue; }
            int end = i + 1;
            for (; end < record.Length; end++)
            {
                if (record[end] != '"') field.Append(record[end]);
                else if (end + 1 < record.Length && record[end + 1] == '"') field.Append(record[++end]);
                else break;
            }
            if (end >= record.Length) throw Words.Error(flag, $"'{record}': a \"…\" quote is not closed");
            i = end;
        }
        return fields;
    }
}
