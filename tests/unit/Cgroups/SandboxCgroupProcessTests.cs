using System.Diagnostics;
using System.Text;
using Playground.Engine.Cgroups;
using Playground.Engine.Spec;
using static Playground.Tests.Cgroups.CgroupTestSupport;

namespace Playground.Tests.Cgroups;

/// <summary>Real processes in real cgroups: membership, kill, delete and the kernel enforcing limits.</summary>
[Collection(CgroupCollection.Name)]
public sealed class SandboxCgroupProcessTests
{
    readonly CgroupManager manager = CgroupManager.Detect();

    [Fact]
    public void Added_process_is_listed_then_KillAll_empties_and_Delete_removes_every_directory()
    {
        var cg = manager.Create(UniqueId("sleep"), new ResourceLimits());
        using var sleep = Process.Start("sleep", "1000");
        try
        {
            cg.AddProcess(sleep.Id);
            Assert.Equal([sleep.Id], cg.Processes());
            var kernelSays = CgroupOf(sleep.Id, cg.Version == CgroupVersion.V1 ? "memory" : "");
            Assert.Equal(cg.RelativePath, kernelSays);

            cg.KillAll(TimeSpan.FromSeconds(5));

            Assert.True(sleep.WaitForExit(5000));
            Assert.Equal(128 + 9, sleep.ExitCode);   // SIGKILL
            Assert.Empty(cg.Processes());
            cg.Delete();
            Assert.All(cg.Paths, p => Assert.False(Directory.Exists(p), p));
            cg.Delete();   // again: nothing left, no error
        }
        finally
        {
            KillQuietly(sleep);
            cg.Dispose();
        }
    }

    [Fact]
    public void Pids_limit_of_5_stops_a_shell_from_making_more()
    {
        using var cg = manager.Create(UniqueId("pids"), new ResourceLimits { PidsMax = 5 });
        var p = StartGated("for i in $(seq 20); do sleep 5 & done; wait");
        try
        {
            cg.AddProcess(p.Id);
            Release(p);

            var peak = 0;
            var until = DateTime.UtcNow.AddSeconds(1.5);
            while (DateTime.UtcNow < until)
            {
                peak = Math.Max(peak, Math.Max(cg.Processes().Count, (int)cg.Usage().PidsCurrent));
                Thread.Sleep(10);
            }
            Assert.InRange(peak, 2, 5);   // it did fork, and never past the limit
            Assert.Equal(5, cg.Usage().PidsMax);
            // The kernel counts the forks it refused in pids.events "max".
            var events = cg.Paths.Select(d => Path.Combine(d, "pids.events")).First(File.Exists);
            Assert.True(ReadKey(events, "max") > 0, File.ReadAllText(events));
        }
        finally
        {
            cg.KillAll(TimeSpan.FromSeconds(10));
            KillQuietly(p);
        }
    }

    [Fact]
    public void Memory_limit_of_32MiB_gets_a_hog_oom_killed_and_the_host_survives()
    {
        using var cg = manager.Create(UniqueId("oom"), new ResourceLimits { MemoryBytes = 32L << 20 });
        var output = new StringBuilder();
        // The shell itself holds the 200 MB string it reads from the pipe.
        var p = StartGated("x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo done", output);
        try
        {
            cg.AddProcess(p.Id);
            Release(p);

            Assert.True(p.WaitForExit(60_000), "the hog neither finished nor was killed");
            p.WaitForExit();   // drain the output readers
            Assert.Equal(128 + 9, p.ExitCode);   // SIGKILL from the OOM killer
            Assert.DoesNotContain("done", output.ToString());
            Assert.True(cg.Usage().OomKills > 0, $"oom_kill = {cg.Usage().OomKills}");
            Assert.True(cg.Usage().MemoryBytes <= 32L << 20);
        }
        finally
        {
            cg.KillAll(TimeSpan.FromSeconds(10));
            KillQuietly(p);
        }
        // Still here: the test host was outside the cgroup and kept running.
    }

    [Fact]
    public void KillAll_stops_a_fork_bomb()
    {
        // Bounded by pids and cpu limits so a failure cannot hurt the machine. perl, unlike sh,
        // shrugs off a failed fork, so every process keeps forking into each freed slot while
        // KillAll works.
        using var cg = manager.Create(UniqueId("bomb"), new ResourceLimits { PidsMax = 64, Cpus = 1 });
        var p = StartGated("exec perl -e 'while (1) { fork }'");
        try
        {
            cg.AddProcess(p.Id);
            Release(p);
            var until = DateTime.UtcNow.AddSeconds(5);
            while (cg.Processes().Count < 32 && DateTime.UtcNow < until) Thread.Sleep(10);
            Assert.True(cg.Processes().Count >= 32, $"bomb only reached {cg.Processes().Count}");

            cg.KillAll(TimeSpan.FromSeconds(10));

            Assert.Empty(cg.Processes());
            // pids.current also counts killed tasks until their new parent reaps them, so it
            // lags cgroup.procs; it must still reach 0, proving nothing was left to fork again.
            var reaped = DateTime.UtcNow.AddSeconds(5);
            while (cg.Usage().PidsCurrent > 0 && DateTime.UtcNow < reaped) Thread.Sleep(10);
            Assert.Equal(0, cg.Usage().PidsCurrent);
            Assert.Empty(cg.Processes());
        }
        finally
        {
            KillQuietly(p);
        }
    }

    [Fact]
    public void Processes_that_leave_the_process_tree_are_still_found_and_killed()
    {
        using var cg = manager.Create(UniqueId("daemon"), new ResourceLimits());
        // The double fork reparents the sleeps away from the shell, which exits.
        var p = StartGated("(sleep 1000 &); (sleep 1000 &); exit 0");
        cg.AddProcess(p.Id);
        Release(p);
        Assert.True(p.WaitForExit(5000));
        var until = DateTime.UtcNow.AddSeconds(5);
        while (cg.Processes().Count < 2 && DateTime.UtcNow < until) Thread.Sleep(10);
        var orphans = cg.Processes();
        Assert.Equal(2, orphans.Count);

        cg.KillAll(TimeSpan.FromSeconds(5));

        Assert.Empty(cg.Processes());
        Assert.All(orphans, pid => Assert.False(IsAlive(pid), $"pid {pid} survived"));
        p.Dispose();
    }

    static bool IsAlive(int pid)
    {
        // A killed orphan may linger briefly as a zombie until init reaps it; state Z is dead.
        var until = DateTime.UtcNow.AddSeconds(2);
        while (true)
        {
            string stat;
            try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
            catch (IOException) { return false; }
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            if (state is 'Z' or 'X') return false;
            if (DateTime.UtcNow >= until) return true;
            Thread.Sleep(10);
        }
    }

    static long ReadKey(string path, string key) =>
        File.ReadAllLines(path).Select(l => l.Split(' ')).Where(f => f[0] == key).Select(f => long.Parse(f[1])).Single();
}
