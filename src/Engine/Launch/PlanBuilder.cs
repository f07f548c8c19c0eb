using Playground.Engine.Launch.Protocol;
using Playground.Engine.Seccomp;
using Playground.Engine.Spec;

namespace Playground.Engine.Launch;

/// <summary>Turns a validated <see cref="SandboxSpec"/> into init's <see cref="LaunchPlan"/> and the util-linux command that creates the namespaces.</summary>
internal static class PlanBuilder
{
    static readonly int LastCap = ReadLastCap();

    public static LaunchPlan Build(SandboxSpec spec, TerminalSize size)
    {
        var ns = spec.Namespaces;
        var caps = CapabilitySets.Resolve(spec.Capabilities);
        var mounts = ns.Mount ? MountOps(spec) : [];
        return new LaunchPlan
        {
            Rootfs = Path.GetFullPath(spec.Rootfs!),
            RootSwitch = ns.Mount ? RootSwitch.PivotRoot : RootSwitch.Chroot,
            ReadOnlyRoot = spec.ReadOnlyRoot,
            NewCgroupNamespace = ns.Cgroup,
            ReapAsPid1 = ns.Pid,
            NewUserNamespace = ns.User,
            Mounts = mounts,
            DevptsInside = ns.Mount ? DevptsInside(spec) : "",
            Terminal = spec.Terminal,
            Columns = size.Columns,
            Rows = size.Rows,
            Hostname = spec.Hostname ?? "",
            Rlimits = spec.Rlimits.Select(r => Rlimits.TryParse(r.Name, out var n) ? new Rlimit(n, r.Soft, r.Hard) : null)
                .OfType<Rlimit>().ToList(),
            Uid = spec.Uid,
            Gid = spec.Gid,
            Groups = spec.SupplementaryGroups,
            CapBounding = caps.Bounding,
            CapEffective = caps.Effective,
            CapPermitted = caps.Permitted,
            CapInheritable = caps.Inheritable,
            CapAmbient = caps.Ambient,
            LastCap = LastCap,
            NoNewPrivs = spec.NoNewPrivs,
            SeccompBpf = SeccompCompiler.Compile(spec.Seccomp)?.Bpf ?? [],
            Cwd = spec.Cwd,
            Env = Environment(spec.Environment),
            Argv = spec.Command,
        };
    }

    /// <summary>The same process, joining a running sandbox: no mounts, no root switch of its own when its mount namespace is joined.</summary>
    public static LaunchPlan ForExec(LaunchPlan launched, IReadOnlyList<string> command, bool terminal, TerminalSize size) => launched with
    {
        RootSwitch = launched.RootSwitch == RootSwitch.PivotRoot ? RootSwitch.Joined : RootSwitch.Chroot,
        ReadOnlyRoot = false,
        NewCgroupNamespace = false,
        NewUserNamespace = false,
        ReapAsPid1 = false,
        Mounts = [],
        Hostname = "",
        Terminal = terminal,
        Columns = size.Columns,
        Rows = size.Rows,
        Argv = command,
    };

    /// <summary>unshare(1) flags for the namespaces util-linux creates (cgroup is made by init, after it joined its cgroup).</summary>
    public static List<string> UnshareArgs(SandboxSpec spec, string initPath)
    {
        var ns = spec.Namespaces;
        var args = new List<string>();
        // --keep-caps: the capabilities of the new user namespace survive the exec of init,
        // which becomes root in it once the engine has written the id maps.
        if (ns.User) args.AddRange(["--user", "--keep-caps"]);
        if (ns.Mount) args.AddRange(["--mount", "--propagation", "unchanged"]);
        if (ns.Uts) args.Add("--uts");
        if (ns.Ipc) args.Add("--ipc");
        if (ns.Net) args.Add("--net");
        if (ns.Pid) args.AddRange(["--pid", "--fork", "--kill-child"]);
        if (ns.Time)
        {
            args.Add("--time");
            if (spec.TimeOffsets.MonotonicSeconds != 0) args.AddRange(["--monotonic", spec.TimeOffsets.MonotonicSeconds.ToString()]);
            if (spec.TimeOffsets.BoottimeSeconds != 0) args.AddRange(["--boottime", spec.TimeOffsets.BoottimeSeconds.ToString()]);
        }
        if (args.Count == 0) return [initPath];
        return ["unshare", .. args, "--", initPath];
    }

