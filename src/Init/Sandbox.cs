using Playground.Engine.Launch.Protocol;

namespace Playground.Init;

/// <summary>How init talks to the engine during a launch.</summary>
public interface IReporter
{
    void Step(StepReport report);
    /// <summary>execve (or the spawn) is next.</summary>
    void Exec(string path);
    void Started();
    void Exited(int waitStatus);
    /// <summary>Hands over the listener of the filter just loaded, and closes init's copy.</summary>
    void SeccompListener(int listenerFd);
}

/// <summary>
/// The sandbox's life after the namespaces exist, top to bottom (bubblewrap's main() is the
/// model): become root of the user namespace, build the mount tree,
/// switch root, terminal, hostname, rlimits, ids, capabilities, no_new_privs, seccomp, exec.
/// Every step is reported; the first failure stops the launch.
/// </summary>
public sealed class Sandbox(LaunchPlan plan, ISys sys, IReporter report)
{
    const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32, MS_BIND = 4096,
        MS_REC = 16384, MS_PRIVATE = 1 << 18;
    const int MNT_DETACH = 2;

    public int Run()
    {
        // Before sending the plan, the engine mapped our ids and moved us into the sandbox's cgroup.
        if (plan.NewUserNamespace) Step("become root of the user namespace", sys.BecomeRoot);
        // After joining the cgroup, so the sandbox sees its own cgroup as the root (as runc does).
        if (plan.NewCgroupNamespace) Step("cgroup namespace", sys.UnshareCgroup);
        // The terminal comes from our own devpts when the sandbox has one (so `tty` can name
        // it), otherwise from the engine's: that one must be opened before the root switch.
        if (plan.Terminal && plan.DevptsInside.Length == 0) OpenTerminal();
        SwitchRoot();
        if (plan.Terminal && plan.DevptsInside.Length > 0) OpenTerminal();
        if (plan.Hostname.Length > 0) Step("hostname", () => sys.SetHostname(plan.Hostname), plan.Hostname);
        foreach (var r in plan.Rlimits)
            Step("rlimit", () => sys.SetRlimit(r.Resource, r.Soft, r.Hard), $"{r.Resource}={r.Soft}:{r.Hard}");
        // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the capability step
        // may drop: then the filter goes in first, as runc does, and must allow what follows.
        var seccompEarly = plan.SeccompBpf.Length > 0 && !plan.NoNewPrivs;
        if (seccompEarly && plan.SeccompListener)
            Step("seccomp", () => throw new StepFailure("seccomp", 22 /*EINVAL*/, "a filter with a listener is loaded last, so it needs no_new_privs"));
        if (seccompEarly) Step("seccomp", () => sys.InstallSeccomp(plan.SeccompBpf, listener: false), $"{plan.SeccompBpf.Length / 8} instructions");
        Step("capability bounding set", () => sys.DropBounding(plan.CapBounding, plan.LastCap), $"{plan.CapBounding:x}");
        Step("user and group ids", () => sys.SetIds(plan.Uid, plan.Gid, plan.Groups), $"uid {plan.Uid} gid {plan.Gid}");
        Step("capabilities", () => sys.SetCapabilities(plan.CapEffective, plan.CapPermitted, plan.CapInheritable, plan.CapAmbient, plan.LastCap),
            $"eff {plan.CapEffective:x} prm {plan.CapPermitted:x} inh {plan.CapInheritable:x} amb {plan.CapAmbient:x}");
        Step("working directory", () => sys.Chdir(plan.Cwd), plan.Cwd);
        if (plan.NoNewPrivs) Step("no_new_privs", sys.SetNoNewPrivs);
        var path = "";
        Step("find command", () => path = sys.ResolveCommand(plan.Argv[0], plan.Env), plan.Argv[0]);
        // Last thing before execve, so the filter need not allow anything init does above. The
        // outer sandbox's (a lab's) first: the kernel applies every filter, the strictest answer wins.
        if (plan.OuterSeccompBpf.Length > 0)
            Step("seccomp of the lab", () => sys.InstallSeccomp(plan.OuterSeccompBpf, listener: false), $"{plan.OuterSeccompBpf.Length / 8} instructions");
        // With a listener, the calls the filter refuses with an errno wait for the engine's answer
        // (the same errno): handed over at once, as sendmsg is the one call the filter never asks about.
        if (plan.SeccompBpf.Length > 0 && !seccompEarly)
            Step("seccomp", () =>
            {
                var listener = sys.InstallSeccomp(plan.SeccompBpf, plan.SeccompListener);
                if (listener >= 0) report.SeccompListener(listener);
            }, $"{plan.SeccompBpf.Length / 8} instructions{(plan.SeccompListener ? ", refusals answered by the engine" : "")}");
        report.Exec(path);
        if (!plan.ReapAsPid1)
        {
            Step("execve", () => sys.Exec(path, plan.Argv, plan.Env), path);
            return 127; // not reached: Exec returns only by throwing
        }
        // PID 1 gets no signal it has no handler for, so the command must not be PID 1 or
        // Ctrl-C would not stop it: we stay PID 1, reap, and pass the command's end on.
        int status;
        try
        {
            status = sys.SpawnAndReap(path, plan.Argv, plan.Env, plan.Terminal, () =>
            {
                report.Step(new StepReport("execve", "", 0, path));
                report.Started();
            });
        }
        catch (StepFailure f)
        {
            report.Step(new StepReport("execve", f.Syscall, f.Errno, path));
            throw;
        }
        report.Exited(status);
        return WaitStatus.ToExitCode(status);
    }

