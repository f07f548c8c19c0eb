using Playground.Engine;
using Playground.Engine.Spec;
using Playground.Engine.Spec.Formats;
using static Playground.Tests.Spec.Formats.FormatAssert;

namespace Playground.Tests.Spec.Formats;

public class OciFormatTests
{
    static readonly SpecFormat Oci = SpecFormats.Find("oci");

    [Fact]
    public void Every_knob_comes_back_unchanged()
    {
        var spec = Rich with
        {
            UidMap = [new IdMapping(0, 100000, 1000), new IdMapping(1000, 200000, 1)],
            GidMap = [new IdMapping(0, 100000, 1001)],
            Seccomp = Rich.Seccomp with { DefaultAction = new SeccompAction(SeccompActionKind.Errno, 38) },
            Capabilities = Rich.Capabilities with { Inheritable = ["CAP_NET_ADMIN"], Ambient = ["CAP_NET_ADMIN"] },
        };
        var imported = RoundTrip(Oci, spec, out var exported);
        Assert.Empty(exported.Notes);
        Assert.Empty(imported.Notes);
        Assert.Equal(SpecText(spec), SpecText(imported.Spec));
    }

    [Fact]
    public void Shared_namespaces_and_no_policy_come_back_unchanged()
    {
        var imported = RoundTrip(Oci, Sparse, out _);
        Assert.Empty(imported.Notes);
        Assert.Equal(SpecText(Sparse), SpecText(imported.Spec));
    }

    [Fact]
    public void The_default_spec_comes_back_with_its_presets()
    {
        var spec = SandboxSpec.Default("/srv/rootfs", "/bin/sh");
        var imported = Oci.Import(Oci.Export(spec).Text);
        Assert.Equal(SpecText(spec), SpecText(imported.Spec));
        Assert.Equal(SeccompPresets.DockerDefault, imported.Spec.Seccomp.Preset);
    }

    /// <summary>A config.json as Docker and runc write it, with the fields the playground cannot run.</summary>
    const string Foreign = """
        {
          "ociVersion": "1.0.2-dev",
          "process": {
            "user": { "uid": 0, "gid": 0, "umask": 18 },
            "args": ["sh"], "env": ["PATH=/bin", "HOSTNAME=x"], "cwd": "/",
            "capabilities": { "bounding": ["CAP_CHOWN", "CAP_WAKE_UP_NEO"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"] },
            "apparmorProfile": "docker-default", "oomScoreAdj": 0,
            "rlimits": [{ "type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024 }, { "type": "RLIMIT_BOGUS", "soft": 1, "hard": 1 }]
          },
          "root": { "path": "rootfs" },
          "hostname": "c1",
          "mounts": [
            { "destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"] },
            { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            { "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
            { "destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"] },
            { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro", "nosuid", "noexec", "nodev"] },
            { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"] },
            { "destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro", "rprivate"] },
            { "destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["noexec", "size=1m"] }
          ],
          "hooks": { "prestart": [{ "path": "/usr/bin/true" }] },
          "linux": {
            "namespaces": [{ "type": "mount" }, { "type": "network", "path": "/proc/1/ns/net" }, { "type": "pid" }],
            "resources": {
              "memory": { "limit": 67108864 },
              "cpu": { "quota": 50000, "period": 100000, "shares": 512 },
              "pids": { "limit": 100 },
              "blockIO": { "weight": 500 },
              "devices": [{ "allow": false, "access": "rwm" }]
            },
            "seccomp": {
              "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
              "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
              "syscalls": [
                { "names": ["read", "write", "not_a_call"], "action": "SCMP_ACT_ALLOW" },
                { "names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{ "index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ" }] },
                { "names": ["ptrace"], "action": "SCMP_ACT_KILL_THREAD" },
                { "names": ["mount"], "action": "SCMP_ACT_NOTIFY" }
              ]
            },
            "maskedPaths": ["/proc/kcore", "/proc/secret"],
            "cgroupsPath": "/docker/c1",
            "sysctl": { "net.ipv4.ip_forward": "1" }
          },
          "annotations": { "org.example": "x" },
          "whatIsThis": true
        }
        """;