    public static List<string> NsenterArgs(SandboxSpec spec, int targetPid, string initPath)
    {
        var ns = spec.Namespaces;
        var args = new List<string> { "nsenter", "--target", targetPid.ToString() };
        if (ns.User) args.Add("--user");
        // Not --mount: init could not start where its ELF interpreter is missing; it joins
        // the mount namespace itself (RootSwitch.Joined).
        if (ns.Uts) args.Add("--uts");
        if (ns.Ipc) args.Add("--ipc");
        if (ns.Net) args.Add("--net");
        if (ns.Pid) args.Add("--pid");
        if (ns.Cgroup) args.Add("--cgroup");
        if (ns.Time) args.Add("--time");
        if (args.Count == 3) return [initPath];
        return [.. args, "--", initPath];
    }

    static List<MountOp> MountOps(SandboxSpec spec)
    {
        var ops = new List<MountOp>();
        // Docker's order: /dev first, then what the person asked for, then the masks (which
        // need /proc and /sys in place).
        if (spec.MinimalDev) ops.AddRange(MinimalDev);
        foreach (var m in spec.Mounts)
        {
            var target = InsideRoot(spec.Rootfs!, m.Destination);
            ops.Add(m.Type switch
            {
                MountType.Bind => new MountOp(MountOpKind.Bind, target, Path.GetFullPath(m.Source!), m.ReadOnly),
                MountType.Proc => new MountOp(MountOpKind.Proc, target, ReadOnly: m.ReadOnly),
                MountType.Sysfs => new MountOp(MountOpKind.Sysfs, target, ReadOnly: m.ReadOnly),
                MountType.Devpts => new MountOp(MountOpKind.Devpts, target, Data: DevptsOptions),
                MountType.Mqueue => new MountOp(MountOpKind.Mqueue, target),
                _ => new MountOp(MountOpKind.Tmpfs, target, ReadOnly: m.ReadOnly,
                    Data: m.SizeBytes is { } size ? $"mode=1777,size={size}" : "mode=1777"),
            });
        }
        if (spec.MaskPaths)
        {
            ops.AddRange(DockerPaths.Masked.Select(p => new MountOp(MountOpKind.Mask, p)));
            ops.AddRange(DockerPaths.ReadOnly.Select(p => new MountOp(MountOpKind.ReadOnly, p)));
        }
        return ops;
    }

    // ptmxmode=0666 so anyone in the sandbox can open a terminal; no gid= (it may be unmapped).
    const string DevptsOptions = "newinstance,ptmxmode=0666,mode=0620";

    static readonly MountOp[] MinimalDev =
    [
        new(MountOpKind.Tmpfs, "/dev", Data: "mode=755,size=65536k"),
        .. new[] { "null", "zero", "full", "random", "urandom", "tty" }.Select(d => new MountOp(MountOpKind.Device, "/dev/" + d, "/dev/" + d)),
        new(MountOpKind.Devpts, "/dev/pts", Data: DevptsOptions),
        new(MountOpKind.Symlink, "/dev/ptmx", "pts/ptmx"),
        new(MountOpKind.Tmpfs, "/dev/shm", Data: "mode=1777,size=65536k"),
        new(MountOpKind.Symlink, "/dev/fd", "/proc/self/fd"),
        new(MountOpKind.Symlink, "/dev/stdin", "/proc/self/fd/0"),
        new(MountOpKind.Symlink, "/dev/stdout", "/proc/self/fd/1"),
        new(MountOpKind.Symlink, "/dev/stderr", "/proc/self/fd/2"),
    ];

    static string DevptsInside(SandboxSpec spec) =>
        spec.Mounts.LastOrDefault(m => m.Type == MountType.Devpts) is { } m
            ? InsideRoot(spec.Rootfs!, m.Destination)
            : spec.MinimalDev ? "/dev/pts" : "";

    /// <summary>The destination with symlinks resolved inside the rootfs (never out of it), as a path from its root.</summary>
    static string InsideRoot(string rootfs, string destination)
    {
        var root = Path.GetFullPath(rootfs).TrimEnd('/'); // "" for "/"
        var host = RootfsPaths.ResolveInside(root.Length > 0 ? root : "/", destination);
        return host.Length > root.Length ? host[root.Length..] : "/";
    }

    static IReadOnlyList<string> Environment(EnvironmentSpec env)
    {
        var vars = new List<string>(env.Clear ? [] : EnvironmentSpec.Base);
        foreach (var kv in env.Set)
        {
            var key = kv[..(kv.IndexOf('=') + 1)];
            vars.RemoveAll(v => v.StartsWith(key, StringComparison.Ordinal));
            vars.Add(kv);
        }
        return vars;
    }

    static int ReadLastCap()
    {
        try { return int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim()); }
        catch (IOException) { return Capability.Last; }
    }
}