    void OpenTerminal() =>
        Step("terminal", () => sys.OpenTerminal(plan.DevptsInside, plan.Columns, plan.Rows),
            plan.DevptsInside.Length > 0 ? $"new pty in {plan.DevptsInside}" : "engine's pty");

    void SwitchRoot()
    {
        switch (plan.RootSwitch)
        {
            case RootSwitch.Chroot:
                Step("chroot", () => { sys.Chroot(plan.Rootfs); sys.Chdir("/"); }, plan.Rootfs);
                return;
            case RootSwitch.Joined:
                // Exec: the sandbox's mounts and root are already made; joining them is enough.
                Step("join mount namespace", () => { sys.JoinMountNamespace(InheritedFds.MountNamespace); sys.Chdir("/"); });
                return;
        }
        var root = plan.Rootfs;
        // Nothing we mount may propagate back to the parent's tree.
        Step("make mounts private", () => sys.Mount("", "/", "", MS_REC | MS_PRIVATE, ""));
        // pivot_root needs the new root to be a mount point.
        Step("bind rootfs", () => sys.Mount(root, root, "", MS_BIND | MS_REC, ""), root);
        foreach (var op in plan.Mounts) Step(MountStepName(op), () => DoMount(root, op), op.Target);
        Step("pivot_root", () =>
        {
            // pivot_root(".", ".") stacks the old root on the new one; detaching it leaves no path back.
            sys.Chdir(root);
            sys.PivotRoot(".", ".");
            sys.Umount(".", MNT_DETACH);
            sys.Chdir("/");
        }, root);
        if (plan.ReadOnlyRoot) Step("read-only root", () => sys.RemountReadOnly("/"));
    }

    static string MountStepName(MountOp op) => op.Kind switch
    {
        MountOpKind.Mask => "mask",
        MountOpKind.ReadOnly => "read-only path",
        MountOpKind.Symlink => "symlink",
        MountOpKind.Device => "device",
        _ => "mount " + op.Kind.ToString().ToLowerInvariant(),
    };

    void DoMount(string root, MountOp op)
    {
        var target = root + op.Target;
        switch (op.Kind)
        {
            case MountOpKind.Bind:
                if (sys.Kind(target) == '\0')
                {
                    if (sys.Kind(op.Source) == 'd') sys.MkdirAll(target, 0x1ed); else sys.CreateFile(target);
                }
                sys.Mount(op.Source, target, "", MS_BIND | MS_REC, "");
                if (op.ReadOnly) sys.RemountReadOnly(target);
                break;
            case MountOpKind.Device:
                sys.CreateFile(target);
                sys.Mount(op.Source, target, "", MS_BIND, "");
                break;
            case MountOpKind.Symlink:
                sys.Symlink(op.Source, target);
                break;
            case MountOpKind.Mask:
                switch (sys.Kind(target))
                {
                    case 'd': sys.Mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0"); break;
                    case 'f': sys.Mount("/dev/null", target, "", MS_BIND, ""); break;
                }
                break;
            case MountOpKind.ReadOnly:
                if (sys.Kind(target) == '\0') break;
                sys.Mount(target, target, "", MS_BIND | MS_REC, "");
                sys.RemountReadOnly(target);
                break;
            default:
                sys.MkdirAll(target, 0x1ed);
                var (fstype, flags) = op.Kind switch
                {
                    MountOpKind.Proc => ("proc", MS_NOSUID | MS_NODEV | MS_NOEXEC),
                    MountOpKind.Sysfs => ("sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC),
                    MountOpKind.Devpts => ("devpts", MS_NOSUID | MS_NOEXEC),
                    MountOpKind.Mqueue => ("mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC),
                    _ => ("tmpfs", MS_NOSUID | MS_NODEV),
                };
                sys.Mount(fstype, target, fstype, flags | (op.ReadOnly ? MS_RDONLY : 0), op.Data);
                break;
        }
    }

    void Step(string name, Action action, string detail = "")
    {
        try
        {
            action();
        }
        catch (StepFailure f)
        {
            report.Step(new StepReport(name, f.Syscall, f.Errno, f.Detail.Length > 0 ? f.Detail : detail));
            throw;
        }
        report.Step(new StepReport(name, "", 0, detail));
    }
}

public static class WaitStatus
{
    public static int ToExitCode(int status) => (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
}