    [Fact]
    public void A_foreign_config_is_read_and_every_field_it_cannot_carry_is_named()
    {
        var (spec, notes) = Oci.Import(Foreign);
        var fields = notes.Select(n => n.Field).ToList();
        foreach (var expected in new[]
        {
            "process.user.umask", "process.apparmorProfile", "process.oomScoreAdj", "process.capabilities.bounding[1]", "process.rlimits[1]",
            "mounts[4]", "mounts[5]", "mounts[6].options", "mounts[7].options",
            "hooks", "linux.namespaces[1].path", "linux.resources.memory.swap", "linux.resources.cpu.shares",
            "linux.resources.blockIO", "linux.resources.devices", "linux.seccomp.architectures", "linux.seccomp.syscalls[0].names",
            "linux.seccomp.syscalls[1].args", "linux.seccomp.syscalls[2].action", "linux.seccomp.syscalls[3].action",
            "linux.maskedPaths", "linux.readonlyPaths", "linux.cgroupsPath", "linux.sysctl", "annotations", "whatIsThis",
        })
            Assert.Contains(expected, fields);
        Assert.Contains(notes, n => n.ToString() == "linux.resources.blockIO: not supported");
        Assert.Contains(notes, n => n.Field == "mounts[6].options" && n.Message.StartsWith("rbind"));
        Assert.Contains(notes, n => n.Field == "mounts[6].options" && n.Message == "rprivate: not supported");

        Assert.Equal("rootfs", spec.Rootfs);
        Assert.Equal(["sh"], spec.Command);
        Assert.Equal(["PATH=/bin", "HOSTNAME=x"], spec.Environment.Set);
        Assert.True(spec.Environment.Clear);
        Assert.Equal(NamespaceSet.None with { Mount = true, Net = true, Pid = true }, spec.Namespaces);
        Assert.True(spec.MinimalDev);
        Assert.True(spec.MaskPaths);
        Assert.Equal(
            [MountType.Proc, MountType.Sysfs, MountType.Bind, MountType.Tmpfs],
            spec.Mounts.Select(m => m.Type));
        Assert.Equal(MountSpec.Bind("/srv/data", "/data", ro: true), spec.Mounts[2]);
        Assert.Equal(1 << 20, spec.Mounts[3].SizeBytes);
        Assert.Equal(new ResourceLimits { MemoryBytes = 64 << 20, PidsMax = 100, Cpus = 0.5 }, spec.Limits);
        Assert.Equal([new RlimitSpec("nofile", 1024, 1024)], spec.Rlimits);
        Assert.Equal(CapabilityPresets.None, spec.Capabilities.Preset);
        Assert.Equal(["CAP_CHOWN"], spec.Capabilities.Add);
        var seccomp = spec.Seccomp;
        Assert.Equal(SeccompPresets.Unconfined, seccomp.Preset);
        Assert.Equal(SeccompAction.Eperm, seccomp.DefaultAction);
        Assert.Equal(["read", "write", "ptrace"], seccomp.Rules.Select(r => r.Syscall));
        Assert.Equal(SeccompActionKind.Kill, seccomp.Rules[2].Action.Kind);
    }

    [Theory]
    [InlineData("""{"root": {"path": "/r"}}""", "ociVersion", "missing")]
    [InlineData("""{"ociVersion": "1.2", "root": {"path": "/r"}}""", "ociVersion", "SemVer")]
    [InlineData("""{"ociVersion": "1.2.0"}""", "root", "missing")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {}}""", "root.path", "missing")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "process": {"cwd": "/"}}""", "process.args", "missing")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "process": {"cwd": "/", "args": []}}""", "process.args", "at least 1")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "process": {"args": ["sh"]}}""", "process.cwd", "missing")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "process": {"cwd": "tmp", "args": ["sh"]}}""", "process.cwd", "absolute")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "process": {"cwd": "/", "args": ["sh"], "user": {"uid": -1, "gid": 0}}}""", "process.user.uid", "below the minimum 0")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "process": {"cwd": "/", "args": ["sh"], "env": ["NOEQUALS"]}}""", "process.env[0]", "KEY=VALUE")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "process": {"cwd": "/", "args": ["sh"], "terminal": "yes"}}""", "process.terminal", "expected a boolean, not 'yes'")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "process": {"cwd": "/", "args": ["sh"], "rlimits": [{"type": "nofile", "soft": 1, "hard": 1}]}}""", "process.rlimits[0].type", "RLIMIT_NOFILE")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "linux": {"namespaces": [{"type": "net"}]}}""", "linux.namespaces[0].type", "not one of mount, pid, network")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "linux": {"seccomp": {"defaultAction": "SCMP_ACT_DENY"}}}""", "linux.seccomp.defaultAction", "not one of SCMP_ACT_KILL")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "linux": {"seccomp": {"syscalls": []}}}""", "linux.seccomp.defaultAction", "missing")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}}}""", "linux.seccomp.syscalls[0].names", "at least 1")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "mounts": [{"type": "tmpfs", "source": "tmpfs"}]}""", "mounts[0].destination", "missing")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "mounts": {"destination": "/tmp"}}""", "mounts", "expected an array, not an object")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "linux": {"resources": {"memory": {"limit": 1.5}}}}""", "linux.resources.memory.limit", "expected an integer, not 1.5")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "linux": {"uidMappings": [{"containerID": 0, "hostID": 4294967296, "size": 1}]}}""", "linux.uidMappings[0].hostID", "above the maximum 4294967295")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"}, "annotations": {"org.x": 1}}""", "annotations[\"org.x\"]", "expected a string")]
    [InlineData("""{"ociVersion": "1.2.0", "root": {"path": "/r"},""", "$", "not JSON")]
    [InlineData("""[]""", "$", "expected an object, not an array")]
    public void Schema_violations_name_the_json_path(string json, string field, string phrase)
    {
        var error = Refused(() => Oci.Import(json));
        Assert.Equal(field, error.Field);
        Assert.Contains(phrase, error.Message);
    }

    [Fact]
    public void Every_violation_is_reported_at_once()
    {
        var e = Assert.Throws<SpecValidationException>(() => Oci.Import("""{"root": {"path": 1}, "process": {"cwd": "/"}}"""));
        Assert.Equal(["ociVersion", "process.args", "root.path"], e.Errors.Select(x => x.Field).Order());
    }

    [Fact]
    public void Unsigned_64_bit_values_are_checked_exactly()
    {
        static string Config(string hard) =>
            """{"ociVersion": "1.2.0", "root": {"path": "/r"}, "process": {"cwd": "/", "args": ["sh"], "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": HARD}]}}"""
                .Replace("HARD", hard);
        Assert.Equal(Rlimits.Infinity, Oci.Import(Config("18446744073709551615")).Spec.Rlimits[0].Hard);
        Assert.Equal("process.rlimits[0].hard", Refused(() => Oci.Import(Config("18446744073709551616"))).Field);
    }
}
