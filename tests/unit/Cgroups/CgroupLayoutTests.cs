using Playground.Engine.Cgroups;

namespace Playground.Tests.Cgroups;

/// <summary>Layout choice from mountinfo text alone: no root needed, every host shape covered.</summary>
public sealed class CgroupLayoutTests
{
    const string Hybrid = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    const string PureV2 = """
        25 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """;

    static CgroupLayout Find(string mountinfo) =>
        CgroupLayout.Find(CgroupMounts.Parse(mountinfo.Split('\n')), "/sys/fs/cgroup");

    [Fact]
    public void Hybrid_is_v1_and_cpu_follows_its_comount()
    {
        var layout = Find(Hybrid);
        Assert.Equal(CgroupVersion.V1, layout.Version);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.ControllerMounts["cpu"]);
        Assert.Equal("/sys/fs/cgroup/memory", layout.ControllerMounts["memory"]);
    }

    [Fact]
    public void Cpuset_is_not_mistaken_for_cpu()
    {
        // cpuset listed first: a prefix match on "cpu" would pick it.
        var lines = Hybrid.Split('\n').OrderBy(l => !l.Contains("cpuset")).ToArray();
        var layout = CgroupLayout.Find(CgroupMounts.Parse(lines), "/sys/fs/cgroup");
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.ControllerMounts["cpu"]);
    }

    [Fact]
    public void Cgroup2_at_the_root_is_v2()
    {
        Assert.Equal(CgroupVersion.V2, Find(PureV2).Version);
        Assert.Equal(CgroupVersion.V2, Find(PureV2 + "\n").Version);
    }

    [Fact]
    public void Missing_v1_controller_is_named()
    {
        var e = Assert.Throws<NotSupportedException>(() => Find(Hybrid.Replace("rw,freezer", "rw,name=x")));
        Assert.Contains("freezer", e.Message);
    }

    [Fact]
    public void Octal_escapes_in_mount_points_are_decoded()
    {
        var m = CgroupMounts.Parse(["40 1 0:9 / /mnt/my\\040cg rw - cgroup2 none rw"]);
        Assert.Equal("/mnt/my cg", Assert.Single(m).MountPoint);
    }
}
