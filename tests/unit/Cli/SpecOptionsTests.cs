using Playground.Cli;
using Playground.Engine.Spec;

namespace Playground.Tests.Cli;

public sealed class SpecOptionsTests
{
    const string Cwd = "/work/here";

    static SandboxSpec Spec(params string[] args)
    {
        var r = SpecOptions.Parse(args, cwd: Cwd);
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        return r.Spec;
    }

    static string Error(params string[] args)
    {
        var r = SpecOptions.Parse(args, cwd: Cwd);
        Assert.NotEmpty(r.Errors);
        return string.Join("\n", r.Errors);
    }

    [Fact]
    public void Only_rootfs_gives_the_spec_defaults()
    {
        var spec = Spec("--rootfs", "/r", "/bin/sh");
        // Lists compare by reference in records; their JSON compares by content.
        Assert.Equal(SpecJson.Serialize(SandboxSpec.Default("/r", "/bin/sh")), SpecJson.Serialize(spec));
        Assert.Equal(["/bin/sh"], spec.Command);
        Assert.Equal(NamespaceSet.AllButTime, spec.Namespaces);
        Assert.Equal(CapabilityPresets.DockerDefault, spec.Capabilities.Preset);
        Assert.Equal(SeccompPresets.DockerDefault, spec.Seccomp.Preset);
        Assert.True(spec.NoNewPrivs);
        Assert.Equal([MountSpec.Proc()], spec.Mounts);
        Assert.True(spec.MinimalDev && spec.MaskPaths);
        Assert.False(spec.Terminal);
    }

    [Fact]
    public void Terminal_follows_stdin()
    {
        Assert.True(SpecOptions.Parse(["--rootfs", "/r", "sh"], stdinIsTerminal: true).Spec.Terminal);
    }

    [Theory]
    [InlineData("rel/root", "/work/here/rel/root")]
    [InlineData("../r", "/work/r")]
    [InlineData("/abs", "/abs")]
    public void Rootfs_is_made_absolute(string given, string expected) =>
        Assert.Equal(expected, Spec("--rootfs", given, "sh").Rootfs);

    [Fact]
    public void Options_end_at_the_command()
    {
        Assert.Equal(["sh", "-c", "echo hi", "--rootfs", "x"], Spec("--rootfs", "/r", "sh", "-c", "echo hi", "--rootfs", "x").Command);
        Assert.Equal(["ls", "--help"], Spec("--rootfs", "/r", "ls", "--help").Command);
        Assert.Equal(["-weird"], Spec("--rootfs", "/r", "--", "-weird").Command);
        Assert.Equal(["/bin/true"], Spec("--rootfs", "/r", "--clear-env", "/bin/true").Command);
        Assert.Equal(["/bin/true"], Spec("--rootfs=/r", "--no-new-privs", "false", "/bin/true").Command);
    }

    [Theory]
    [InlineData("all", new[] { "mount", "uts", "ipc", "pid", "net", "user", "cgroup", "time" })]
    [InlineData("none", new string[0])]
    [InlineData("mount,pid", new[] { "mount", "pid" })]
    [InlineData("user, net ,mnt", new[] { "mount", "net", "user" })]
    public void Ns_sets_exactly_the_listed_namespaces(string list, string[] expected) =>
        Assert.Equal(expected, Spec("--rootfs", "/r", "--ns", list, "sh").Namespaces.Enabled.Select(k => k.Name()));

    [Fact]
    public void Simple_options_reach_the_spec()
    {
        var spec = Spec("--rootfs", "/r", "--hostname", "box", "--cwd", "/tmp", "--user", "1000:1001",
            "--clear-env", "--env", "A=1", "--env", "B=two=2", "--caps", "none", "--seccomp", "unconfined",
            "--memory", "64m", "--pids", "20", "--cpus", "0.5", "sh");
        Assert.Equal("box", spec.Hostname);
        Assert.Equal("/tmp", spec.Cwd);
        Assert.Equal((1000u, 1001u), (spec.Uid, spec.Gid));
        Assert.True(spec.Environment.Clear);
        Assert.Equal(["A=1", "B=two=2"], spec.Environment.Set);
        Assert.Equal(CapabilityPresets.None, spec.Capabilities.Preset);
        Assert.Equal(SeccompPresets.Unconfined, spec.Seccomp.Preset);
        Assert.Equal(new ResourceLimits { MemoryBytes = 64L << 20, PidsMax = 20, Cpus = 0.5 }, spec.Limits);
    }

