using System.Diagnostics;
using System.Globalization;
using Playground.Engine.Rootfs;

// Time to build a rootfs, p50 of Runs runs each, interleaved so that the three ways share the
// machine's state: (a) bash's closure found by ElfClosure and copied by RootfsFiles; (b)
// BusyboxRootfs.Create; (c) the peer, the shell way: `ldd /bin/bash` then `cp --parents -L`.
// Each into a new empty directory; the page cache is warm after the first (uncounted) round.

const int Runs = 10;
const string Program = "/bin/bash";
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var work = Directory.CreateTempSubdirectory("rootfs-bench-").FullName;
var ways = new (string Name, Action<string> Build)[]
{
    ("ElfClosure.Of + RootfsFiles.CopyInto of /bin/bash", d => RootfsFiles.CopyInto(d, ElfClosure.Of(Program).Files)),
    ("BusyboxRootfs.Create", d => BusyboxRootfs.Create(d)),
    ("peer: ldd /bin/bash + cp --parents -L", ShellWay),
    // Where (a)'s time goes: finding the files without copying them.
    ("  of which ElfClosure.Of alone (nothing copied)", _ => ElfClosure.Of(Program)),
};
var times = ways.Select(_ => new List<double>()).ToArray();
try
{
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
    Console.WriteLine($"runs:    {Runs} each after one uncounted round, interleaved; each into a new empty directory under {work}");
    for (int run = -1; run < Runs; run++)
        for (int w = 0; w < ways.Length; w++)
        {
            var dir = Path.Combine(work, $"{w}-{run + 1}");
            var sw = Stopwatch.StartNew();
            ways[w].Build(dir);
            sw.Stop();
            if (run >= 0) times[w].Add(sw.Elapsed.TotalMilliseconds);
            else if (Directory.Exists(dir)) Check(ways[w].Name, dir);
        }

    Console.WriteLine();
    Console.WriteLine($"{"way",-52} {"p50 ms",8} {"min",8} {"max",8}");
    for (int w = 0; w < ways.Length; w++)
    {
        var t = times[w].Order().ToList();
        Console.WriteLine($"{ways[w].Name,-52} {Median(t),8:0.00} {t[0],8:0.00} {t[^1],8:0.00}");
    }
}
finally
{
    Directory.Delete(work, recursive: true);
}

static double Median(List<double> sorted) =>
    sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

// The files ldd lists (its own format, parsed here only), then one cp for all of them.
static void ShellWay(string dir)
{
    Directory.CreateDirectory(dir);
    var files = new List<string> { Program };
    foreach (var line in Run("ldd", Program).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        var path = line.Contains("=>") ? line.Split("=>")[1].Trim().Split(' ')[0] : line.Split(' ')[0];
        if (path.StartsWith('/')) files.Add(path);
    }
    Run("cp", ["--parents", "-L", .. files, dir]);
}

static string Run(string file, params string[] args)
{
    var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
    foreach (var a in args) psi.ArgumentList.Add(a);
    using var p = Process.Start(psi)!;
    var output = p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {p.ExitCode}");
    return output;
}

// Each way must give a root its shell runs in, or its time means nothing.
static void Check(string name, string dir)
{
    var shell = File.Exists(Path.Combine(dir, "bin/bash")) || new FileInfo(Path.Combine(dir, "bin")).LinkTarget is not null ? "/bin/bash" : "/bin/sh";
    var output = Run("chroot", dir, shell, "-c", "echo $((6*7))").Trim();
    Console.WriteLine($"check:   chroot {shell} in the root of \"{name}\": {output}");
}
