namespace Playground.Engine.Spec;

/// <summary>Linux capabilities by number (capabilities(7), linux/capability.h), with what each allows.</summary>
public static class Capability
{
    public sealed record Info(int Number, string Name, string Meaning);

    public static IReadOnlyList<Info> All { get; } =
    [
        new(0, "CAP_CHOWN", "Change the owner and group of any file."),
        new(1, "CAP_DAC_OVERRIDE", "Read, write and execute files regardless of their permission bits."),
        new(2, "CAP_DAC_READ_SEARCH", "Read any file and list any directory regardless of permissions."),
        new(3, "CAP_FOWNER", "Act as the owner of any file (chmod, utime, set ACLs)."),
        new(4, "CAP_FSETID", "Keep set-user-ID and set-group-ID bits when a file is modified."),
        new(5, "CAP_KILL", "Send signals to processes of other users."),
        new(6, "CAP_SETGID", "Change group ids and supplementary groups."),
        new(7, "CAP_SETUID", "Change user ids."),
        new(8, "CAP_SETPCAP", "Change the capability bounding set and other processes' inheritable sets."),
        new(9, "CAP_LINUX_IMMUTABLE", "Set the immutable and append-only file attributes."),
        new(10, "CAP_NET_BIND_SERVICE", "Bind to ports below 1024."),
        new(11, "CAP_NET_BROADCAST", "Send broadcasts and listen to multicast."),
        new(12, "CAP_NET_ADMIN", "Configure network interfaces, routes and firewalls."),
        new(13, "CAP_NET_RAW", "Open raw and packet sockets (ping, tcpdump)."),
        new(14, "CAP_IPC_LOCK", "Lock memory (mlock) and use huge pages."),
        new(15, "CAP_IPC_OWNER", "Bypass permission checks on System V IPC objects."),
        new(16, "CAP_SYS_MODULE", "Load and unload kernel modules."),
        new(17, "CAP_SYS_RAWIO", "Raw I/O: ioperm, iopl, /dev/mem."),
        new(18, "CAP_SYS_CHROOT", "Call chroot and change mount namespaces with setns."),
        new(19, "CAP_SYS_PTRACE", "Trace any process (ptrace, process_vm_readv)."),
        new(20, "CAP_SYS_PACCT", "Turn process accounting on and off."),
        new(21, "CAP_SYS_ADMIN", "The catch-all: mount, pivot_root, sethostname, swapon and much more."),
        new(22, "CAP_SYS_BOOT", "Reboot the machine and load a new kernel."),
        new(23, "CAP_SYS_NICE", "Raise priority and set real-time scheduling of any process."),
        new(24, "CAP_SYS_RESOURCE", "Override resource limits and quotas."),
        new(25, "CAP_SYS_TIME", "Set the system clock."),
        new(26, "CAP_SYS_TTY_CONFIG", "Configure terminals (vhangup)."),
        new(27, "CAP_MKNOD", "Create device files with mknod."),
        new(28, "CAP_LEASE", "Take leases on files the process does not own."),
        new(29, "CAP_AUDIT_WRITE", "Write records to the kernel audit log."),
        new(30, "CAP_AUDIT_CONTROL", "Configure kernel auditing."),
        new(31, "CAP_SETFCAP", "Set file capabilities; map root in a user namespace."),
        new(32, "CAP_MAC_OVERRIDE", "Override mandatory access control (Smack)."),
        new(33, "CAP_MAC_ADMIN", "Configure mandatory access control."),
        new(34, "CAP_SYSLOG", "Read and clear the kernel log (dmesg)."),
        new(35, "CAP_WAKE_ALARM", "Set alarms that wake the system."),
        new(36, "CAP_BLOCK_SUSPEND", "Prevent the system from suspending."),
        new(37, "CAP_AUDIT_READ", "Read the audit log through multicast netlink."),
        new(38, "CAP_PERFMON", "Use perf_event_open and other performance monitoring."),
        new(39, "CAP_BPF", "Load BPF programs and create maps."),
        new(40, "CAP_CHECKPOINT_RESTORE", "Checkpoint and restore processes (set pids, read maps)."),
    ];

    public static int Last => All[^1].Number;

    /// <summary>Bit mask of every capability this table knows.</summary>
    public static ulong AllMask { get; } = All.Aggregate(0UL, (m, c) => m | (1UL << c.Number));

    /// <summary>Docker's default set (moby oci/caps/defaults.go): the 14 a container gets.</summary>
    public static IReadOnlyList<string> DockerDefault { get; } =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    /// <summary>Accepts <c>CHOWN</c>, <c>chown</c> or <c>CAP_CHOWN</c>.</summary>
    public static bool TryParse(string name, out Info info)
    {
        var n = name.Trim().ToUpperInvariant();
        if (!n.StartsWith("CAP_", StringComparison.Ordinal)) n = "CAP_" + n;
        info = All.FirstOrDefault(c => c.Name == n)!;
        return info is not null;
    }

    public static ulong Mask(IEnumerable<string> names) =>
        names.Aggregate(0UL, (m, n) => TryParse(n, out var c) ? m | (1UL << c.Number) : m);

    public static IReadOnlyList<string> Names(ulong mask) =>
        All.Where(c => (mask & (1UL << c.Number)) != 0).Select(c => c.Name).ToList();
}

/// <summary>The five capability sets as bit masks, resolved from a <see cref="CapabilitySpec"/>.</summary>
public sealed record CapabilitySets(ulong Bounding, ulong Effective, ulong Permitted, ulong Inheritable, ulong Ambient)
{
    /// <summary>
    /// The preset plus adds minus drops gives the base set. Unless a set is given exactly:
    /// bounding, permitted and effective are the base set; inheritable and ambient are
    /// empty (as in Docker). Call only on a validated spec: unknown names are ignored here.
    /// </summary>
    public static CapabilitySets Resolve(CapabilitySpec spec)
    {
        var preset = spec.Preset switch
        {
            CapabilityPresets.All => Capability.AllMask,
            CapabilityPresets.DockerDefault => Capability.Mask(Capability.DockerDefault),
            _ => 0UL,
        };
        var baseSet = (preset | Capability.Mask(spec.Add)) & ~Capability.Mask(spec.Drop);
        ulong Or(IReadOnlyList<string>? exact, ulong fallback) => exact is null ? fallback : Capability.Mask(exact);
        return new CapabilitySets(
            Or(spec.Bounding, baseSet), Or(spec.Effective, baseSet), Or(spec.Permitted, baseSet),
            Or(spec.Inheritable, 0), Or(spec.Ambient, 0));
    }
}
