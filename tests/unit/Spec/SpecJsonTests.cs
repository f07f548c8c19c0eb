using Playground.Engine;
using Playground.Engine.Spec;

namespace Playground.Tests.Spec;

public class SpecJsonTests
{
    static SandboxSpec Rich() => SandboxSpec.Default("/srv/rootfs", "/bin/sh", "-c", "echo hi") with
    {
        ReadOnlyRoot = true,
        Namespaces = NamespaceSet.All,
        UidMap = [new IdMapping(0, 100000, 1000), new IdMapping(1000, 200000, 1)],
        TimeOffsets = new TimeOffsets { MonotonicSeconds = 3600 },
        Mounts = [MountSpec.Proc(), MountSpec.Bind("/srv/data", "/data", ro: true), MountSpec.Tmpfs("/tmp", 64 << 20)],
        Hostname = "box",
        Environment = new EnvironmentSpec { Clear = true, Set = ["FOO=BAR"] },
        Rlimits = [new RlimitSpec("nofile", 1024, Rlimits.Infinity)],
        Capabilities = new CapabilitySpec { Preset = "none", Add = ["CAP_NET_RAW"], Ambient = [] },
        Seccomp = new SeccompSpec
        {
            DefaultAction = SeccompAction.Eperm,
            Rules = [new SeccompRule("mkdir", new SeccompAction(SeccompActionKind.Errno, 13)), new SeccompRule("ptrace", new SeccompAction(SeccompActionKind.Kill))],
        },
        Limits = new ResourceLimits { MemoryBytes = 64 << 20, PidsMax = 10, Cpus = 0.5 },
    };

    [Fact]
    public void RoundTrips()
    {
        var spec = Rich();
        var json = SpecJson.Serialize(spec);
        var back = SpecJson.Deserialize(json);
        Assert.Equal(json, SpecJson.Serialize(back));
        Assert.Equal(spec.Mounts, back.Mounts);
        Assert.Equal(spec.Seccomp.Rules, back.Seccomp.Rules);
        Assert.Equal(spec.Limits, back.Limits);
        Assert.Equal(spec.UidMap, back.UidMap);
    }

    [Fact]
    public void WritesLowercaseNamesAndActions()
    {
        var json = SpecJson.Serialize(Rich());
        Assert.Contains("\"type\": \"bind\"", json);
        Assert.Contains("\"type\": \"tmpfs\"", json);
        Assert.Contains("\"action\": \"errno:EACCES\"", json);
        Assert.Contains("\"action\": \"kill\"", json);
        Assert.Contains("\"defaultAction\": \"errno\"", json);
        Assert.Contains("\"hard\": \"unlimited\"", json);
        Assert.Contains("\"rootfs\": \"/srv/rootfs\"", json);
    }

    [Fact]
    public void ReadsHandWrittenJsonAndKeepsDefaults()
    {
        var spec = SpecJson.Deserialize("""
            {
              // comments are fine
              "rootfs": "/srv/rootfs",
              "command": ["/bin/sh",],
              "seccomp": { "rules": [ { "syscall": "mkdir", "action": "errno:13" }, { "syscall": "chmod", "action": "ERRNO:eacces" } ] },
            }
            """);
        Assert.Equal("/srv/rootfs", spec.Rootfs);
        Assert.True(spec.Namespaces.Pid);
        Assert.Equal([MountSpec.Proc()], spec.Mounts);
        Assert.Equal(13, spec.Seccomp.Rules[0].Action.Errno);
        Assert.Equal(13, spec.Seccomp.Rules[1].Action.Errno);
        Assert.Equal(SeccompPresets.DockerDefault, spec.Seccomp.Preset);
    }

    [Theory]
    [InlineData("""{"mounts": [{"type": "bnd", "destination": "/x"}]}""", "$.mounts[0].type", "'bnd' is not one of bind, proc, sysfs, devpts, tmpfs, mqueue")]
    [InlineData("""{"seccomp": {"rules": [{"syscall": "mkdir", "action": "deny"}]}}""", "$.seccomp.rules[0].action", "'deny' is not a seccomp action")]
    [InlineData("""{"uid": "root"}""", "$.uid", "expected a whole number")]
    [InlineData("""{"namespace": {}}""", "$", "'namespace' is not a known property")]
    [InlineData("""{"mounts": null}""", "$.mounts", "null is not allowed")]
    [InlineData("""{"rootfs": """, "$", "line 1")]
    [InlineData("null", "$", "must be a JSON object")]
    public void BadJsonNamesThePath(string json, string field, string phrase)
    {
        var ex = Assert.Throws<SpecValidationException>(() => SpecJson.Deserialize(json));
        var error = Assert.Single(ex.Errors);
        Assert.StartsWith(field, error.Field);
        Assert.Contains(phrase, error.Message);
    }
}
