using System.Globalization;

namespace Playground.Engine.Spec.Formats;

/// <summary>
/// The workshop's command line: <c>env -i … unshare … [sh -c 'mount … &amp;&amp; hostname … &amp;&amp; exec CHAIN'] CHAIN</c>,
/// where CHAIN is <c>[setpriv --no-new-privs] [prlimit --RES=SOFT:HARD…] chroot [--userspec=U:G] [--groups=G,…] ROOTFS COMMAND…</c>.
/// Export is <see cref="ShellCommandRenderer"/>; import reads that form back (tools by name or path, short
/// options too) and names every option of these tools it does not take. What the tools cannot say is
/// what the import gives: all capabilities, no seccomp filter, no cgroup limits, no minimal /dev or
/// masked paths, the command started in /.
/// </summary>
public static class ShellFormat
{
    public static Exported Export(SandboxSpec spec) => ShellCommandRenderer.Export(spec);

    public static Imported Import(string text)
    {
        var notes = new List<FormatNote>();
        var words = new Words(ShellWords.Command(text));
        var env = Environment(words, notes);

        var ns = new Unshared();
        if (words.More && Tool(words.Peek) == "unshare") Unshare(words.Take(), words, ns, notes);

        // With setup steps the chain is the exec at the end of sh -c's script.
        var setup = new List<IReadOnlyList<string>>();
        var chain = words;
        if (words.More && Tool(words.Peek) == "sh")
        {
            words.Take();
            if (!words.More || words.Take() != "-c") throw Words.Error("sh", "expected sh -c 'SETUP && exec CHAIN'");
            var script = ShellWords.Commands(words.Value("sh -c", "'SETUP && exec CHAIN'"));
            if (words.More) notes.Add(new("sh -c", $"{ShellWords.Join(words.Rest())}: the script's $0 and arguments are not supported"));
            if (script.Count == 0 || script[^1][0] != "exec") throw Words.Error("sh -c", "the script must end in exec CHAIN (setpriv, prlimit, chroot)");
            setup.AddRange(script.Take(script.Count - 1));
            chain = new Words(script[^1].Skip(1).ToList());
        }
        var spec = Chain(chain, notes) with
        {
            Namespaces = ns.Set,
            UidMap = SpecForms.IdMap(ns.UidMap),
            GidMap = SpecForms.IdMap(ns.GidMap),
            TimeOffsets = ns.Offsets,
            Environment = env,
            MinimalDev = false,
            MaskPaths = false,
            Seccomp = new SeccompSpec { Preset = SeccompPresets.Unconfined },
            Capabilities = new CapabilitySpec { Preset = CapabilityPresets.All },
        };
        if (spec.Uid == 0 && spec.Gid == 0) spec = spec with { Uid = ns.SetUid, Gid = ns.SetGid };
        return new Imported(Setup(spec, ns.MountProc, setup, notes), notes);
    }

    static string Tool(string word) => Path.GetFileName(word);

    static EnvironmentSpec Environment(Words words, List<FormatNote> notes)
    {
        bool cleared = false;
        if (words.More && Tool(words.Peek) == "env")
        {
            words.Take();
            while (words.More && words.Peek.StartsWith('-'))
            {
                var option = words.Take();
                if (option is "-i" or "--ignore-environment" or "-") cleared = true;
                else notes.Add(new($"env {option}", "not supported"));
            }
        }
        var set = new List<string>();
        while (words.More && words.Peek.IndexOf('=') > 0 && !words.Peek.StartsWith('-')) set.Add(words.Take());
        if (cleared) return SpecForms.Environment(set);
        notes.Add(new("env", "no env -i: the command would get its caller's environment; read as the playground's base environment"));
        return new EnvironmentSpec { Set = set };
    }

    sealed class Unshared
    {
        public NamespaceSet Set = NamespaceSet.None;
        public List<IdMapping> UidMap = [], GidMap = [];
        public TimeOffsets Offsets = new();
        public uint SetUid, SetGid;
        public string? MountProc;
    }

    static readonly Dictionary<string, NamespaceKind> NamespaceOptions = new()
    {
        ["--mount"] = NamespaceKind.Mount, ["-m"] = NamespaceKind.Mount, ["--uts"] = NamespaceKind.Uts, ["-u"] = NamespaceKind.Uts,
        ["--ipc"] = NamespaceKind.Ipc, ["-i"] = NamespaceKind.Ipc, ["--net"] = NamespaceKind.Net, ["-n"] = NamespaceKind.Net,
        ["--pid"] = NamespaceKind.Pid, ["-p"] = NamespaceKind.Pid, ["--user"] = NamespaceKind.User, ["-U"] = NamespaceKind.User,
        ["--cgroup"] = NamespaceKind.Cgroup, ["-C"] = NamespaceKind.Cgroup, ["--time"] = NamespaceKind.Time, ["-T"] = NamespaceKind.Time,
    };

