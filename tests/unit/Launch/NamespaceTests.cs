using Playground.Engine.Spec;

namespace Playground.Tests.Launch;

[Collection("sandbox")]
public sealed class NamespaceTests(SandboxFixture f)
{
    public static TheoryData<NamespaceKind, bool> Cases()
    {
        var data = new TheoryData<NamespaceKind, bool>();
        foreach (var k in NamespaceKinds.All) { data.Add(k, true); data.Add(k, false); }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Namespace_is_new_when_on_and_shared_when_off(NamespaceKind kind, bool on)
    {
        var parent = new FileInfo($"/proc/self/ns/{kind.ProcName()}").LinkTarget!;
        string inside;
        if (kind == NamespaceKind.Mount)
        {
            // Without its own mount namespace the sandbox has no /proc of its own to read:
            // ask the kernel from outside about the running sandbox's first process.
            var spec = f.Spec("/bin/sleep", "30") with
            {
                Namespaces = NamespaceSet.AllButTime with { Mount = on },
                Mounts = on ? [MountSpec.Proc()] : [], MinimalDev = on, MaskPaths = on,
            };
            using var s = f.Engine.Launch(spec);
            inside = new FileInfo($"/proc/{s.InitPid}/ns/mnt").LinkTarget!;
        }
        else
        {
            var spec = f.Spec("/bin/readlink", $"/proc/self/ns/{kind.ProcName()}") with
            {
                // proc of the parent's pid namespace cannot be mounted from a new user namespace
                Namespaces = kind == NamespaceKind.Pid && !on
                    ? NamespaceSet.AllButTime with { Pid = false, User = false }
                    : NamespaceSet.AllButTime.With(kind, on),
            };
            var r = f.Run(spec);
            Assert.True(r.Exit.Code == 0, r.Err);
            inside = r.Out.Trim();
        }
        Assert.StartsWith(kind.ProcName() + ":[", inside);
        if (on) Assert.NotEqual(parent, inside); else Assert.Equal(parent, inside);
    }

    [Fact]
    public void Hostname_is_set_in_the_uts_namespace()
    {
        var r = f.Run(f.Spec("/bin/hostname") with { Hostname = "toybox" });
        Assert.Equal("toybox", r.Out.Trim());
        Assert.NotEqual("toybox", System.Net.Dns.GetHostName());
    }

    [Fact]
    public void Uid_map_puts_root_inside_on_an_unprivileged_range_outside()
    {
        var r = f.Run(f.Spec("/bin/sh", "-c", "id -u; cat /proc/self/uid_map"));
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("0", lines[0]);
        var map = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["0", "100000", "65536"], map);
    }

    [Fact]
    public void Sandbox_root_is_an_unprivileged_uid_on_the_host()
    {
        using var s = f.Engine.Launch(f.Spec("/bin/sleep", "30"));
        var uidLine = File.ReadAllLines($"/proc/{s.InitPid}/status").First(l => l.StartsWith("Uid:"));
        Assert.Equal("100000", uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    [Fact]
    public void Time_namespace_applies_the_monotonic_offset()
    {
        var spec = f.Spec("/bin/cat", "/proc/uptime") with
        {
            Namespaces = NamespaceSet.All, TimeOffsets = new TimeOffsets { MonotonicSeconds = 86400, BoottimeSeconds = 86400 },
        };
        var r = f.Run(spec);
        var inside = double.Parse(r.Out.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        var outside = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(inside - outside, 86390, 86410);
    }
}
