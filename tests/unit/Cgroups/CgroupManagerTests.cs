using Playground.Engine.Cgroups;
using Playground.Engine.Spec;
using static Playground.Tests.Cgroups.CgroupTestSupport;

namespace Playground.Tests.Cgroups;

/// <summary>Detect, Create and its limit files, argument checks and the nothing-half-made rule, on the real kernel.</summary>
[Collection(CgroupCollection.Name)]
public sealed class CgroupManagerTests
{
    readonly CgroupManager manager = CgroupManager.Detect();

    [Fact]
    public void Detect_reports_the_hosts_version_and_the_parent_exists()
    {
        Assert.Equal(ExpectedVersion(), manager.Version);
        // This machine is hybrid (v1 controllers + cgroup2 at /sys/fs/cgroup/unified): v1 it is.
        if (Directory.Exists("/sys/fs/cgroup/unified")) Assert.Equal(CgroupVersion.V1, manager.Version);
        Assert.NotEmpty(manager.ParentPaths);
        Assert.All(manager.ParentPaths, p =>
        {
            Assert.True(Directory.Exists(p), p);
            Assert.Equal("playground", Path.GetFileName(p));
        });
        if (manager.Version == CgroupVersion.V1)
            foreach (var controller in new[] { "memory", "pids", "cpu", "freezer" })
                Assert.Contains(manager.ParentPaths, p => File.Exists(Path.Combine(p, FileOf(controller))));
    }

    static string FileOf(string v1Controller) => v1Controller switch
    {
        "memory" => "memory.limit_in_bytes",
        "pids" => "pids.max",
        "cpu" => "cpu.cfs_quota_us",
        _ => "freezer.state",
    };

    [Fact]
    public void Create_writes_the_limit_files()
    {
        var limits = new ResourceLimits { MemoryBytes = 64L << 20, PidsMax = 10, Cpus = 0.5 };
        using var cg = manager.Create(UniqueId("limits"), limits);

        Assert.Equal($"/playground/{cg.Id}", cg.RelativePath);
        Assert.All(cg.Paths, p => Assert.True(Directory.Exists(p), p));
        if (cg.Version == CgroupVersion.V1)
        {
            Assert.Equal("67108864", ReadIn(cg, "memory.limit_in_bytes"));
            if (FindIn(cg, "memory.memsw.limit_in_bytes") is { } memsw)
                Assert.Equal("67108864", File.ReadAllText(memsw).Trim());
            Assert.Equal("10", ReadIn(cg, "pids.max"));
            Assert.Equal("100000", ReadIn(cg, "cpu.cfs_period_us"));
            Assert.Equal("50000", ReadIn(cg, "cpu.cfs_quota_us"));
        }
        else
        {
            Assert.Equal("67108864", ReadIn(cg, "memory.max"));
            if (FindIn(cg, "memory.swap.max") is { } swap) Assert.Equal("0", File.ReadAllText(swap).Trim());
            Assert.Equal("10", ReadIn(cg, "pids.max"));
            Assert.Equal("50000 100000", ReadIn(cg, "cpu.max"));
        }
        var usage = cg.Usage();
        Assert.Equal(64L << 20, usage.MemoryMaxBytes);
        Assert.Equal(10, usage.PidsMax);
        Assert.Equal(0, usage.PidsCurrent);
        Assert.Equal(0, usage.OomKills);
    }

    [Fact]
    public void Create_without_limits_still_makes_every_directory()
    {
        using var cg = manager.Create(UniqueId("nolimits"), new ResourceLimits());
        Assert.Equal(manager.ParentPaths.Count, cg.Paths.Count);
        Assert.All(cg.Paths, p => Assert.True(Directory.Exists(p), p));
        var usage = cg.Usage();
        Assert.Null(usage.MemoryMaxBytes);
        Assert.Null(usage.PidsMax);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("has space")]
    [InlineData("x_y")]
    public void Invalid_id_is_rejected_naming_the_field(string id)
    {
        var e = Assert.Throws<ArgumentException>(() => manager.Create(id, new ResourceLimits()));
        Assert.Equal("id", e.ParamName);
        Assert.Contains("a-z, 0-9", e.Message);
    }

    [Fact]
    public void Id_longer_than_64_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => manager.Create(new string('a', 65), new ResourceLimits()));
    }

    [Theory]
    [InlineData(0L, null, null, "limits.MemoryBytes")]
    [InlineData(null, -1L, null, "limits.PidsMax")]
    [InlineData(null, null, 0.0, "limits.Cpus")]
    [InlineData(null, null, double.NaN, "limits.Cpus")]
    public void Invalid_limits_are_rejected_naming_the_field(long? mem, long? pids, double? cpus, string field)
    {
        var id = UniqueId("badlimits");
        var e = Assert.Throws<ArgumentException>(() =>
            manager.Create(id, new ResourceLimits { MemoryBytes = mem, PidsMax = pids, Cpus = cpus }));
        Assert.StartsWith(field, e.Message);
        Assert.All(manager.ParentPaths, p => Assert.False(Directory.Exists(Path.Combine(p, id))));
    }

    [Fact]
    public void A_limit_the_kernel_refuses_names_file_and_errno_and_leaves_nothing()
    {
        // A billion CPUs is a quota beyond the kernel's maximum: cpu.cfs_quota_us / cpu.max say EINVAL,
        // after the memory and pids limits were already written.
        var id = UniqueId("refused");
        var e = Assert.Throws<CgroupException>(() =>
            manager.Create(id, new ResourceLimits { MemoryBytes = 64L << 20, PidsMax = 10, Cpus = 1e9 }));
        Assert.Contains(manager.Version == CgroupVersion.V1 ? "cpu.cfs_quota_us" : "cpu.max", e.Message);
        Assert.Contains("EINVAL", e.Message);
        Assert.All(manager.ParentPaths, p => Assert.False(Directory.Exists(Path.Combine(p, id)), p));
    }

    [Fact]
    public void An_existing_cgroup_is_not_adopted()
    {
        using var cg = manager.Create(UniqueId("twice"), new ResourceLimits());
        var e = Assert.Throws<CgroupException>(() => manager.Create(cg.Id, new ResourceLimits()));
        Assert.Contains("EEXIST", e.Message);
        Assert.All(cg.Paths, p => Assert.True(Directory.Exists(p), p));   // the first one is untouched
    }

    static string? FindIn(SandboxCgroup cg, string file) =>
        cg.Paths.Select(p => Path.Combine(p, file)).FirstOrDefault(File.Exists);

    static string ReadIn(SandboxCgroup cg, string file) =>
        File.ReadAllText(FindIn(cg, file) ?? throw new FileNotFoundException(file)).Trim();
}
