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
        var start = new Command("start", "Median and 95th percentile wall time to run /bin/true: engine, unshare, bwrap (when installed).")
        {
            runs, warmup,
        };
        start.SetAction(r => Start(r.GetValue(runs), r.GetValue(warmup)));
        return new Command("bench", "Measure the engine against its peers.") { start };
    }

    sealed record Line(string Name, string? CommandLine, Action Once);

    sealed class BenchFailed(string message) : Exception(message);

    static int Start(int runs, int warmup)
    {
        if (runs < 1 || warmup < 0)
        {
            Console.Error.WriteLine("playground bench: --runs must be at least 1 and --warmup at least 0");
            return Program.LaunchFailed;
        }
        var rootfs = Directory.CreateTempSubdirectory("playground-bench-").FullName;
        // The sandbox's root is uid 100000 on the host: it must reach the rootfs (the temp dir is 0700).
        File.SetUnixFileMode(rootfs, (UnixFileMode)0x1ed);
        try
        {
            BusyboxRootfs.Create(rootfs);
            var lines = Lines(rootfs);
            var times = lines.ToDictionary(l => l.Name, _ => new List<double>(runs));
            // Interleaved, so a noisy moment on the machine costs every line alike.
            for (int i = 0; i < warmup + runs; i++)
                foreach (var line in lines)
                {
                    var sw = Stopwatch.StartNew();
                    line.Once();
                    sw.Stop();
                    if (i >= warmup) times[line.Name].Add(sw.Elapsed.TotalMilliseconds);
                }
            Report(lines, times, runs);
            return 0;
        }
        catch (BenchFailed e)
        {
            Console.Error.WriteLine($"playground bench: {e.Message}");
            return 1;
        }
        finally
        {
            Directory.Delete(rootfs, recursive: true);
        }
    }

    static List<Line> Lines(string rootfs)
    {
        var engine = new SandboxEngine();
        var lines = new List<Line>
        {
            new("engine", null, () => RunEngine(engine, rootfs)),
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

    static void RunEngine(SandboxEngine engine, string rootfs)
    {
        ExitStatus status;
        try
        {
            using var session = engine.Launch(SandboxSpec.Default(rootfs, "/bin/true"));
            status = session.Completion.GetAwaiter().GetResult();
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
        foreach (var peer in lines.Where(l => l.Name != "engine"))
            Console.WriteLine($"engine/{peer.Name} at p50: {stats["engine"].P50 / stats[peer.Name].P50:F2}");
        Console.WriteLine("peer command lines:");
        foreach (var l in lines.Where(l => l.CommandLine is not null)) Console.WriteLine($"  {l.Name}: {l.CommandLine}");
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