    [Fact]
    public void User_without_group_is_group_0() =>
        Assert.Equal((7u, 0u), Spec("--rootfs", "/r", "--user", "7", "sh") is var s ? (s.Uid, s.Gid) : default);

    [Fact]
    public void Capabilities_accept_both_spellings()
    {
        var caps = Spec("--rootfs", "/r", "--cap-add", "net_admin", "--cap-add", "CAP_SYS_TIME", "--cap-drop", "CHOWN", "sh").Capabilities;
        Assert.Equal(["CAP_NET_ADMIN", "CAP_SYS_TIME"], caps.Add);
        Assert.Equal(["CAP_CHOWN"], caps.Drop);
    }

    [Fact]
    public void Seccomp_deny_defaults_to_eperm_and_takes_errno_names_and_numbers()
    {
        var rules = Spec("--rootfs", "/r", "--seccomp-deny", "mkdir", "--seccomp-deny", "unshare:EACCES", "--seccomp-deny", "chmod:38", "sh").Seccomp.Rules;
        Assert.Equal(
        [
            new SeccompRule("mkdir", new SeccompAction(SeccompActionKind.Errno, 1)),
            new SeccompRule("unshare", new SeccompAction(SeccompActionKind.Errno, 13)),
            new SeccompRule("chmod", new SeccompAction(SeccompActionKind.Errno, 38)),
        ], rules);
    }

    [Fact]
    public void Rlimits_take_soft_hard_and_unlimited()
    {
        var limits = Spec("--rootfs", "/r", "--rlimit", "nofile=1024:4096", "--rlimit", "core=0", "--rlimit", "RLIMIT_NPROC=10:unlimited", "sh").Rlimits;
        Assert.Equal([new RlimitSpec("nofile", 1024, 4096), new RlimitSpec("core", 0, 0), new RlimitSpec("nproc", 10, ulong.MaxValue)], limits);
    }

    [Fact]
    public void Mounts_replace_the_default_proc()
    {
        var mounts = Spec("--rootfs", "/r",
            "--mount", "type=bind,src=data,dst=/data,ro",
            "--mount", "type=bind,source=/etc,target=/host-etc,readonly=false",
            "--mount", "type=tmpfs,dst=/tmp,size=64m",
            "--mount", "type=proc,destination=/proc",
            "--mount", "type=sysfs,dst=/sys", "--mount", "type=devpts,dst=/dev/pts", "--mount", "type=mqueue,dst=/dev/mqueue", "sh").Mounts;
        Assert.Equal(
        [
            MountSpec.Bind("/work/here/data", "/data", ro: true),
            MountSpec.Bind("/etc", "/host-etc"),
            MountSpec.Tmpfs("/tmp", 64L << 20),
            MountSpec.Proc(),
            new MountSpec { Type = MountType.Sysfs, Destination = "/sys" },
            new MountSpec { Type = MountType.Devpts, Destination = "/dev/pts" },
            new MountSpec { Type = MountType.Mqueue, Destination = "/dev/mqueue" },
        ], mounts);
    }

    [Fact]
    public void No_new_privs_can_be_turned_off_and_on()
    {
        Assert.False(Spec("--rootfs", "/r", "--no-new-privs=false", "sh").NoNewPrivs);
        Assert.True(Spec("--rootfs", "/r", "--no-new-privs", "sh").NoNewPrivs);
    }

