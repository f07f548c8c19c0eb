namespace Playground.Engine.Spec.Formats;

public static partial class BwrapFormat
{
    /// <summary>bwrap's options (bwrap --help, 0.8 and later) with the values each takes.</summary>
    static readonly Dictionary<string, string> Options = new()
    {
        ["--help"] = "", ["--version"] = "", ["--args"] = "FD", ["--argv0"] = "VALUE", ["--level-prefix"] = "",
        ["--unshare-all"] = "", ["--share-net"] = "", ["--unshare-user"] = "", ["--unshare-user-try"] = "", ["--unshare-ipc"] = "",
        ["--unshare-pid"] = "", ["--unshare-net"] = "", ["--unshare-uts"] = "", ["--unshare-cgroup"] = "", ["--unshare-cgroup-try"] = "",
        ["--userns"] = "FD", ["--userns2"] = "FD", ["--disable-userns"] = "", ["--assert-userns-disabled"] = "", ["--pidns"] = "FD",
        ["--uid"] = "UID", ["--gid"] = "GID", ["--hostname"] = "NAME", ["--chdir"] = "DIR",
        ["--clearenv"] = "", ["--setenv"] = "VAR VALUE", ["--unsetenv"] = "VAR", ["--lock-file"] = "DEST", ["--sync-fd"] = "FD",
        ["--bind"] = "SRC DEST", ["--bind-try"] = "SRC DEST", ["--dev-bind"] = "SRC DEST", ["--dev-bind-try"] = "SRC DEST",
        ["--ro-bind"] = "SRC DEST", ["--ro-bind-try"] = "SRC DEST", ["--bind-fd"] = "FD DEST", ["--ro-bind-fd"] = "FD DEST",
        ["--remount-ro"] = "DEST", ["--exec-label"] = "LABEL", ["--file-label"] = "LABEL",
        ["--proc"] = "DEST", ["--dev"] = "DEST", ["--tmpfs"] = "DEST", ["--mqueue"] = "DEST", ["--dir"] = "DEST",
        ["--file"] = "FD DEST", ["--bind-data"] = "FD DEST", ["--ro-bind-data"] = "FD DEST", ["--symlink"] = "SRC DEST",
        ["--seccomp"] = "FD", ["--add-seccomp-fd"] = "FD", ["--block-fd"] = "FD", ["--userns-block-fd"] = "FD",
        ["--info-fd"] = "FD", ["--json-status-fd"] = "FD", ["--new-session"] = "", ["--die-with-parent"] = "", ["--as-pid-1"] = "",
        ["--cap-add"] = "CAP", ["--cap-drop"] = "CAP", ["--perms"] = "OCTAL", ["--size"] = "BYTES", ["--chmod"] = "OCTAL PATH",
        ["--overlay-src"] = "SRC", ["--overlay"] = "RWSRC WORKDIR DEST", ["--tmp-overlay"] = "DEST", ["--ro-overlay"] = "DEST",
    };

    /// <summary>What the arguments said, before it becomes a spec.</summary>
    sealed class Sandbox
    {
        public NamespaceSet Ns = NamespaceSet.None with { Mount = true };
        public uint Uid, Gid;
        public string? Rootfs, Hostname, Cwd;
        public bool ReadOnlyRoot, MinimalDev, NewSession;
        public List<string>? Env;   // null: the caller's
        public List<string> EnvChanges = [];
        public List<MountSpec> Mounts = [];
        public List<(bool Add, string Cap)> Caps = [];
        public long? Size;
    }

