namespace Playground.Engine.Launch.Protocol;

// The plan is what init executes: everything resolved and checked by the engine, so init
// only runs steps in order (bubblewrap's SetupOp list, youki's typed messages). This file is
// compiled into both the engine and init, so the two can never disagree on the format.

/// <summary>What kind of mount a <see cref="MountOp"/> makes.</summary>
public enum MountOpKind : byte
{
    Bind, Proc, Sysfs, Devpts, Tmpfs, Mqueue,
    /// <summary>Bind a host device node (the minimal /dev; mknod is refused in a user namespace).</summary>
    Device,
    /// <summary>Create a symlink (e.g. /dev/ptmx -> pts/ptmx).</summary>
    Symlink,
    /// <summary>Hide a path: /dev/null over a file, an empty read-only tmpfs over a directory.</summary>
    Mask,
    /// <summary>Make an existing path read-only (bind it onto itself, remount ro).</summary>
    ReadOnly,
}

/// <summary>One mount step. Target is a path inside the new root (absolute, already resolved).</summary>
public sealed record MountOp(MountOpKind Kind, string Target, string Source = "", bool ReadOnly = false, string Data = "");

public enum RootSwitch : byte
{
    /// <summary>New mount namespace: bind the rootfs, pivot_root into it, detach the old root.</summary>
    PivotRoot,
    /// <summary>Shared mount namespace: chroot(2), the workshop's first lesson.</summary>
    Chroot,
    /// <summary>Exec into a sandbox with its own mount namespace: init joins it (setns on the fd the engine passed), landing at its root.</summary>
    Joined,
}

public sealed record Rlimit(int Resource, ulong Soft, ulong Hard);

public sealed record LaunchPlan
{
    /// <summary>Host path of the rootfs (used before the root switch).</summary>
    public string Rootfs { get; init; } = "";
    public RootSwitch RootSwitch { get; init; }
    public bool ReadOnlyRoot { get; init; }
    /// <summary>unshare(CLONE_NEWCGROUP) after the engine moved us into the sandbox cgroup.</summary>
    public bool NewCgroupNamespace { get; init; }
    /// <summary>We are PID 1 of a new pid namespace: spawn the command and reap, don't exec.</summary>
    public bool ReapAsPid1 { get; init; }
    /// <summary>User namespace is new: wait for the engine to write the id maps, then become root in it.</summary>
    public bool NewUserNamespace { get; init; }
    public IReadOnlyList<MountOp> Mounts { get; init; } = [];
    /// <summary>Where the sandbox's own devpts is, inside the new root ("" if none): the terminal is made there.</summary>
    public string DevptsInside { get; init; } = "";
    public bool Terminal { get; init; }
    /// <summary>Initial terminal size, set before the command starts so it never sees 0x0.</summary>
    public ushort Columns { get; init; } = 80;
    public ushort Rows { get; init; } = 24;
    public string Hostname { get; init; } = "";
    public IReadOnlyList<Rlimit> Rlimits { get; init; } = [];
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public IReadOnlyList<uint> Groups { get; init; } = [];
    public ulong CapBounding { get; init; }
    public ulong CapEffective { get; init; }
    public ulong CapPermitted { get; init; }
    public ulong CapInheritable { get; init; }
    public ulong CapAmbient { get; init; }
    public int LastCap { get; init; } = 40;
    public bool NoNewPrivs { get; init; }
    /// <summary>Raw struct sock_filter array; empty means no filter.</summary>
    public byte[] SeccompBpf { get; init; } = [];
    public string Cwd { get; init; } = "/";
    public IReadOnlyList<string> Env { get; init; } = [];
    public IReadOnlyList<string> Argv { get; init; } = [];
    /// <summary>
    /// The filter of the sandbox this one is made inside (a lab's), installed before its own: a
    /// process inherits filters from its parent, not from namespaces it joins, so a sandbox the
    /// server starts in a lab would otherwise escape the lab's. Needs no_new_privs. Empty: none.
    /// </summary>
    public byte[] OuterSeccompBpf { get; init; } = [];
    /// <summary>Load <see cref="SeccompBpf"/> with a listener (SECCOMP_FILTER_FLAG_NEW_LISTENER) and hand it to
    /// the engine, which answers the calls the filter asks about (its refusals, for the X-ray's feed).</summary>
    public bool SeccompListener { get; init; }
}
