using System.Diagnostics;
using Playground.Engine.Rootfs;

// ImportBench: how long TarImport.ExtractFile takes next to GNU `tar -xpf` on the same tarball.
// A benchmark, not a test: it prints figures and asserts nothing beyond both trees having the
// same number of entries.

var sizeMb = 100;
var runs = 3;
var under = Path.GetTempPath();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--size-mb": sizeMb = int.Parse(args[++i]); break;
        case "--runs": runs = int.Parse(args[++i]); break;
        case "--dir": under = args[++i]; break;
        default: Console.Error.WriteLine("usage: ImportBench [--size-mb 100] [--runs 3] [--dir DIR (where to extract; default the temp dir)]"); return 2;
    }
}

// A realistic root's mix: many small files (Python's and Perl's libraries, zoneinfo with its
// symlinks) and a few large ones (ICU's data, LLVM); taken in this order until the size is reached.
string[] candidates =
[
    "usr/lib/python3.11", "usr/share/perl", "usr/share/zoneinfo", "usr/lib/x86_64-linux-gnu/libicudata.so.72.1",
    "usr/share/i18n", "usr/lib/x86_64-linux-gnu/perl", "usr/include", "usr/share/doc",
    "usr/lib/x86_64-linux-gnu/libLLVM-15.so.1",
];
var work = Directory.CreateTempSubdirectory("pg-importbench-").FullName;
var extractions = Directory.CreateDirectory(Path.Combine(under, $"pg-importbench-{Environment.ProcessId}")).FullName;
try
{
    var used = new List<string>();
    long source = 0;
    foreach (var c in candidates)
    {
        if (source >= sizeMb * (1L << 20)) break;
        var full = "/" + c;
        if (!File.Exists(full) && !Directory.Exists(full)) continue;
        used.Add(c);
        source += SizeOf(full);
    }
    var tarball = Path.Combine(work, "corpus.tar");
    Run("tar", ["-cf", tarball, "-C", "/", .. used]);
    var size = new FileInfo(tarball).Length;
    Console.WriteLine($"tarball: {size / 1e6:F1} MB from /{string.Join(", /", used)}");
    Console.WriteLine($"extracting under {extractions} ({Run("stat", ["-f", "-c", "%T", extractions]).Trim()})");

    // Warm the page cache with one untimed read, and the JIT and tar's libraries with one untimed run each.
    using (var f = File.OpenRead(tarball)) f.CopyTo(Stream.Null);
    var entries = (Once("tar", Tar), Once("import", Import));
    Console.WriteLine($"entries: tar made {entries.Item1}, TarImport made {entries.Item2}" +
                      (entries.Item1 == entries.Item2 ? "" : "  <-- DIFFERENT"));

    var times = new Dictionary<string, List<double>> { ["tar"] = [], ["import"] = [] };
    // Alternating, and taking turns at going first, so a slow moment of the machine (writeback,
    // a neighbour) costs both alike.
    for (var i = 0; i < runs; i++)
    {
        if (i % 2 == 0) times["tar"].Add(Timed("tar", Tar));
        times["import"].Add(Timed("import", Import));
        if (i % 2 == 1) times["tar"].Add(Timed("tar", Tar));
    }

    Console.WriteLine($"{runs} runs each, alternating (tar, import, import, tar, ...); each into a new empty directory, page cache warm:");
    double P50(string k) => times[k].Order().ElementAt(times[k].Count / 2);
    foreach (var (name, label) in new[] { ("tar", "GNU tar -xpf"), ("import", "TarImport.ExtractFile") })
        Console.WriteLine($"  {label,-22} p50 {P50(name),6:F0} ms  {size / 1e6 / (P50(name) / 1000),5:F0} MB/s   min {times[name].Min(),6:F0} ms" +
                          $"   runs: {string.Join(", ", times[name].Select(t => t.ToString("F0")))} ms");
    Console.WriteLine($"  ratio TarImport / tar: p50 {P50("import") / P50("tar"):F2}, min {times["import"].Min() / times["tar"].Min():F2}");
    return 0;

    void Tar(string dir) => Run("tar", ["-xpf", tarball, "-C", dir]);
    void Import(string dir)
    {
        var r = TarImport.ExtractFile(tarball, dir, new ImportOptions());
        if (r.Refused.Count > 0) throw new InvalidOperationException($"refused {r.Refused[0].Name}: {r.Refused[0].Reason}");
    }

    // Each run into a new empty directory; all are removed at the end, not between runs: on
    // this VM's ext4 (mounted with discard) file creation crawls for seconds after a large rm.
    double Timed(string name, Action<string> extract)
    {
        var dir = Directory.CreateDirectory(Path.Combine(extractions, $"{name}-{Guid.NewGuid():N}")).FullName;
        var sw = Stopwatch.StartNew();
        extract(dir);
        sw.Stop();
        return sw.Elapsed.TotalMilliseconds;
    }

    long Once(string name, Action<string> extract)
    {
        var dir = Directory.CreateDirectory(Path.Combine(extractions, $"{name}-warmup")).FullName;
        extract(dir);
        return Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).LongCount();
    }
}
finally
{
    Run("rm", ["-rf", work, extractions]);
}

static long SizeOf(string path)
{
    if (File.Exists(path)) return new FileInfo(path).Length;
    return new DirectoryInfo(path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
        .Where(f => f.LinkTarget is null).Sum(f => f.Length);
}

static string Run(string file, string[] args)
{
    var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
    foreach (var a in args) psi.ArgumentList.Add(a);
    using var p = Process.Start(psi)!;
    var stdout = p.StandardOutput.ReadToEndAsync();
    var err = p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {err}");
    return stdout.Result;
}
