using Playground.Engine.Spec;

namespace Playground.Engine.Labs;

/// <summary>Limits and places of labs (the web's settings, the CLI's defaults).</summary>
public sealed record LabOptions
{
    /// <summary>Labs live in DataDirectory/labs/NAME: state, and the mount point of the lab's root.</summary>
    public string DataDirectory { get; init; } = "/var/lib/playground";
    public long MemoryBytes { get; init; } = 1L << 30;
    public long PidsMax { get; init; } = 1024;
    public double Cpus { get; init; } = 1.0;
    /// <summary>The lab's writable root (/root, /home, /etc, /var… everything but /usr and /tmp): a tmpfs of this size.</summary>
    public long WorkspaceBytes { get; init; } = 512L << 20;
    /// <summary>The lab's /tmp, a tmpfs of its own.</summary>
    public long TmpBytes { get; init; } = 256L << 20;
    /// <summary>Open files per process in the lab (RLIMIT_NOFILE).</summary>
    public ulong OpenFiles { get; init; } = 4096;
    /// <summary>Host id where lab slot 0's range starts; slot N is FirstId + 65536·N.</summary>
    public uint FirstId { get; init; } = 100000 + 65536u * 10000; // after the web's people ranges (MaxPeople 10 000)
    public int MaxLabs { get; init; } = 1000;
    /// <summary>Cgroup parent of the labs (apart from sandboxes', whose orphans a server removes at start).</summary>
    public string CgroupParent { get; init; } = "playground-labs";

    public string LabsDirectory => Path.Combine(DataDirectory, "labs");
}

/// <summary>
/// What a lab is, as a sandbox spec: every namespace but time, root of its own user namespace
/// (a range of 65536 host ids of its own), a size-limited root with the server's /usr read-only
/// in it, fresh /proc, /sys, /dev and /tmp, the capabilities of root in
/// its own user namespace only, and a seccomp profile that keeps what the workshop does and
/// refuses kernel surface it does not need.
/// </summary>
public static class LabProfile
{
    /// <summary>How many ids a lab has (0 to 65535 inside, its range on the host).</summary>
    public const uint Ids = 65536;

    /// <summary>A sandbox's id map that is all of its lab's ids, 0 → 0: root inside is the lab's root, in a user namespace of its own.</summary>
    public static IReadOnlyList<IdMapping> AllIds { get; } = [new IdMapping(0, 0, Ids)];

    /// <summary>What the workshop needs on top of Docker's default profile (which refuses these without CAP_SYS_ADMIN on the host).</summary>
    public static readonly IReadOnlyList<string> Allowed =
    [
        "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "ptrace", "process_vm_readv", "process_vm_writev",
        "sethostname", "setdomainname", "clone", "clone3", "mknod", "mknodat", "syslog",
    ];

    /// <summary>Kernel surface a lab has no use for: refused with EPERM whatever the capabilities say.</summary>
    public static readonly IReadOnlyList<string> Refused =
    [
        "bpf", "keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd",
        "io_uring_setup", "io_uring_enter", "io_uring_register", "kexec_load", "kexec_file_load",
        "init_module", "finit_module", "delete_module", "open_by_handle_at", "name_to_handle_at",
        "clock_settime", "clock_adjtime", "settimeofday", "adjtimex", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
        "reboot", "lookup_dcookie", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
    ];

    public static SandboxSpec Spec(string name, string root, string reaper, uint firstId, LabOptions options) => new()
    {
        Rootfs = root,
        Namespaces = NamespaceSet.AllButTime,
        UidMap = [new IdMapping(0, firstId, Ids)],
        GidMap = [new IdMapping(0, firstId, Ids)],
        Mounts =
        [
            MountSpec.Bind("/usr", "/usr", ro: true),
            MountSpec.Bind("/etc/alternatives", "/etc/alternatives", ro: true),
            MountSpec.Bind(reaper, ReaperPath, ro: true),
            MountSpec.Proc(),
            new MountSpec { Type = MountType.Sysfs, Destination = "/sys", ReadOnly = true },
            MountSpec.Tmpfs("/tmp", options.TmpBytes),
        ],
        MinimalDev = true,
        // Not Docker's masks: the kernel refuses a fresh /proc or /sys (the workshop's
        // `mount -t proc`, `unshare --mount-proc`, a sandbox in the lab) where the current one
        // has paths mounted over. The lab's root is root of its own user namespace only, so the
        // masked files (sysrq-trigger, /proc/sys, kcore…) belong to an owner it cannot act for.
        MaskPaths = false,
        Hostname = name,
        Environment = new EnvironmentSpec
        {
            Clear = true,
            Set = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=xterm-256color", "LANG=C.UTF-8", $"PS1=root@{name}:\\w# "],
        },
        Cwd = "/root",
        Capabilities = new CapabilitySpec { Preset = CapabilityPresets.All },
        NoNewPrivs = true,
        Seccomp = new SeccompSpec
        {
            Preset = SeccompPresets.DockerDefault,
            Rules = [.. Allowed.Where(s => Seccomp.Syscalls.Number(s) is not null).Select(s => new SeccompRule(s, SeccompAction.Allow)),
                     .. Refused.Where(s => Seccomp.Syscalls.Number(s) is not null).Select(s => new SeccompRule(s, SeccompAction.Eperm))],
        },
        Rlimits = [new RlimitSpec("nofile", options.OpenFiles, options.OpenFiles)],
        Limits = new ResourceLimits { MemoryBytes = options.MemoryBytes, PidsMax = options.PidsMax, Cpus = options.Cpus },
        Command = [ReaperPath],
    };

    /// <summary>Where the reaper appears in every lab (bind-mounted read-only over an empty file).</summary>
    public const string ReaperPath = "/.playground/reaper";
}
