using Playground.Engine.Spec.Formats;

namespace Playground.Engine.Spec;

/// <summary>How <see cref="ShellCommandRenderer"/> spells the tools it runs.</summary>
public sealed record ShellRenderOptions
{
    /// <summary>Maps a tool name (env, unshare, chroot, …) to how it is written. When null, a tool is written
    /// by name unless the cleared environment leaves no PATH and glibc's default search (/bin:/usr/bin)
    /// would miss it on this host, e.g. Debian's /usr/sbin/chroot: then by its absolute path.</summary>
    public Func<string, string>? ToolPath { get; init; }
}

/// <summary>
/// The spec as one shell command built from the workshop's tools: <c>env -i</c>, util-linux <c>unshare</c>,
/// <c>mount</c>, <c>hostname</c>, <c>prlimit</c>, <c>setpriv</c> and coreutils <c>chroot</c>. Knobs
/// those tools cannot express become notes (comment lines above the command in <see cref="Render"/>),
/// never silently dropped; <see cref="ShellFormat"/> reads the command back. The engine itself switches
/// root with pivot_root when the mount namespace is on; chroot is the one-command equivalent a person can type.
/// </summary>
public static class ShellCommandRenderer
{
    /// <summary>The command with a <c># field: note</c> line above it for each knob it leaves out.</summary>
    public static string Render(SandboxSpec spec, ShellRenderOptions? options = null)
    {
        var (command, notes) = Export(spec, options);
        return string.Concat(notes.Select(n => $"# {n}\n")) + command;
    }