    // unshare(1)'s other options, by whether they take a value; each is named in a note.
    static readonly string[] UnshareWithValue = ["--propagation", "--setgroups", "--map-user", "--map-group", "--root", "-R", "--wd", "-w"];
    static readonly string[] UnshareFlags = ["--map-current-user", "-c", "--map-auto", "--keep-caps"];

    static void Unshare(string tool, Words words, Unshared ns, List<FormatNote> notes)
    {
        while (words.More && words.Peek.StartsWith('-'))
        {
            var word = words.Take();
            if (word == "--") break;
            var (option, inline) = word.Split('=', 2) is [var o, var v] ? (o, (string?)v) : (word, null);
            string Value(string usage) => inline ?? words.Value($"unshare {option}", usage);
            if (NamespaceOptions.TryGetValue(option, out var kind))
            {
                ns.Set = ns.Set.With(kind, true);
                if (inline is not null) notes.Add(new($"unshare {option}", $"keeping the namespace at {inline} is not supported"));
                continue;
            }
            switch (option)
            {
                case "--fork" or "-f" or "--kill-child": break;   // how unshare waits, not what the sandbox is
                case "--map-users": ns.UidMap = [Range(option, Value("OUTER,INNER,COUNT"))]; ns.Set = ns.Set with { User = true }; break;
                case "--map-groups": ns.GidMap = [Range(option, Value("OUTER,INNER,COUNT"))]; ns.Set = ns.Set with { User = true }; break;
                case "--map-root-user" or "-r":
                    ns.UidMap = ns.GidMap = [new IdMapping(0, 0, 1)];
                    ns.Set = ns.Set with { User = true };
                    notes.Add(new($"unshare {option}", "maps the caller's ids to root: read as run by root (0 0 1)"));
                    break;
                case "--setuid" or "-S": ns.SetUid = Id($"unshare {option}", Value("UID")); break;
                case "--setgid" or "-G": ns.SetGid = Id($"unshare {option}", Value("GID")); break;
                case "--mount-proc": ns.MountProc = inline ?? "/proc"; ns.Set = ns.Set with { Mount = true }; break;
                case "--monotonic": ns.Offsets = ns.Offsets with { MonotonicSeconds = Seconds(option, Value("SECONDS")) }; break;
                case "--boottime": ns.Offsets = ns.Offsets with { BoottimeSeconds = Seconds(option, Value("SECONDS")) }; break;
                case var other when UnshareWithValue.Contains(other): notes.Add(new($"unshare {other}", $"{Value("VALUE")}: not supported")); break;
                case var other when UnshareFlags.Contains(other): notes.Add(new($"unshare {other}", "not supported")); break;
                default: throw Words.Error($"unshare {option}", "not an option of unshare(1)");
            }
        }
    }

    static IdMapping Range(string option, string value)
    {
        var parts = value.Split(',');
        if (parts.Length == 3 && parts.Select(p => uint.TryParse(p, out var n) ? n : (uint?)null).ToArray() is [uint outer, uint inner, uint count])
            return new IdMapping(inner, outer, count);
        throw Words.Error($"unshare {option}", $"'{value}' is not OUTER,INNER,COUNT (three numbers, e.g. 100000,0,65536)");
    }

    static uint Id(string option, string value) =>
        uint.TryParse(value, out var id) ? id : throw Words.Error(option, $"'{value}' is not a numeric id (names would be looked up in a passwd file the spec does not have)");

    static long Seconds(string option, string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s) ? s : throw Words.Error($"unshare {option}", $"'{value}' is not a number of seconds");

    // setpriv(1)'s options other than --no-new-privs, by whether they take a value.
    static readonly string[] SetprivWithValue =
    [
        "--ambient-caps", "--inh-caps", "--bounding-set", "--ruid", "--euid", "--rgid", "--egid", "--reuid", "--regid",
        "--groups", "--securebits", "--pdeathsig", "--selinux-label", "--apparmor-profile",
    ];

