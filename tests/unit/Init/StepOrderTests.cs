using Playground.Engine.Launch.Protocol;
using Playground.Init;

namespace Playground.Tests.Init;

/// <summary>Init's steps in order, through the syscall seam (no root needed).</summary>
public sealed class StepOrderTests
{
    sealed class RecordingSys(string? failOn = null) : ISys
    {
        public List<string> Calls { get; } = [];
        void Call(string what)
        {
            Calls.Add(what);
            if (failOn is not null && what.StartsWith(failOn, StringComparison.Ordinal)) throw new StepFailure(failOn, 13, what);
        }
        public void Mount(string source, string target, string fstype, ulong flags, string data) =>
            Call(string.Join(' ', new[] { "mount", fstype, source, target }.Where(x => x.Length > 0)));
        public void RemountReadOnly(string target) => Call($"remount-ro {target}");
        public void Umount(string target, int flags) => Call($"umount {target}");
        public void PivotRoot(string newRoot, string putOld) => Call("pivot_root");
        public void JoinMountNamespace(int fd) => Call($"setns mnt {fd}");
        public void Chroot(string path) => Call($"chroot {path}");
        public void Chdir(string path) => Call($"chdir {path}");
        public void MkdirAll(string path, int mode) => Call($"mkdir {path}");
        public void CreateFile(string path) => Call($"create {path}");
        public void Symlink(string target, string linkPath) => Call($"symlink {linkPath}");
        public char Kind(string path) => path.EndsWith("/data") ? '\0' : 'd';
        public void UnshareCgroup() => Call("unshare cgroup");
        public void SetHostname(string name) => Call($"sethostname {name}");
        public void SetRlimit(int resource, ulong soft, ulong hard) => Call($"rlimit {resource}");
        public void BecomeRoot() => Call("become root");
        public void DropBounding(ulong keep, int lastCap) => Call("bounding");
        public void SetIds(uint uid, uint gid, IReadOnlyList<uint> groups) => Call($"ids {uid}");
        public void SetCapabilities(ulong e, ulong p, ulong i, ulong a, int lastCap) => Call("capset");
        public void SetNoNewPrivs() => Call("no_new_privs");
        public int InstallSeccomp(byte[] bpf, bool listener) { Call(listener ? "seccomp with listener" : "seccomp"); return listener ? 42 : -1; }
        public void OpenTerminal(string devptsDir, ushort cols, ushort rows) => Call($"terminal {devptsDir}");
        public string ResolveCommand(string name, IReadOnlyList<string> env) { Call($"resolve {name}"); return "/bin/" + name; }
        public void Exec(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env) { Call($"execve {path}"); throw new StepFailure("execve", 0, "recorded"); }
        public int SpawnAndReap(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, bool terminal, Action started)
        { Call($"spawn {path}"); started(); return 3 << 8; }
    }

    sealed class Reporter : IReporter
    {
        public List<string> Events { get; } = [];
        public void Step(StepReport r) => Events.Add(r.Ok ? $"ok {r.Step}" : $"fail {r.Step} {r.Syscall} {r.Errno}");
        public void Exec(string path) => Events.Add("exec");
        public void Started() => Events.Add("started");
        public void Exited(int status) => Events.Add($"exited {status >> 8}");
        public void SeccompListener(int fd) => Events.Add($"listener {fd}");
    }

    static LaunchPlan Plan => new()
    {
        Rootfs = "/r", RootSwitch = RootSwitch.PivotRoot, NewUserNamespace = true, NewCgroupNamespace = true, ReapAsPid1 = true,
        ReadOnlyRoot = true, Terminal = true, DevptsInside = "/dev/pts", Hostname = "box",
        Mounts = [new MountOp(MountOpKind.Proc, "/proc"), new MountOp(MountOpKind.Bind, "/data", "/host", ReadOnly: true)],
        Rlimits = [new Rlimit(7, 64, 64)], NoNewPrivs = true, SeccompBpf = new byte[16], Argv = ["sh"], Cwd = "/",
    };

    [Fact]
    public void Steps_run_in_the_order_of_the_launch_story()
    {
        var sys = new RecordingSys();
        var report = new Reporter();
        var code = new Sandbox(Plan, sys, report).Run();
        Assert.Equal(3, code);
        Assert.Equal(
        [
            "become root", "unshare cgroup",
            "mount /", "mount /r /r",
            "mkdir /r/proc", "mount proc proc /r/proc",
            "mkdir /r/data", "mount /host /r/data", "remount-ro /r/data",
            "chdir /r", "pivot_root", "umount .", "chdir /",
            "remount-ro /",
            "terminal /dev/pts", "sethostname box", "rlimit 7",
            "bounding", "ids 0", "capset", "chdir /", "no_new_privs", "resolve sh",
            // last thing before the command starts
            "seccomp", "spawn /bin/sh",
        ], sys.Calls);
        Assert.Equal("ok become root of the user namespace", report.Events[0]);
        Assert.Equal(["ok execve", "started", "exited 3"], report.Events[^3..]);
    }

