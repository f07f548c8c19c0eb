using System.Text.Json;
using Playground.Engine.Spec;

namespace Playground.Tests.Spec;

public class OciConfigRendererTests
{
    static JsonElement Render(SandboxSpec spec, IReadOnlyList<string>? denied = null) =>
        JsonDocument.Parse(OciConfigRenderer.Render(spec, denied)).RootElement;

    static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();

    [Fact]
    public void DefaultSpec()
    {
        var c = Render(SandboxSpec.Default("/srv/rootfs", "/bin/sh"), ["mount", "reboot"]);
        Assert.Equal("1.2.0", c.GetProperty("ociVersion").GetString());
        var p = c.GetProperty("process");
        Assert.Equal(["/bin/sh"], Strings(p.GetProperty("args")));
        Assert.Contains("HOME=/root", Strings(p.GetProperty("env")));
        Assert.Equal(0u, p.GetProperty("user").GetProperty("uid").GetUInt32());
        Assert.True(p.GetProperty("noNewPrivileges").GetBoolean());
        Assert.Equal(14, p.GetProperty("capabilities").GetProperty("bounding").GetArrayLength());
        Assert.Contains("CAP_NET_RAW", Strings(p.GetProperty("capabilities").GetProperty("effective")));
        Assert.Empty(Strings(p.GetProperty("capabilities").GetProperty("ambient")));
        Assert.Equal("/srv/rootfs", c.GetProperty("root").GetProperty("path").GetString());

        var mounts = c.GetProperty("mounts").EnumerateArray().Select(m => m.GetProperty("destination").GetString()!).ToArray();
        Assert.Equal(["/proc", "/dev", "/dev/pts", "/dev/shm"], mounts);

        var linux = c.GetProperty("linux");
        Assert.Equal(["mount", "uts", "ipc", "pid", "network", "user", "cgroup"],
            linux.GetProperty("namespaces").EnumerateArray().Select(n => n.GetProperty("type").GetString()!));
        var uid = linux.GetProperty("uidMappings")[0];
        Assert.Equal((0u, 100000u, 65536u), (uid.GetProperty("containerID").GetUInt32(), uid.GetProperty("hostID").GetUInt32(), uid.GetProperty("size").GetUInt32()));
        Assert.Equal(DockerPaths.Masked, Strings(linux.GetProperty("maskedPaths")));
        Assert.Equal(DockerPaths.ReadOnly, Strings(linux.GetProperty("readonlyPaths")));

        var seccomp = linux.GetProperty("seccomp");
        Assert.Equal("SCMP_ACT_ALLOW", seccomp.GetProperty("defaultAction").GetString());
        Assert.Equal(["SCMP_ARCH_X86_64"], Strings(seccomp.GetProperty("architectures")));
        var denied = seccomp.GetProperty("syscalls")[0];
        Assert.Equal(["mount", "reboot"], Strings(denied.GetProperty("names")));
        Assert.Equal(1, denied.GetProperty("errnoRet").GetInt32());
        Assert.False(c.TryGetProperty("annotations", out _));
        Assert.False(linux.TryGetProperty("resources", out _));
    }