    public static Exported Export(SandboxSpec spec, ShellRenderOptions? options = null)
    {
        var notes = new List<FormatNote>();
        var env = EffectiveEnvironment(spec.Environment);
        var pathSet = env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal));
        string Tool(string name) => options?.ToolPath?.Invoke(name) ?? (pathSet ? name : HostTools.Spell(name));
        var ns = spec.Namespaces;
        var rootfs = spec.Rootfs ?? "ROOTFS";

        // env -i first, as in the workshop: the engine never passes the server's own environment.
        var argv = new List<string> { "env", "-i" };
        argv.AddRange(env);

        var setup = new List<string>();   // shell steps run inside the namespaces before the root switch
        var mounts = spec.Mounts.ToList();
        if (ns.Enabled.Any())
        {
            argv.Add(Tool("unshare"));
            argv.AddRange(UnshareFlags(spec, notes));
            // --mount-proc mounts before anything else, so use it only when proc is first anyway.
            if (ns.Mount && !spec.ReadOnlyRoot && mounts.FirstOrDefault() is { Type: MountType.Proc, Destination: "/proc", ReadOnly: false })
            {
                argv.Add($"--mount-proc={rootfs}/proc");
                mounts.RemoveAt(0);
            }
        }

        if (ns.Mount)
        {
            if (spec.ReadOnlyRoot) setup.Add(Q(Tool("mount"), "-o", "bind,ro", rootfs, rootfs));
            setup.AddRange(mounts.Select(m => MountCommand(m, rootfs, Tool)));
            notes.Add(new("rootfs", "the engine switches root with pivot_root (mount namespace on); chroot is the one-command equivalent"));
        }
        else
        {
            if (mounts.Count > 0) notes.Add(new("mounts", "not expressed: they need the mount namespace (namespaces.mount)"));
            if (spec.ReadOnlyRoot) notes.Add(new("readOnlyRoot", "not expressed: it needs the mount namespace (namespaces.mount)"));
        }

        if (spec.Hostname is { } host)
        {
            if (ns.Uts) setup.Add(Q(Tool("hostname"), host));
            else notes.Add(new("hostname", $"not expressed: {host} needs the uts namespace"));
        }

        // The exec chain: each tool changes one thing and execs the next, ending in chroot and the command.
        var chain = new List<string>();
        if (spec.NoNewPrivs) chain.AddRange([Tool("setpriv"), "--no-new-privs"]);
        if (spec.Rlimits.Count > 0)
        {
            chain.Add(Tool("prlimit"));
            foreach (var r in spec.Rlimits)
                if (Rlimits.TryParse(r.Name, out var res)) chain.Add($"--{Rlimits.Names[res]}={Limit(r.Soft)}:{Limit(r.Hard)}");
        }
        chain.Add(Tool("chroot"));
        if (spec.Uid != 0 || spec.Gid != 0) chain.Add($"--userspec={spec.Uid}:{spec.Gid}");
        if (spec.SupplementaryGroups.Count > 0) chain.Add("--groups=" + string.Join(',', spec.SupplementaryGroups));
        chain.Add(rootfs);
        chain.AddRange(spec.Command);

        if (setup.Count == 0) argv.AddRange(chain);
        else argv.AddRange([Tool("sh"), "-c", string.Join(" && ", setup.Append("exec " + Q(chain)))]);

        NotExpressed(spec, notes);
        return new Exported(Q(argv), notes);
    }

    static IEnumerable<string> UnshareFlags(SandboxSpec spec, List<FormatNote> notes)
    {
        var ns = spec.Namespaces;
        if (ns.User)
        {
            yield return "--user";
            // unshare takes one range per option; it runs newuidmap/newgidmap (see LINUX-NOTES).
            var uid = spec.EffectiveUidMap[0];
            var gid = spec.EffectiveGidMap[0];
            yield return $"--map-users={uid.Outside},{uid.Inside},{uid.Count}";
            yield return $"--map-groups={gid.Outside},{gid.Inside},{gid.Count}";
            if (spec.EffectiveUidMap.Count > 1) notes.Add(new("uidMap", "not expressed beyond its first line (unshare takes one range)"));
            if (spec.EffectiveGidMap.Count > 1) notes.Add(new("gidMap", "not expressed beyond its first line (unshare takes one range)"));
            // Become root inside first (writing a map does not change our own ids); chroot needs
            // CAP_SYS_CHROOT, and chroot --userspec switches to the spec's ids after the root switch.
            yield return "--setuid"; yield return "0";
            yield return "--setgid"; yield return "0";
        }
        if (ns.Mount) yield return "--mount";
        if (ns.Uts) yield return "--uts";
        if (ns.Ipc) yield return "--ipc";
        if (ns.Pid) yield return "--pid";
        // A new pid or time namespace applies to children only: fork so the command is inside it.
        if (ns.Pid || ns.Time) yield return "--fork";
        if (ns.Net) yield return "--net";
        if (ns.Cgroup) yield return "--cgroup";
        if (ns.Time)
        {
            yield return "--time";
            if (spec.TimeOffsets.MonotonicSeconds != 0) yield return $"--monotonic={spec.TimeOffsets.MonotonicSeconds}";
            if (spec.TimeOffsets.BoottimeSeconds != 0) yield return $"--boottime={spec.TimeOffsets.BoottimeSeconds}";
        }
    }

    static string MountCommand(MountSpec m, string rootfs, Func<string, string> tool)
    {
        var dst = rootfs.TrimEnd('/') + m.Destination;
        var opts = new List<string>();
        if (m.ReadOnly) opts.Add("ro");
        var args = new List<string> { tool("mount") };
        switch (m.Type)
        {
            case MountType.Bind:
                // util-linux applies ro to a bind mount by remounting it for us.
                opts.Insert(0, "bind");
                args.AddRange(["-o", string.Join(',', opts), m.Source ?? "SOURCE", dst]);
                return Q(args);
            case MountType.Devpts: opts.AddRange(["newinstance", "ptmxmode=0666"]); break;
            case MountType.Tmpfs when m.SizeBytes is { } size: opts.Add("size=" + Sizes.FormatShort(size)); break;
        }
        var type = m.Type.ToString().ToLowerInvariant();
        args.AddRange(["-t", type]);
        if (opts.Count > 0) args.AddRange(["-o", string.Join(',', opts)]);
        args.AddRange([type, dst]);
        return Q(args);
    }

    static void NotExpressed(SandboxSpec spec, List<FormatNote> notes)
    {
        var caps = CapabilitySets.Resolve(spec.Capabilities);
        var full = new CapabilitySets(Capability.AllMask, Capability.AllMask, Capability.AllMask, 0, 0);
        if (caps != full)
        {
            string Set(ulong m) => m == 0 ? "(none)" : string.Join(',', Capability.Names(m).Select(n => n[4..].ToLowerInvariant()));
            notes.Add(new("capabilities", $"not expressed: preset {spec.Capabilities.Preset}, bounding={Set(caps.Bounding)} effective={Set(caps.Effective)} " +
                      $"permitted={Set(caps.Permitted)} inheritable={Set(caps.Inheritable)} ambient={Set(caps.Ambient)}"));
        }
        var sc = spec.Seccomp;
        if (sc.Preset != SeccompPresets.Unconfined || sc.Rules.Count > 0 || sc.DefaultAction is not null)
        {
            var parts = new List<string> { $"preset {sc.Preset}" };
            if (sc.DefaultAction is { } d) parts.Add($"default {SpecJson.SeccompActionConverter.Format(d)}");
            parts.AddRange(sc.Rules.Select(r => $"{r.Syscall}={SpecJson.SeccompActionConverter.Format(r.Action)}"));
            notes.Add(new("seccomp", "not expressed: " + string.Join(", ", parts)));
        }
        if (spec.MinimalDev) notes.Add(new("minimalDev", "not expressed: a tmpfs /dev with null, zero, full, random, urandom, tty, a new devpts and /dev/shm"));
        if (spec.MaskPaths) notes.Add(new("maskPaths", $"not expressed: masked {string.Join(' ', DockerPaths.Masked)}; read-only {string.Join(' ', DockerPaths.ReadOnly)}"));
        var l = spec.Limits;
        if (l.Any)
        {
            var parts = new List<string>();
            if (l.MemoryBytes is { } mem) parts.Add($"memory.max={Sizes.FormatShort(mem)} (swap off)");
            if (l.PidsMax is { } pids) parts.Add($"pids.max={pids}");
            if (l.Cpus is { } cpus) parts.Add($"cpu.max=\"{(long)Math.Round(cpus * 100_000)} 100000\"");
            notes.Add(new("limits", "not expressed: cgroup limits " + string.Join(", ", parts)));
        }
        if (spec.Cwd != "/") notes.Add(new("cwd", $"not expressed: {spec.Cwd} (chroot starts the command in /)"));
        if (spec.Terminal) notes.Add(new("terminal", "not expressed: the command uses the terminal it is started from"));
    }

    /// <summary>The environment the command gets: Set applied in order over the base (or nothing, when cleared).</summary>
    public static IReadOnlyList<string> EffectiveEnvironment(EnvironmentSpec env)
    {
        var result = new List<string>(env.Clear ? [] : EnvironmentSpec.Base);
        foreach (var entry in env.Set)
        {
            var key = entry.Split('=', 2)[0] + "=";
            var i = result.FindIndex(e => e.StartsWith(key, StringComparison.Ordinal));
            if (i >= 0) result[i] = entry; else result.Add(entry);
        }
        return result;
    }

    static string Limit(ulong v) => v == Rlimits.Infinity ? "unlimited" : v.ToString();

    static string Q(params IEnumerable<string> args) => string.Join(' ', args.Select(Quote));

    /// <summary>Quotes one argument for sh: bare when only safe characters, else in single quotes.</summary>
    public static string Quote(string arg)
    {
        if (arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "_@%+=:,./-".Contains(c))) return arg;
        return "'" + arg.Replace("'", "'\\''") + "'";
    }

    static class HostTools
    {
        static readonly string[] Search = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
        // glibc's execvp falls back to confstr(_CS_PATH) = /bin:/usr/bin when PATH is unset.
        static readonly string[] Default = ["/bin", "/usr/bin"];

        public static string Spell(string name)
        {
            if (Default.Any(d => File.Exists(Path.Join(d, name)))) return name;
            return Search.Select(d => Path.Join(d, name)).FirstOrDefault(File.Exists) ?? name;
        }
    }
}
