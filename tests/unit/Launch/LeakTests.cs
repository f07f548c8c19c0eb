namespace Playground.Tests.Launch;

/// <summary>Launch and kill, many times: nothing may be left behind. Runs alone: other tests'
/// fds and processes would blur the counts.</summary>
[Collection("leaks")]
public sealed class LeakTests(SandboxFixture f)
{
    // The runtime maps assemblies it loads lazily (an fd per .dll): those are not ours.
    static List<string> OpenFds() => Directory.GetFiles("/proc/self/fd")
        .Select(f => { try { return Path.GetFileName(f) + " -> " + new FileInfo(f).LinkTarget; } catch (IOException) { return f; } })
        .Where(f => !f.EndsWith(".dll", StringComparison.Ordinal)).Order().ToList();
    static int Mounts() => File.ReadAllLines("/proc/self/mountinfo").Length;
    static int Children() => Directory.GetDirectories("/proc/self/task")
        .Sum(t => File.ReadAllText(Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
    int Cgroups() => f.Engine.Cgroups.ParentPaths.Sum(p => Directory.GetDirectories(p).Length);
    static int ProcessesOf(int uid) => Directory.GetDirectories("/proc").Count(d =>
        int.TryParse(Path.GetFileName(d), out _) &&
        File.Exists(Path.Combine(d, "status")) &&
        TryRead(Path.Combine(d, "status")).Contains($"Uid:\t{uid}\t"));
    static string TryRead(string p) { try { return File.ReadAllText(p); } catch (IOException) { return ""; } }

    [Fact]
    public void Two_hundred_launch_kill_cycles_leave_nothing_behind()
    {
        // warm up once, so lazily opened runtime fds are not counted as leaks
        // (the runtime opens a few fds lazily, e.g. for the thread pool, on first use of each path)
        for (var i = 0; i < 4; i++)
        {
            using var warm = f.Engine.Launch(f.Spec("/bin/sh", "-c", "sleep 100 & sleep 100"));
            if (i % 2 == 0) warm.Kill();
        }
        GC.Collect(); GC.WaitForPendingFinalizers();
        var (fds, mounts, children, cgroups) = (OpenFds(), Mounts(), Children(), Cgroups());
        for (var i = 0; i < 200; i++)
        {
            using var s = f.Engine.Launch(f.Spec("/bin/sh", "-c", "sleep 100 & sleep 100"));
            if (i % 2 == 0) s.Kill();
        }
        GC.Collect(); GC.WaitForPendingFinalizers();
        Assert.Equal(fds, OpenFds());
        Assert.Equal(mounts, Mounts());
        Assert.Equal(children, Children());
        Assert.Equal(cgroups, Cgroups());
        // Killed processes leave /proc once the host's init has reaped them.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (ProcessesOf(100000) > 0 && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.Equal(0, ProcessesOf(100000));
    }
}
