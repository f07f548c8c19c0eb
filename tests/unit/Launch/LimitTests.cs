using Playground.Engine.Spec;

namespace Playground.Tests.Launch;

[Collection("sandbox")]
public sealed class LimitTests(SandboxFixture f)
{
    [Fact]
    public void A_memory_hog_is_oom_killed_at_the_limit()
    {
        var spec = f.Spec("/bin/sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived") with
        {
            Limits = new ResourceLimits { MemoryBytes = 32L << 20 },
        };
        using var s = f.Engine.Launch(spec);
        s.CloseInput();
        var output = new StreamReader(s.Output).ReadToEndAsync();
        Assert.True(s.Completion.Wait(TimeSpan.FromSeconds(60)));
        var usage = s.Cgroup.Usage();
        Assert.Equal(32L << 20, usage.MemoryMaxBytes);
        Assert.True(usage.OomKills >= 1, $"oom_kill = {usage.OomKills}");
        Assert.Equal(9, s.Completion.Result.Signal);
        Assert.DoesNotContain("survived", output.Result);
    }

    [Fact]
    public void A_fork_loop_stops_at_the_pids_limit()
    {
        var spec = f.Spec("/bin/sh", "-c", "for i in $(seq 40); do sleep 30 & done; wait") with
        {
            Limits = new ResourceLimits { PidsMax = 10 },
        };
        using var s = f.Engine.Launch(spec);
        s.CloseInput();
        var err = new StreamReader(s.Error!).ReadToEndAsync();
        Assert.True(s.Completion.Wait(TimeSpan.FromSeconds(30)));
        Assert.Contains("fork", err.Result);
        Assert.Equal(10, s.Cgroup.Usage().PidsMax);
        // the kernel counts each fork it refused at pids.max
        var events = s.Cgroup.Paths.Select(p => Path.Combine(p, "pids.events")).First(File.Exists);
        var refused = long.Parse(File.ReadAllLines(events).First(l => l.StartsWith("max ")).Split(' ')[1]);
        Assert.True(refused > 0, File.ReadAllText(events));
    }

    [Fact]
    public void Cpu_quota_is_written()
    {
        using var s = f.Engine.Launch(f.Spec("/bin/sleep", "5") with { Limits = new ResourceLimits { Cpus = 0.5 } });
        var quota = s.Cgroup.Paths.Select(p => Path.Combine(p, "cpu.cfs_quota_us")).Where(File.Exists)
            .Concat(s.Cgroup.Paths.Select(p => Path.Combine(p, "cpu.max")).Where(File.Exists)).First();
        Assert.StartsWith("50000", File.ReadAllText(quota).Trim());
    }
}
