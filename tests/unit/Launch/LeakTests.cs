using Playground.Engine.Launch;
using Playground.Engine.Spec;

namespace Playground.Tests.Launch;

/// <summary>Launch and kill, many times: nothing may be left behind. Runs alone: other tests'
/// fds and processes would blur the counts.</summary>
[Collection("leaks")]
public sealed class LeakTests(SandboxFixture f)
{
    // What each open fd is (a pipe, a socket, a pidfd, a file), without numbers: pre-started
    // inits are replaced, with new fds of the same kinds. The runtime maps assemblies it loads
    // lazily (an fd per .dll): those are not ours.
    internal static List<string> OpenFds() => Directory.GetFiles("/proc/self/fd")
        .Select(f => { try { return new FileInfo(f).LinkTarget ?? ""; } catch (IOException) { return ""; } })
        .Select(t => System.Text.RegularExpressions.Regex.Replace(t, @"[:/]\[?\d+\]?$", ""))
        .Where(t => t.Length > 0 && !t.EndsWith(".dll", StringComparison.Ordinal)).Order().ToList();
    /// <summary>
    /// The open fds once they stop changing: sessions other tests dropped (a lab's reaper launch)
    /// are closed by finalizers and exit watchers a moment after their test, not at once.
    /// </summary>
    internal static List<string> SettledFds()
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        var last = OpenFds();
        while (DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
            GC.Collect(); GC.WaitForPendingFinalizers();
            var now = OpenFds();
            if (now.SequenceEqual(last)) return now;
            last = now;
        }
        return last;
    }

    /// <summary>Waits (up to 5 s) for the fds to be <paramref name="expected"/> again; a real leak stays and fails.</summary>
    internal static void AssertFdsReturnTo(List<string> expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!OpenFds().SequenceEqual(expected) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
            GC.Collect(); GC.WaitForPendingFinalizers();
        }
        Assert.Equal(expected, OpenFds());
    }

    static int Mounts() => File.ReadAllLines("/proc/self/mountinfo").Length;
    internal static int Children() => Directory.GetDirectories("/proc/self/task")
        .Sum(t => File.ReadAllText(Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
    int Cgroups() => f.Engine.Cgroups.ParentPaths.Sum(p => Directory.GetDirectories(p).Length);
    static int ProcessesOf(uint uid) => Directory.GetDirectories("/proc").Count(d =>
        int.TryParse(Path.GetFileName(d), out _) &&
        File.Exists(Path.Combine(d, "status")) &&
        TryRead(Path.Combine(d, "status")).Contains($"Uid:\t{uid}\t"));
    static string TryRead(string p) { try { return File.ReadAllText(p); } catch (IOException) { return ""; } }

    // An id range of this test's own, so its processes can be told from any other sandbox's
    // on the machine (a web app running beside the tests uses 100000 too).
    const uint Outside = 6_000_000;
    SandboxSpec Spec() => f.Spec("/bin/sh", "-c", "sleep 100 & sleep 100") with
    {
        UidMap = [new IdMapping(0, Outside, 65536)], GidMap = [new IdMapping(0, Outside, 65536)],
    };

    [Fact]
    public void Two_hundred_launch_kill_cycles_leave_nothing_behind()
    {
        // warm up once, so lazily opened runtime fds are not counted as leaks
        // (the runtime opens a few fds lazily, e.g. for the thread pool, on first use of each path)
        for (var i = 0; i < 4; i++)
        {
            using var warm = f.Engine.Launch(Spec());
            if (i % 2 == 0) warm.Kill();
        }
        // The engine keeps one init pre-started per kind of launch: count once it has one.
        f.Engine.WaitUntilPrestarted(TimeSpan.FromSeconds(10));
        GC.Collect(); GC.WaitForPendingFinalizers();
        var (fds, mounts, children, cgroups) = (SettledFds(), Mounts(), Children(), Cgroups());
        for (var i = 0; i < 200; i++)
        {
            using var s = f.Engine.Launch(Spec());
            if (i % 2 == 0) s.Kill();
        }
        f.Engine.WaitUntilPrestarted(TimeSpan.FromSeconds(10));
        GC.Collect(); GC.WaitForPendingFinalizers();
        AssertFdsReturnTo(fds);
        Assert.Equal(mounts, Mounts());
        Assert.Equal(children, Children());
        Assert.Equal(cgroups, Cgroups());
        // Killed processes leave /proc once the host's init has reaped them.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (ProcessesOf(Outside) > 0 && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.Equal(0, ProcessesOf(Outside));
    }

    [Fact]
    public void Disposing_the_engine_ends_its_prestarted_inits_and_their_cgroups()
    {
        f.Engine.WaitUntilPrestarted(TimeSpan.FromSeconds(10));
        GC.Collect(); GC.WaitForPendingFinalizers();
        var (fds, children, cgroups) = (SettledFds(), Children(), Cgroups());
        var engine = new SandboxEngine(f.Engine.Options with { Prestart = 2 });
        // two kinds: pipes and a terminal
        foreach (var terminal in new[] { false, true })
        {
            using var s = engine.Launch(f.Spec("/bin/true") with { Terminal = terminal });
            Assert.True(s.Completion.Wait(TimeSpan.FromSeconds(10)));
        }
        engine.WaitUntilPrestarted(TimeSpan.FromSeconds(10));
        Assert.Equal(children + 4, Children());
        Assert.Equal(cgroups + 4 * f.Engine.Cgroups.ParentPaths.Count, Cgroups());
        engine.Dispose();
        GC.Collect(); GC.WaitForPendingFinalizers();
        Assert.Equal(children, Children());
        Assert.Equal(cgroups, Cgroups());
        AssertFdsReturnTo(fds);
    }
}