    [Fact]
    public void Flags_are_read()
    {
        var r = SpecOptions.Parse(["--rootfs", "/r", "--print-spec", "--print-command", "--story", "sh"]);
        Assert.Equal(new RunFlags(true, true, true), r.Flags);
        Assert.Equal(new RunFlags(false, false, false), SpecOptions.Parse(["--rootfs", "/r", "sh"]).Flags);
    }

    [Theory]
    [InlineData("--ns", "foo", "--ns: 'foo' is not a namespace")]
    [InlineData("--env", "NOEQUALS", "--env: 'NOEQUALS' is not KEY=VALUE")]
    [InlineData("--cwd", "rel", "--cwd: 'rel' must be an absolute path")]
    [InlineData("--user", "root", "--user: 'root' is not UID[:GID]")]
    [InlineData("--user", "1:2:3", "--user: '1:2:3' is not UID[:GID]")]
    [InlineData("--caps", "some", "--caps: 'some' is not accepted; use one of none, docker-default, all")]
    [InlineData("--cap-add", "FLY", "--cap-add: 'FLY' is not a capability")]
    [InlineData("--cap-drop", "CAP_FLY", "--cap-drop: 'CAP_FLY' is not a capability")]
    [InlineData("--seccomp", "strict", "--seccomp: 'strict' is not accepted; use one of unconfined, docker-default")]
    [InlineData("--seccomp-deny", "nosuchcall", "--seccomp-deny: 'nosuchcall' is not a system call")]
    [InlineData("--seccomp-deny", "mkdir:EWHAT", "--seccomp-deny: 'EWHAT' is not an errno")]
    [InlineData("--memory", "lots", "--memory: 'lots' is not a size")]
    [InlineData("--memory", "0", "--memory: '0' is not a size")]
    [InlineData("--pids", "-1", "--pids: '-1' is not a positive number")]
    [InlineData("--cpus", "half", "--cpus: 'half' is not a positive fraction")]
    [InlineData("--rlimit", "nofile", "--rlimit: 'nofile' is not NAME=SOFT[:HARD]")]
    [InlineData("--rlimit", "files=1", "--rlimit: 'files' is not a resource limit")]
    [InlineData("--rlimit", "nofile=many", "--rlimit: 'many' is not SOFT[:HARD]")]
    [InlineData("--rlimit", "nofile=10:5", "--rlimit: the soft limit 10 is above the hard limit 5")]
    [InlineData("--mount", "type=nfs,dst=/x", "--mount: 'type=nfs,dst=/x': 'nfs' is not a mount type")]
    [InlineData("--mount", "dst=/x", "--mount: 'dst=/x': type= is missing")]
    [InlineData("--mount", "type=bind,dst=/x", "a bind mount needs src=")]
    [InlineData("--mount", "type=tmpfs,dst=x", "dst=x must be an absolute path")]
    [InlineData("--mount", "type=tmpfs", "dst= is missing")]
    [InlineData("--mount", "type=proc,dst=/proc,size=1m", "size= is only for tmpfs")]
    [InlineData("--mount", "type=tmpfs,dst=/t,size=big", "size=big is not a size")]
    [InlineData("--mount", "type=tmpfs,dst=/t,exec", "'exec' is not understood")]
    [InlineData("--spec", "/nonexistent/spec.json", "--spec: cannot read /nonexistent/spec.json")]
    public void Bad_values_are_refused_naming_the_option(string option, string value, string message) =>
        Assert.Contains(message, Error("--rootfs", "/r", option, value, "sh"));

    [Fact]
    public void Every_bad_option_is_reported_at_once()
    {
        var r = SpecOptions.Parse(["--rootfs", "/r", "--ns", "x", "--memory", "y", "sh"]);
        Assert.Equal(2, r.Errors.Count);
    }

    [Fact]
    public void Unknown_options_and_parser_errors_are_reported()
    {
        Assert.Contains("--bogus: not an option of run", Error("--rootfs", "/r", "--bogus", "sh"));
        Assert.Contains("--rootfs", Error("--rootfs", "/a", "--rootfs", "/b", "sh"));
        Assert.Contains("--hostname", Error("--rootfs", "/a", "--hostname"));
    }
}