    public static Imported Import(string text)
    {
        var notes = new List<FormatNote>();
        var words = new Words(ShellWords.Command(text));
        if (words.More && Path.GetFileName(words.Peek) == "bwrap") words.Take();
        var box = new Sandbox();
        while (words.More && words.Peek.StartsWith('-'))
        {
            var option = words.Take();
            if (option == "--") break;
            if (!Options.TryGetValue(option, out var usage)) throw Words.Error(option, "not an option of bwrap (see bwrap --help)");
            var names = usage.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = new string[names.Length];
            for (int i = 0; i < names.Length; i++)
                values[i] = words.More ? words.Take()
                    : throw Words.Error(option, $"needs {names.Length} value{(names.Length > 1 ? "s" : "")} ({option} {usage}), got {i}");
            if (box.Size is not null && option != "--tmpfs")
                throw Words.Error("--size", $"must come just before --tmpfs, not {option}");
            Apply(box, option, values, notes);
        }
        return new Imported(Finish(box, words.Rest(), notes), notes);
    }

    static void Apply(Sandbox box, string option, string[] v, List<FormatNote> notes)
    {
        void NotSupported(string why = "not supported") => notes.Add(new(option, v.Length > 0 ? $"{string.Join(' ', v)}: {why}" : why));
        switch (option)
        {
            case "--unshare-all": box.Ns = box.Ns with { User = true, Ipc = true, Pid = true, Net = true, Uts = true, Cgroup = true }; break;
            case "--share-net": box.Ns = box.Ns with { Net = false }; break;
            // -try: made where the kernel allows it, as on any machine the playground runs on.
            case "--unshare-user" or "--unshare-user-try": box.Ns = box.Ns with { User = true }; break;
            case "--unshare-ipc": box.Ns = box.Ns with { Ipc = true }; break;
            case "--unshare-pid": box.Ns = box.Ns with { Pid = true }; break;
            case "--unshare-net": box.Ns = box.Ns with { Net = true }; break;
            case "--unshare-uts": box.Ns = box.Ns with { Uts = true }; break;
            case "--unshare-cgroup" or "--unshare-cgroup-try": box.Ns = box.Ns with { Cgroup = true }; break;
            case "--uid": box.Uid = Id(option, v[0]); break;
            case "--gid": box.Gid = Id(option, v[0]); break;
            case "--hostname": box.Hostname = v[0]; break;
            case "--chdir": box.Cwd = v[0]; break;
            // Environment options act when read, in order (bwrap calls setenv/unsetenv/clearenv as it parses).
            case "--clearenv": box.Env = []; box.EnvChanges.Clear(); break;
            case "--setenv": box.EnvChanges.Add($"{v[0]}={v[1]}"); break;
            case "--unsetenv": box.EnvChanges.Add(v[0]); break;
            case "--bind" or "--ro-bind" or "--dev-bind" or "--bind-try" or "--ro-bind-try" or "--dev-bind-try":
                var ro = option.StartsWith("--ro-", StringComparison.Ordinal);
                if (v[1] == "/") { box.Rootfs = v[0]; box.ReadOnlyRoot |= ro; }
                else box.Mounts.Add(MountSpec.Bind(v[0], v[1], ro));
                if (option.StartsWith("--dev-", StringComparison.Ordinal)) NotSupported("device access is not supported: taken as --bind");
                if (option.EndsWith("-try", StringComparison.Ordinal)) NotSupported("-try is not supported: the source must exist");
                break;
            case "--remount-ro":
                var i = box.Mounts.FindLastIndex(m => m.Destination == v[0]);
                if (v[0] == "/") box.ReadOnlyRoot = true;
                else if (i >= 0) box.Mounts[i] = box.Mounts[i] with { ReadOnly = true };
                else NotSupported("not supported: only a mount made before it, or /, can be remounted read-only");
                break;
            case "--proc": box.Mounts.Add(MountSpec.Proc(v[0])); break;
            case "--mqueue": box.Mounts.Add(new MountSpec { Type = MountType.Mqueue, Destination = v[0] }); break;
            case "--tmpfs": box.Mounts.Add(MountSpec.Tmpfs(v[0], box.Size)); box.Size = null; break;
            case "--size":
                box.Size = long.TryParse(v[0], out var size) && size > 0 ? size : throw Words.Error(option, $"'{v[0]}' is not a size in bytes");
                break;
            case "--dev":
                if (v[0] == "/dev") box.MinimalDev = true;
                else NotSupported("not supported: the playground's minimal /dev is at /dev");
                break;
            case "--cap-add" or "--cap-drop":
                var cap = v[0].ToUpperInvariant();
                if (cap != "ALL" && !Capability.TryParse(cap, out _))
                    throw Words.Error(option, $"'{v[0]}' is not a capability: use a name from capabilities(7), e.g. CAP_NET_RAW, or ALL");
                box.Caps.Add((option == "--cap-add", cap));
                break;
            case "--new-session": box.NewSession = true; break;
            case "--die-with-parent": break;   // the engine ends its sandboxes with it too
            case "--seccomp" or "--add-seccomp-fd": NotSupported("not supported: a compiled BPF program on a file descriptor cannot be read back into rules"); break;
            default: NotSupported(); break;
        }
    }

