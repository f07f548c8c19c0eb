using System.CommandLine;
using System.Diagnostics;
using Playground.Engine.Launch;
using Playground.Engine.Rootfs;
using Playground.Engine.Spec;

namespace Playground.Cli;

/// <summary>
/// <c>playground bench start</c>: how long it takes to start /bin/true in a busybox root,
/// for our engine next to util-linux unshare and bubblewrap on the same machine and rootfs.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 200, Description = "Measured runs per line." };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 20, Description = "Unmeasured runs per line first (caches, JIT)." };
        var breakdown = new Option<bool>("--breakdown") { Description = "Also print where the engine's time goes: the median time each launch step reached it." };
        var start = new Command("start", "Median and 95th percentile wall time to run /bin/true: engine, unshare, bwrap (when installed).")
        {
            runs, warmup, breakdown,
        };
        start.SetAction(r => Start(r.GetValue(runs), r.GetValue(warmup), r.GetValue(breakdown)));
        return new Command("bench", "Measure the engine against its peers.") { start, LabBenchCommand.Create(), RefusalBenchCommand.Create() };
    }

    /// <summary>A line of the table; <paramref name="Settle"/> runs after each measured run, off the clock.</summary>
    sealed record Line(string Name, string? CommandLine, Action Once, Action? Settle = null);

    sealed class BenchFailed(string message) : Exception(message);

    static int Start(int runs, int warmup, bool breakdown)
    {
        if (runs < 1 || warmup < 0)
        {
            Console.Error.WriteLine("playground bench: --runs must be at least 1 and --warmup at least 0");
            return Program.LaunchFailed;
        }
        var rootfs = Directory.CreateTempSubdirectory("playground-bench-").FullName;
        var engines = new List<SandboxEngine>();
        // The sandbox's root is uid 100000 on the host: it must reach the rootfs (the temp dir is 0700).
        File.SetUnixFileMode(rootfs, (UnixFileMode)0x1ed);
        try
        {
            BusyboxRootfs.Create(rootfs);
            var timeline = new Timeline();
            var lines = Lines(rootfs, timeline, engines);
            var times = lines.ToDictionary(l => l.Name, _ => new List<double>(runs));
            // Interleaved, so a noisy moment on the machine costs every line alike.
            for (int i = 0; i < warmup + runs; i++)
                foreach (var line in lines)
                {
                    var sw = Stopwatch.StartNew();
                    line.Once();
                    sw.Stop();
                    if (i >= warmup) times[line.Name].Add(sw.Elapsed.TotalMilliseconds);
                    else timeline.Clear();
                    line.Settle?.Invoke();
                }
            Report(lines, times, runs);
            if (breakdown) timeline.Report();
            return 0;
        }
        catch (BenchFailed e)
        {
            Console.Error.WriteLine($"playground bench: {e.Message}");
            return 1;
        }
        finally
        {
            foreach (var e in engines) e.Dispose();
            Directory.Delete(rootfs, recursive: true);
        }
    }

    static List<Line> Lines(string rootfs, Timeline timeline, List<SandboxEngine> engines)
    {
        // As a server runs it (an init pre-started after each launch, off the clock: the
        // bench waits for it before the next line), and cold, as a one-shot `playground run`.
        var engine = new SandboxEngine();
        var cold = new SandboxEngine(new EngineOptions { Prestart = 0 });
        engines.AddRange([engine, cold]);
        var lines = new List<Line>
        {
            new("engine", null, () => RunEngine(engine, rootfs, timeline), () => engine.WaitUntilPrestarted(TimeSpan.FromSeconds(10))),
            new("cold", null, () => RunEngine(cold, rootfs, null)),
        };
        string[] unshare =
        [
            "unshare", "--user", "--map-users=100000,0,65536", "--map-groups=100000,0,65536", "--setuid", "0", "--setgid", "0",
            "--mount", "--pid", "--fork", "--net", "--uts", "--ipc", "--cgroup", "chroot", rootfs, "/bin/true",
        ];
        lines.Add(new("unshare", string.Join(' ', unshare), () => RunPeer("unshare", unshare,
            "unshare --map-users runs newuidmap/newgidmap (Debian package uidmap), which need a line for root in " +
            "/etc/subuid and /etc/subgid, e.g. root:100000:65536")));
        if (OnPath("bwrap"))
        {
            string[] bwrap = ["bwrap", "--unshare-all", "--unshare-user", "--uid", "0", "--gid", "0", "--bind", rootfs, "/", "--proc", "/proc", "--dev", "/dev", "/bin/true"];
            lines.Add(new("bwrap", string.Join(' ', bwrap), () => RunPeer("bwrap", bwrap, "see bwrap's message above")));
        }
        else
        {
            Console.WriteLine("bwrap: skipped, not found on PATH (Debian package bubblewrap)");
        }
        return lines;
    }

    static void RunEngine(SandboxEngine engine, string rootfs, Timeline? timeline)
    {
        ExitStatus status;
        try
        {
            var clock = Stopwatch.StartNew();
            var session = engine.Launch(SandboxSpec.Default(rootfs, "/bin/true"));
            var launched = clock.Elapsed.TotalMilliseconds;
            status = session.Completion.GetAwaiter().GetResult();
            var exited = clock.Elapsed.TotalMilliseconds;
            session.Dispose();
            timeline?.Add(session.Story, launched, exited, clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception e)
        {
            throw new BenchFailed($"engine: launching /bin/true failed: {e.Message}");
        }
        if (status.ShellCode != 0) throw new BenchFailed($"engine: /bin/true {status}");
    }

    static void RunPeer(string name, string[] argv, string hint)
    {
        var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi) ?? throw new BenchFailed($"{name}: could not start {argv[0]}"); }
        catch (System.ComponentModel.Win32Exception e) { throw new BenchFailed($"{name}: could not start {argv[0]}: {e.Message}"); }
        using (p)
        {
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new BenchFailed($"{name} exited with {p.ExitCode}: {string.Join(' ', argv)}\n  {hint}");
        }
    }

    static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));

    static void Report(List<Line> lines, Dictionary<string, List<double>> times, int runs)
    {
        var stats = lines.ToDictionary(l => l.Name, l => Stats.Of(times[l.Name]));
        Console.WriteLine($"start of /bin/true in a busybox rootfs, {runs} runs each, wall time");
        Console.WriteLine($"{"line",-10}{"p50 ms",10}{"p95 ms",10}{"mean ms",10}");
        foreach (var l in lines)
            Console.WriteLine($"{l.Name,-10}{stats[l.Name].P50,10:F2}{stats[l.Name].P95,10:F2}{stats[l.Name].Mean,10:F2}");
        foreach (var ours in new[] { "engine", "cold" })
            foreach (var peer in lines.Where(l => l.CommandLine is not null))
                Console.WriteLine($"{ours}/{peer.Name} at p50: {stats[ours].P50 / stats[peer.Name].P50:F2}");
        Console.WriteLine("engine: default policy, an init pre-started after the previous launch (as a server runs); cold: none (as `playground run`)");
        Console.WriteLine("peer command lines:");
        foreach (var l in lines.Where(l => l.CommandLine is not null)) Console.WriteLine($"  {l.Name}: {l.CommandLine}");
    }
}