    [Fact]
    public void EveryKnob()
    {
        var spec = SandboxSpec.Default("/srv/rootfs", "/bin/sh") with
        {
            Namespaces = NamespaceSet.All, Hostname = "box", ReadOnlyRoot = true, Terminal = true,
            Uid = 1000, Gid = 100, SupplementaryGroups = [10, 20],
            TimeOffsets = new() { BoottimeSeconds = 3600 },
            Mounts = [MountSpec.Bind("/srv/data", "/data", ro: true), MountSpec.Tmpfs("/tmp", 64 << 20)],
            MinimalDev = false, MaskPaths = false,
            Rlimits = [new("nofile", 1024, 4096)],
            Capabilities = new() { Preset = "none", Add = ["net_raw"], Inheritable = ["CAP_NET_RAW"], Ambient = ["CAP_NET_RAW"] },
            Seccomp = new() { Preset = SeccompPresets.DockerDefault, DefaultAction = new(SeccompActionKind.Errno, 38),
                              Rules = [new("mkdir", new(SeccompActionKind.Errno, 13)), new("ptrace", new(SeccompActionKind.Kill))] },
            Limits = new() { MemoryBytes = 64 << 20, PidsMax = 20, Cpus = 1.5 },
        };
        var c = Render(spec);
        var p = c.GetProperty("process");
        Assert.True(p.GetProperty("terminal").GetBoolean());
        Assert.Equal([10u, 20u], p.GetProperty("user").GetProperty("additionalGids").EnumerateArray().Select(g => g.GetUInt32()));
        Assert.Equal(["CAP_NET_RAW"], Strings(p.GetProperty("capabilities").GetProperty("ambient")));
        var rl = p.GetProperty("rlimits")[0];
        Assert.Equal(("RLIMIT_NOFILE", 4096ul, 1024ul), (rl.GetProperty("type").GetString(), rl.GetProperty("hard").GetUInt64(), rl.GetProperty("soft").GetUInt64()));
        Assert.True(c.GetProperty("root").GetProperty("readonly").GetBoolean());
        Assert.Equal("box", c.GetProperty("hostname").GetString());

        var bind = c.GetProperty("mounts")[0];
        Assert.Equal(("bind", "/srv/data"), (bind.GetProperty("type").GetString(), bind.GetProperty("source").GetString()));
        Assert.Equal(["bind", "ro"], Strings(bind.GetProperty("options")));
        Assert.Contains("size=64m", Strings(c.GetProperty("mounts")[1].GetProperty("options")));

        var linux = c.GetProperty("linux");
        Assert.Contains("time", linux.GetProperty("namespaces").EnumerateArray().Select(n => n.GetProperty("type").GetString()));
        Assert.Equal(3600, linux.GetProperty("timeOffsets").GetProperty("boottime").GetProperty("secs").GetInt64());
        var r = linux.GetProperty("resources");
        Assert.Equal(64L << 20, r.GetProperty("memory").GetProperty("limit").GetInt64());
        Assert.Equal(64L << 20, r.GetProperty("memory").GetProperty("swap").GetInt64());
        Assert.Equal(20, r.GetProperty("pids").GetProperty("limit").GetInt64());
        Assert.Equal((150000, 100000), (r.GetProperty("cpu").GetProperty("quota").GetInt64(), r.GetProperty("cpu").GetProperty("period").GetInt64()));

        var s = linux.GetProperty("seccomp");
        Assert.Equal(("SCMP_ACT_ERRNO", 38), (s.GetProperty("defaultAction").GetString(), s.GetProperty("defaultErrnoRet").GetInt32()));
        var rules = s.GetProperty("syscalls");
        Assert.Equal(2, rules.GetArrayLength()); // no docker-default list wired: only the spec's rules
        Assert.Equal(13, rules[0].GetProperty("errnoRet").GetInt32());
        Assert.Equal("SCMP_ACT_KILL_PROCESS", rules[1].GetProperty("action").GetString());
        Assert.Contains("docker-default", c.GetProperty("annotations").GetProperty("org.playground.seccomp").GetString());
        Assert.False(linux.TryGetProperty("maskedPaths", out _));
    }

    [Fact]
    public void UnconfinedHasNoSeccompAndNoUserNsHasNoMaps()
    {
        var spec = SandboxSpec.Default("/r", "/bin/sh") with
        {
            Namespaces = NamespaceSet.None with { Mount = true },
            Seccomp = new() { Preset = SeccompPresets.Unconfined },
        };
        var linux = Render(spec).GetProperty("linux");
        Assert.False(linux.TryGetProperty("seccomp", out _));
        Assert.False(linux.TryGetProperty("uidMappings", out _));
    }
}