    static uint Id(string option, string value) =>
        uint.TryParse(value, out var id) ? id : throw Words.Error(option, $"'{value}' is not a numeric id");

    static SandboxSpec Finish(Sandbox box, IReadOnlyList<string> command, List<FormatNote> notes)
    {
        if (box.Rootfs is null) notes.Add(new("--bind", "no --bind DIR / : bwrap's root would be an empty tmpfs; the spec needs a root directory"));
        if (box.Cwd is null) notes.Add(new("--chdir", "left out: bwrap starts in its caller's directory, or $HOME; read as /"));

        var env = new List<string>(box.Env ?? EnvironmentSpec.Base);
        if (box.Env is null) notes.Add(new("--clearenv", "left out: bwrap passes its caller's environment; read as the playground's base"));
        foreach (var change in box.EnvChanges)
        {
            var key = SpecForms.Key(change);
            var at = env.FindIndex(e => SpecForms.Key(e) == key);
            if (!change.Contains('=')) { if (at >= 0) env.RemoveAt(at); }
            else if (at >= 0) env[at] = change;
            else env.Add(change);
        }

        return new SandboxSpec
        {
            Rootfs = box.Rootfs,
            ReadOnlyRoot = box.ReadOnlyRoot,
            Namespaces = box.Ns,
            UidMap = box.Ns.User ? [new IdMapping(box.Uid, 0, 1)] : [],
            GidMap = box.Ns.User ? [new IdMapping(box.Gid, 0, 1)] : [],
            Mounts = box.Mounts,
            MinimalDev = box.MinimalDev,
            MaskPaths = false,
            Hostname = box.Hostname,
            Environment = SpecForms.Environment(env),
            Cwd = box.Cwd ?? "/",
            Uid = box.Uid,
            Gid = box.Gid,
            Capabilities = SpecForms.Capabilities(Caps(box, notes)),
            NoNewPrivs = true,
            Seccomp = new SeccompSpec { Preset = SeccompPresets.Unconfined },
            Command = command,
            Terminal = !box.NewSession,
        };
    }

    /// <summary>
    /// Run by root, bwrap starts from root's capabilities; without --cap-add or --cap-drop it keeps them
    /// as they are (all, none inheritable), otherwise it gives the result as every set (see the export).
    /// </summary>
    static CapabilitySets Caps(Sandbox box, List<FormatNote> notes)
    {
        if (box.Caps.Count == 0 || box.Caps[0].Cap != "ALL")
            notes.Add(new("--cap-drop", "no --cap-drop ALL first: bwrap starts from its caller's capabilities; read as run by root (all of them)"));
        if (box.Caps.Count == 0) return new CapabilitySets(Capability.AllMask, Capability.AllMask, Capability.AllMask, 0, 0);
        var set = Capability.AllMask;
        foreach (var (add, cap) in box.Caps)
        {
            var mask = cap == "ALL" ? Capability.AllMask : Capability.Mask([cap]);
            set = add ? set | mask : set & ~mask;
        }
        return new CapabilitySets(box.Ns.User ? set : Capability.AllMask, set, set, set, set);
    }
}