    [Fact]
    public void Without_no_new_privs_seccomp_goes_in_before_capabilities_are_dropped()
    {
        var sys = new RecordingSys();
        new Sandbox(Plan with { NoNewPrivs = false }, sys, new Reporter()).Run();
        Assert.True(sys.Calls.IndexOf("seccomp") < sys.Calls.IndexOf("bounding"));
        Assert.DoesNotContain("no_new_privs", sys.Calls);
    }

    [Fact]
    public void A_filter_with_a_listener_goes_in_after_the_labs_and_its_listener_is_handed_over_before_the_exec_is_announced()
    {
        var sys = new RecordingSys();
        var report = new Reporter();
        new Sandbox(Plan with { OuterSeccompBpf = new byte[8], SeccompListener = true }, sys, report).Run();
        Assert.Equal(["seccomp", "seccomp with listener", "spawn /bin/sh"], sys.Calls[^3..]);
        var handed = report.Events.IndexOf("listener 42");
        Assert.True(handed >= 0 && handed < report.Events.IndexOf("exec"), string.Join(", ", report.Events));
    }

    [Fact]
    public void A_filter_with_a_listener_is_refused_without_no_new_privs_rather_than_loaded_early_where_init_would_ask_itself()
    {
        var sys = new RecordingSys();
        var report = new Reporter();
        Assert.Throws<StepFailure>(() => new Sandbox(Plan with { NoNewPrivs = false, SeccompListener = true }, sys, report).Run());
        Assert.Equal("fail seccomp seccomp 22", report.Events[^1]);
        Assert.DoesNotContain(sys.Calls, c => c.StartsWith("seccomp"));
    }

    [Fact]
    public void Chroot_without_a_mount_namespace_makes_no_mounts_and_execs_directly()
    {
        var sys = new RecordingSys();
        var plan = Plan with { RootSwitch = RootSwitch.Chroot, Mounts = [], ReapAsPid1 = false, Terminal = false, NewCgroupNamespace = false, ReadOnlyRoot = false };
        Assert.Throws<StepFailure>(() => new Sandbox(plan, sys, new Reporter()).Run());
        Assert.DoesNotContain(sys.Calls, c => c.StartsWith("mount") || c == "pivot_root");
        Assert.Equal("chroot /r", sys.Calls[1]);
        Assert.Equal("execve /bin/sh", sys.Calls[^1]);
    }

    [Fact]
    public void Exec_into_a_mount_namespace_joins_it_instead_of_building_one_and_still_applies_the_policy()
    {
        var sys = new RecordingSys();
        var plan = Plan with { RootSwitch = RootSwitch.Joined, Mounts = [], ReapAsPid1 = false, NewCgroupNamespace = false, NewUserNamespace = false, ReadOnlyRoot = false };
        Assert.Throws<StepFailure>(() => new Sandbox(plan, sys, new Reporter()).Run());
        Assert.DoesNotContain(sys.Calls, c => c.StartsWith("mount") || c == "pivot_root" || c.StartsWith("chroot"));
        var join = sys.Calls.IndexOf("setns mnt 5");
        Assert.True(join >= 0, string.Join(", ", sys.Calls));
        // The terminal is made in the sandbox's devpts, so after the join; the policy after that.
        Assert.True(join < sys.Calls.FindIndex(c => c.StartsWith("terminal")));
        Assert.True(join < sys.Calls.IndexOf("bounding"));
        Assert.Equal("seccomp", sys.Calls[^2]);
        Assert.Equal("execve /bin/sh", sys.Calls[^1]);
    }

    [Fact]
    public void The_first_failure_stops_the_launch_and_is_reported()
    {
        var report = new Reporter();
        var sys = new RecordingSys(failOn: "pivot_root");
        Assert.Throws<StepFailure>(() => new Sandbox(Plan, sys, report).Run());
        Assert.Equal("fail pivot_root pivot_root 13", report.Events[^1]);
        Assert.DoesNotContain(sys.Calls, c => c.StartsWith("seccomp") || c.StartsWith("spawn"));
    }
}