    /// <summary>[setpriv …] [prlimit …] chroot [options] ROOTFS COMMAND…</summary>
    static SandboxSpec Chain(Words words, List<FormatNote> notes)
    {
        var spec = new SandboxSpec { NoNewPrivs = false, Mounts = [] };
        var rlimits = new List<RlimitSpec>();
        while (words.More && Tool(words.Peek) is "setpriv" or "prlimit")
        {
            var tool = Tool(words.Take());
            while (words.More && words.Peek.StartsWith('-'))
            {
                var word = words.Take();
                var (option, inline) = word.Split('=', 2) is [var o, var v] ? (o, (string?)v) : (word, null);
                if (tool == "setpriv" && option is "--no-new-privs" or "--nnp") spec = spec with { NoNewPrivs = true };
                else if (tool == "setpriv" && SetprivWithValue.Contains(option))
                    notes.Add(new($"setpriv {option}", $"{inline ?? words.Value($"setpriv {option}", "VALUE")}: not supported"));
                else if (tool == "prlimit" && SpecForms.RlimitName(option.TrimStart('-')) is { } name && inline is not null)
                    rlimits.Add(Limit($"prlimit {option}", name, inline));
                else throw Words.Error($"{tool} {option}", tool == "prlimit"
                    ? $"expected --RESOURCE=SOFT:HARD with a resource of {string.Join(", ", Rlimits.Names)}"
                    : "not supported (setpriv --no-new-privs is)");
            }
        }
        if (!words.More || Tool(words.Peek) != "chroot")
            throw Words.Error("chroot", $"expected chroot ROOTFS COMMAND, found {(words.More ? $"'{words.Peek}'" : "nothing")}");
        words.Take();
        while (words.More && words.Peek.StartsWith("--"))
        {
            var word = words.Take();
            var (option, value) = word.Split('=', 2) is [var o, var v] ? (o, v) : (word, "");
            switch (option)
            {
                case "--userspec" when value.Split(':') is [var u, var g]:
                    spec = spec with { Uid = Id("chroot --userspec", u), Gid = Id("chroot --userspec", g) };
                    break;
                case "--groups":
                    spec = spec with { SupplementaryGroups = value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(g => Id("chroot --groups", g)).ToList() };
                    break;
                case "--skip-chdir": notes.Add(new("chroot --skip-chdir", "not supported: the command starts in /")); break;
                default: throw Words.Error($"chroot {option}", "expected --userspec=UID:GID, --groups=GID,… or the root directory");
            }
        }
        var rootfs = words.Value("chroot", "ROOTFS COMMAND");
        return spec with { Rootfs = rootfs, Rlimits = rlimits, Command = words.Rest() };
    }

    static RlimitSpec Limit(string option, string name, string value)
    {
        static ulong? Parse(string v) => v == "unlimited" ? Rlimits.Infinity : ulong.TryParse(v, out var n) ? n : null;
        var parts = value.Split(':');
        if (parts.Length == 1 && Parse(value) is { } both) return new RlimitSpec(name, both, both);
        if (parts is [var soft, var hard] && Parse(soft) is { } s && Parse(hard) is { } h) return new RlimitSpec(name, s, h);
        throw Words.Error(option, $"'{value}' is not SOFT:HARD or one value for both (numbers or unlimited)");
    }

    /// <summary>The mounts and host name made by sh -c before the exec, in order.</summary>
    static SandboxSpec Setup(SandboxSpec spec, string? mountProc, List<IReadOnlyList<string>> setup, List<FormatNote> notes)
    {
        var rootfs = spec.Rootfs!;
        var prefix = rootfs.TrimEnd('/');
        var mounts = new List<MountSpec>();
        string? Inside(string field, string path)
        {
            if (path.StartsWith(prefix + "/", StringComparison.Ordinal)) return path[prefix.Length..];
            notes.Add(new(field, $"{path} is outside the root {rootfs}: left out"));
            return null;
        }
        if (mountProc is not null && Inside("unshare --mount-proc", mountProc) is { } procDst) mounts.Add(MountSpec.Proc(procDst));

        foreach (var command in setup)
        {
            var words = new Words(command);
            var tool = Tool(words.Take());
            if (tool == "hostname" && command.Count == 2) { spec = spec with { Hostname = words.Take() }; continue; }
            if (tool != "mount") { notes.Add(new("sh -c", $"{ShellWords.Join(command)}: not supported (mount and hostname steps are)")); continue; }

            string? type = null;
            var options = new List<string>();
            var paths = new List<string>();
            while (words.More)
            {
                var w = words.Take();
                if (w == "-t") type = words.Value("mount -t", "TYPE");
                else if (w == "-o") options.AddRange(words.Value("mount -o", "OPTIONS").Split(','));
                else if (w.StartsWith('-')) throw Words.Error($"mount {w}", "not supported (mount -t TYPE -o OPTIONS SOURCE TARGET is)");
                else paths.Add(w);
            }
            if (paths.Count != 2) throw Words.Error("mount", $"{ShellWords.Join(command)}: expected a source and a target");
            var ro = options.Remove("ro");
            options.Remove("rw");
            if (options.Remove("bind"))
            {
                if (paths[0] == rootfs && paths[1] == rootfs) spec = spec with { ReadOnlyRoot = ro };
                else if (Inside("mount", paths[1]) is { } dst) mounts.Add(MountSpec.Bind(paths[0], dst, ro));
            }
            else if (SpecForms.KernelMountType(type) is { } kind)
            {
                var mount = new MountSpec { Type = kind, ReadOnly = ro };
                if (kind == MountType.Devpts) { options.Remove("newinstance"); options.Remove("ptmxmode=0666"); }
                if (kind == MountType.Tmpfs && options.FirstOrDefault(o => o.StartsWith("size=")) is { } size && Sizes.TryParse(size[5..], out var bytes))
                {
                    options.Remove(size);
                    mount = mount with { SizeBytes = bytes };
                }
                if (Inside("mount", paths[1]) is { } dst) mounts.Add(mount with { Destination = dst });
            }
            else { notes.Add(new("mount", $"{ShellWords.Join(command)}: a {type ?? "typeless"} mount is not supported: left out")); continue; }
            foreach (var o in options) notes.Add(new("mount -o", $"{o}: not supported"));
        }
        return spec with { Mounts = mounts };
    }
}
