using Playground.Engine.Interop;
using Playground.Engine.Spec;

namespace Playground.Engine.Seccomp;

/// <summary>One syscall a preset refuses, with the reason shown to people in the UI.</summary>
/// <param name="OnlyWithNamespaceFlags">Refused only when the flags argument asks for a new
/// namespace (clone); otherwise refused always.</param>
public sealed record RefusedSyscall(string Syscall, SeccompAction Action, string Reason, bool OnlyWithNamespaceFlags = false);

/// <summary>
/// The syscalls Docker's default seccomp profile refuses to a container without extra
/// capabilities. Docker writes it as an allow-list; we keep the same outcome as a deny-list over
/// an allow default, which is easier to read in a workshop and to override one syscall at a time.
/// </summary>
public static class DockerDefaultProfile
{
    /// <summary>What a refused call returns: EPERM, as Docker's defaultErrnoRet.</summary>
    public static SeccompAction DenyAction { get; } = SeccompAction.Eperm;

    /// <summary>CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP, the mask Docker tests
    /// clone's flags against. CLONE_NEWTIME (0x80) is absent: clone's low byte is the exit signal.</summary>
    public const ulong CloneNamespaceFlags = 0x7E020000;

    static RefusedSyscall Deny(string name, string reason) => new(name, DenyAction, reason);

    public static IReadOnlyList<RefusedSyscall> Refused { get; } =
    [
        Deny("acct", "switches process accounting on or off for the whole host"),
        Deny("add_key", "the kernel keyring is not namespaced"),
        Deny("bpf", "loads programs into the host kernel"),
        Deny("clock_adjtime", "the clock is not namespaced"),
        Deny("clock_settime", "the clock is not namespaced"),
        new("clone", DenyAction, "creating namespaces could escape the sandbox's restrictions", OnlyWithNamespaceFlags: true),
        // ENOSYS, not EPERM: clone3 passes flags in memory seccomp cannot inspect, so Docker makes
        // libc believe clone3 is missing and fall back to clone, whose flags the filter can check.
        new("clone3", new SeccompAction(SeccompActionKind.Errno, Errno.ENOSYS), "its flags cannot be inspected; libc falls back to clone"),
        Deny("create_module", "loads kernel modules (obsolete)"),
        Deny("delete_module", "unloads kernel modules"),
        Deny("finit_module", "loads kernel modules"),
        Deny("get_kernel_syms", "reveals kernel symbols (obsolete)"),
        Deny("get_mempolicy", "NUMA memory policy could reveal or affect host memory layout"),
        Deny("init_module", "loads kernel modules"),
        Deny("ioperm", "gives direct access to I/O ports"),
        Deny("iopl", "gives direct access to I/O ports"),
        Deny("kcmp", "compares kernel state of other processes"),
        Deny("kexec_file_load", "loads a new kernel to boot into"),
        Deny("kexec_load", "loads a new kernel to boot into"),
        Deny("keyctl", "the kernel keyring is not namespaced"),
        Deny("lookup_dcookie", "a profiling call that reveals host paths"),
        Deny("mbind", "NUMA memory policy could affect the host"),
        Deny("mount", "mounting can hide or expose parts of the host"),
        Deny("move_pages", "NUMA page moves could affect the host"),
        Deny("name_to_handle_at", "file handles can open files outside the sandbox's root"),
        Deny("nfsservctl", "controls the kernel NFS server (obsolete)"),
        Deny("open_by_handle_at", "opens files outside the sandbox's root by handle (the 'shocker' escape)"),
        Deny("perf_event_open", "performance counters reveal much about the host"),
        Deny("pivot_root", "changes the root of the mount namespace"),
        Deny("process_vm_readv", "reads another process's memory"),
        Deny("process_vm_writev", "writes another process's memory"),
        Deny("ptrace", "traces other processes; could bypass this filter on old kernels"),
        Deny("query_module", "inspects kernel modules (obsolete)"),
        Deny("quotactl", "disk quotas are not namespaced"),
        Deny("reboot", "reboots the host, or loads a new kernel"),
        Deny("request_key", "the kernel keyring is not namespaced"),
        Deny("set_mempolicy", "NUMA memory policy could affect the host"),
        Deny("setns", "joins other namespaces"),
        Deny("settimeofday", "the clock is not namespaced"),
        Deny("stime", "the clock is not namespaced"),
        Deny("swapon", "changes the host's swap"),
        Deny("swapoff", "changes the host's swap"),
        Deny("sysfs", "reveals filesystem types (obsolete)"),
        Deny("_sysctl", "changes kernel parameters (obsolete)"),
        Deny("umount", "unmounting could expose what is hidden beneath"),
        Deny("umount2", "unmounting could expose what is hidden beneath"),
        Deny("unshare", "creating namespaces could escape the sandbox's restrictions"),
        Deny("uselib", "loads shared libraries the old way (obsolete)"),
        Deny("userfaultfd", "user page-fault handling makes kernel exploits easier"),
        Deny("ustat", "reports filesystem statistics (obsolete)"),
        Deny("vm86", "enters virtual 8086 mode (32-bit x86 only)"),
        Deny("vm86old", "enters virtual 8086 mode (32-bit x86 only)"),
        Deny("fsopen", "the new mount API: mounting as mount does"),
        Deny("fsconfig", "the new mount API: mounting as mount does"),
        Deny("fsmount", "the new mount API: mounting as mount does"),
        Deny("fspick", "the new mount API: reconfigures existing mounts"),
        Deny("move_mount", "the new mount API: moves mounts"),
        Deny("open_tree", "the new mount API: clones mount trees"),
    ];

    /// <summary>The entries whose names this machine's libseccomp knows (others cannot be filtered here).</summary>
    public static IEnumerable<RefusedSyscall> OnThisArchitecture => Refused.Where(r => Syscalls.IsKnown(r.Syscall));
}