/// <summary>
/// Where the engine's time goes: for each launch step, the median time (since Launch was
/// called) at which its report reached the engine, then the return of Launch, the exit, and
/// the end of Dispose (kill what is left, remove the cgroup).
/// </summary>
internal sealed class Timeline
{
    readonly List<(string Name, List<double> At)> _marks = [];

    public void Clear() => _marks.Clear();

    public void Add(LaunchStory story, double launched, double exited, double disposed)
    {
        var names = story.Select(s => s.Step + (s.Step is "spawn" or "join cgroup" or "bind rootfs" or "pivot_root" or "pre-started init" ? "" : "  " + s.Detail))
            .Append("Launch returned").Append("exit status known").Append("disposed (cgroup removed)").ToList();
        var at = story.Select(s => s.AtMs).Append(launched).Append(exited).Append(disposed).ToList();
        // Steps are the same every run; a run that differs (it should not) is left out.
        if (_marks.Count == 0) _marks.AddRange(names.Select(n => (n, new List<double>())));
        if (_marks.Count != names.Count || _marks.Where((m, i) => m.Name != names[i]).Any()) return;
        for (var i = 0; i < at.Count; i++) _marks[i].At.Add(at[i]);
    }

    public void Report()
    {
        Console.WriteLine($"engine breakdown: ms since Launch when each step reached the engine, {(_marks.Count > 0 ? _marks[0].At.Count : 0)} runs");
        Console.WriteLine($"  {"p50",7} {"(+p50)",8} {"p95",7}");
        var previous = 0.0;
        foreach (var (name, at) in _marks)
        {
            var stats = Stats.Of(at);
            Console.WriteLine($"  {stats.P50,7:F2} {"(+" + (stats.P50 - previous).ToString("F2") + ")",8} {stats.P95,7:F2}  {name}");
            previous = stats.P50;
        }
    }
}

/// <summary>Summary of measured times; percentiles by nearest rank.</summary>
internal readonly record struct Stats(double P50, double P95, double Mean)
{
    public static Stats Of(IReadOnlyList<double> samples)
    {
        var sorted = samples.Order().ToArray();
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Stats(Rank(0.50), Rank(0.95), sorted.Average());
    }
}
