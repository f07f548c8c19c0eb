using Playground.Engine.Spec;

namespace Playground.Tests.Launch;

/// <summary>From inside a sandbox: what the spec asked for is what the process sees.</summary>
[Collection("sandbox")]
public sealed class PolicyTests(SandboxFixture f)
{
    static string Field(string status, string name) =>
        status.Split('\n').First(l => l.StartsWith(name + ":")).Split(':', 2)[1].Trim();

    [Theory]
    [InlineData(CapabilityPresets.DockerDefault, new string[0], new string[0])]
    [InlineData(CapabilityPresets.None, new[] { "NET_ADMIN" }, new string[0])]
    [InlineData(CapabilityPresets.All, new string[0], new[] { "CAP_SYS_ADMIN", "chown" })]
    public void Capability_sets_match_the_spec(string preset, string[] add, string[] drop)
    {
        var caps = new CapabilitySpec { Preset = preset, Add = add, Drop = drop };
        var r = f.Run(f.Spec("/bin/cat", "/proc/self/status") with { Capabilities = caps });
        var want = CapabilitySets.Resolve(caps);
        Assert.Equal(want.Bounding, Convert.ToUInt64(Field(r.Out, "CapBnd"), 16));
        Assert.Equal(want.Effective, Convert.ToUInt64(Field(r.Out, "CapEff"), 16));
        Assert.Equal(want.Permitted, Convert.ToUInt64(Field(r.Out, "CapPrm"), 16));
        Assert.Equal(want.Inheritable, Convert.ToUInt64(Field(r.Out, "CapInh"), 16));
        Assert.Equal(want.Ambient, Convert.ToUInt64(Field(r.Out, "CapAmb"), 16));
    }

    [Fact]
    public void A_non_root_user_gets_ambient_capabilities_it_was_given()
    {
        var caps = new CapabilitySpec
        {
            Preset = CapabilityPresets.None, Add = ["NET_BIND_SERVICE"],
            Inheritable = ["NET_BIND_SERVICE"], Ambient = ["NET_BIND_SERVICE"],
        };
        var r = f.Run(f.Spec("/bin/cat", "/proc/self/status") with { Uid = 1000, Gid = 1000, Capabilities = caps });
        Assert.Equal(1UL << 10, Convert.ToUInt64(Field(r.Out, "CapAmb"), 16));
        Assert.Equal(1UL << 10, Convert.ToUInt64(Field(r.Out, "CapEff"), 16));
        Assert.StartsWith("1000", Field(r.Out, "Uid"));
    }

    [Fact]
    public void No_new_privs_and_seccomp_are_on_by_default()
    {
        var r = f.Run(f.Spec("/bin/cat", "/proc/self/status"));
        Assert.Equal("1", Field(r.Out, "NoNewPrivs"));
        Assert.Equal("2", Field(r.Out, "Seccomp"));
    }

    [Fact]
    public void Unconfined_without_no_new_privs_has_neither()
    {
        var r = f.Run(f.Spec("/bin/cat", "/proc/self/status") with
        {
            NoNewPrivs = false, Seccomp = new SeccompSpec { Preset = SeccompPresets.Unconfined },
        });
        Assert.Equal("0", Field(r.Out, "NoNewPrivs"));
        Assert.Equal("0", Field(r.Out, "Seccomp"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_denied_syscall_fails_with_the_chosen_errno(bool noNewPrivs)
    {
        var eacces = new SeccompAction(SeccompActionKind.Errno, 13);
        var spec = f.Spec("/bin/mkdir", "/tmp/denied") with
        {
            NoNewPrivs = noNewPrivs,
            Mounts = [MountSpec.Proc(), MountSpec.Tmpfs("/tmp")],
            Seccomp = new SeccompSpec { Rules = [new("mkdir", eacces), new("mkdirat", eacces)] },
        };
        var r = f.Run(spec);
        Assert.Equal(1, r.Exit.Code);
        Assert.Contains("Permission denied", r.Err);
        var allowed = f.Run(spec with { Seccomp = new SeccompSpec() });
        Assert.Equal(0, allowed.Exit.Code);
    }

    [Fact]
    public void Docker_default_seccomp_refuses_unshare()
    {
        var r = f.Run(f.Spec("/bin/unshare", "-n", "/bin/true") with { Capabilities = new CapabilitySpec { Preset = CapabilityPresets.All } });
        Assert.NotEqual(0, r.Exit.Code);
        Assert.Contains("Operation not permitted", r.Err);
    }

    [Fact]
    public void Rlimits_hold()
    {
        var r = f.Run(f.Spec("/bin/sh", "-c", "ulimit -Sn; ulimit -Hn") with { Rlimits = [new RlimitSpec("nofile", 64, 128)] });
        Assert.Equal(["64", "128"], r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Only_fds_0_to_2_reach_the_command()
    {
        // ls opens the directory it lists as fd 3; anything beyond that leaked from us.
        var r = f.Run(f.Spec("/bin/ls", "/proc/self/fd"));
        Assert.Equal(["0", "1", "2", "3"], r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Environment_is_cleared_like_env_i_and_set()
    {
        var spec = f.Spec("/bin/env") with { Environment = new EnvironmentSpec { Clear = true, Set = ["FOO=BAR"] } };
        Assert.Equal("FOO=BAR", f.Run(spec).Out.Trim());
        var kept = f.Run(f.Spec("/bin/env") with { Environment = new EnvironmentSpec { Set = ["FOO=BAR", "HOME=/tmp"] } }).Out;
        Assert.Contains("FOO=BAR", kept);
        Assert.Contains("HOME=/tmp", kept);
        Assert.Contains("PATH=", kept);
        Assert.DoesNotContain("HOME=/root", kept);
    }

    [Fact]
    public void Working_directory_and_ids_apply()
    {
        var r = f.Run(f.Spec("/bin/sh", "-c", "pwd; id -u; id -g; grep Groups /proc/self/status") with
        {
            Cwd = "/tmp", Uid = 1000, Gid = 1001, SupplementaryGroups = [5, 6],
        });
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("/tmp", lines[0]);
        Assert.Equal("1000", lines[1]);
        Assert.Equal("1001", lines[2]);
        Assert.Equal("5 6", lines[3]["Groups:".Length..].Trim());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Exit_codes_and_signals_come_back(bool pidNamespace)
    {
        var ns = NamespaceSet.AllButTime with { Pid = pidNamespace };
        var proc = pidNamespace ? [MountSpec.Proc()] : Array.Empty<MountSpec>();
        var code = f.Run(f.Spec("/bin/sh", "-c", "exit 7") with { Namespaces = ns, Mounts = proc });
        Assert.Equal((7, 0), (code.Exit.Code, code.Exit.Signal));
        var killed = f.Run(f.Spec("/bin/sh", "-c", "kill -9 $$") with { Namespaces = ns, Mounts = proc });
        Assert.Equal(9, killed.Exit.Signal);
        Assert.Equal(137, killed.Exit.ShellCode);
    }
}
