using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Playground.Engine;
using Playground.Engine.Labs;
using Playground.Engine.Launch;

namespace Playground.Cli;

/// <summary>
/// <c>playground bench lab</c>: a lab's start to a shell prompt (beside the bare namespaces'
/// peer, util-linux unshare + bash), what create/end cycles leave behind, and host memory per
/// idle lab with its shell.
/// </summary>
internal static class LabBenchCommand
{
    public static Command Create()
    {
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 50, Description = "Measured lab starts (and peer starts)." };
        var cycles = new Option<int>("--cycles") { DefaultValueFactory = _ => 200, Description = "Create/end cycles for the leak count." };
        var idle = new Option<int>("--idle") { DefaultValueFactory = _ => 20, Description = "Labs kept idle at once (each with a bash) for the memory figure." };
        var density = new Option<int>("--density") { DefaultValueFactory = _ => 0, Description = "Idle labs (each with a bash) to hold while keystroke echo is measured in one more (0: skip)." };
        var command = new Command("lab", "Lab start to a shell prompt vs unshare + bash; leaks after create/end cycles; memory per idle lab; echo among many idle labs.") { runs, cycles, idle, density };
        command.SetAction(r => Run(r.GetValue(runs), r.GetValue(cycles), r.GetValue(idle), r.GetValue(density)));
        return command;
    }

    static int Run(int runs, int cycles, int idle, int density)
    {
        var data = Directory.CreateTempSubdirectory("playground-labbench-").FullName;
        File.SetUnixFileMode(data, (UnixFileMode)0x1ed);
        using var labs = new LabManager(new LabOptions { DataDirectory = data, CgroupParent = "playground-labs-bench", FirstId = 100000 + 65536 * 1200 });
        try
        {
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores; data in {data}");
            // (a) start to prompt, interleaved with the peer
            var lab = new List<double>();
            var peer = new List<double>();
            for (var i = 0; i < runs + 3; i++)
            {
                var a = LabToPrompt(labs, $"b{i}");
                var b = PeerToPrompt();
                if (i >= 3) { lab.Add(a); peer.Add(b); }
            }
            Console.WriteLine();
            Console.WriteLine($"(a) start to a bash prompt, {runs} runs each, interleaved after 3 unmeasured:");
            Console.WriteLine($"    lab create + exec bash -i      p50 {P(lab, 50):0.0} ms  p95 {P(lab, 95):0.0} ms");
            Console.WriteLine($"    peer: unshare -Urmpfnui bash -i p50 {P(peer, 50):0.0} ms  p95 {P(peer, 95):0.0} ms");

            // (d) a sandbox inside a lab beside the same sandbox outside (both cold: no pre-started init)
            var host = Path.Combine(data, "toy");
            Directory.CreateDirectory(host);
            File.SetUnixFileMode(host, (UnixFileMode)0x1ed);
            Playground.Engine.Rootfs.BusyboxRootfs.Create(host);
            var inLab = labs.Create("inside");
            var toy = Path.Combine(data, "labs", "inside", "root", "srv", "toy");
            Playground.Engine.Rootfs.BusyboxRootfs.Create(toy);
            Playground.Engine.Rootfs.TreeOwner.ChownTree(toy, inLab.FirstId, inLab.FirstId);
            using var outside = new SandboxEngine(new EngineOptions { Prestart = 0 });
            var specOut = Playground.Engine.Spec.SandboxSpec.Default(host, "/bin/true");
            var specIn = Playground.Engine.Spec.SandboxSpec.Default("/srv/toy", "/bin/true") with { UidMap = [new(0, 1000, 64000)], GidMap = [new(0, 1000, 64000)] };
            var tOut = new List<double>();
            var tIn = new List<double>();
            for (var i = 0; i < runs + 3; i++)
            {
                var a = Time(() => outside.Launch(specOut));
                var b = Time(() => labs.Run("inside", specIn));
                if (i >= 3) { tOut.Add(a); tIn.Add(b); }
            }
            labs.End("inside");
            Console.WriteLine();
            Console.WriteLine($"(d) /bin/true in a busybox root, launch to exit, {runs} runs each, cold (no pre-started init):");
            Console.WriteLine($"    outside a lab  p50 {P(tOut, 50):0.0} ms  p95 {P(tOut, 95):0.0} ms");
            Console.WriteLine($"    inside a lab   p50 {P(tIn, 50):0.0} ms  p95 {P(tIn, 95):0.0} ms  ({P(tIn, 50) / P(tOut, 50):0.00}x)");

            // (b) leaks; first let what (a) ended finish ending (unshare parents are reaped by init)
            Settle();
            var before = Census(data);
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < cycles; i++)
            {
                labs.Create("cycle");
                labs.End("cycle");
            }
            Settle();
            var after = Census(data);
            Console.WriteLine();
            Console.WriteLine($"(b) {cycles} create/end cycles in {sw.Elapsed.TotalSeconds:0.0} s; what is there before and after:");
            foreach (var (k, v) in before) Console.WriteLine($"    {k,-34} {v,6} -> {after[k],6}");

            // (c) memory: what each lab holds, process by process, and its cgroup's count (which takes
            // in its tmpfs root and /tmp, and the kernel memory charged to it)
            var sessions = new List<SandboxSession>();
            for (var i = 0; i < idle; i++)
            {
                labs.Create($"idle{i}");
                sessions.Add(labs.Exec($"idle{i}", ["/bin/bash", "-i"], terminal: true));
                WaitFor(sessions[^1].Output, $"root@idle{i}:");
            }
            Thread.Sleep(500);
            var all = labs.List().Where(l => l.Name.StartsWith("idle", StringComparison.Ordinal)).ToList();
            double reaper = all.Average(l => Pss(l.InitPid));
            double unshare = all.Average(l => Pss(Parent(l.InitPid)));
            double shell = sessions.Average(s => Pss(s.InitPid));
            double charged = all.Average(l => CgroupBytes(l.CgroupId) / 1024.0);
            Console.WriteLine();
            Console.WriteLine($"(c) {idle} idle labs, each with an interactive bash (KiB per lab, mean):");
            Console.WriteLine($"    the lab's memory cgroup (its processes, tmpfs root and /tmp, kernel memory): {charged:0}");
            Console.WriteLine($"    PSS of its bash {shell:0}, of its reaper {reaper:0}, of the unshare parent outside its cgroup {unshare:0}");
            Console.WriteLine($"    so beyond the shell: {charged - shell + unshare:0} KiB");
            foreach (var s in sessions) s.Dispose();
            for (var i = 0; i < idle; i++) labs.End($"idle{i}");
            if (density > 0) Density(labs, density);
            return 0;
        }
        finally
        {
            foreach (var l in labs.List()) labs.End(l.Name);
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>
    /// (e) <paramref name="count"/> idle labs, each with an interactive bash on a PTY, then one
    /// more where single keys are typed and their echo read back from the PTY (the server's side
    /// of a keystroke; the browser adds its own, see docs/web.md).
    /// </summary>
    static void Density(LabManager labs, int count)
    {
        var sessions = new List<SandboxSession>();
        var clock = Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < count; i++)
            {
                labs.Create($"d{i}");
                sessions.Add(labs.Exec($"d{i}", ["/bin/bash", "-i"], terminal: true));
                WaitFor(sessions[^1].Output, $"root@d{i}:");
            }
            var made = clock.Elapsed.TotalSeconds;
            labs.Create("probe");
            using var shell = labs.Exec("probe", ["/bin/cat"], terminal: true);
            Thread.Sleep(200);
            var echo = new List<double>();
            var buffer = new byte[256];
            for (var i = 0; i < 220; i++)
            {
                var sw = Stopwatch.StartNew();
                shell.Input.Write("x"u8);
                shell.Input.Flush();
                if (shell.Output.Read(buffer) <= 0) throw new IOException("the probe's terminal ended");
                sw.Stop();
                if (i >= 20) echo.Add(sw.Elapsed.TotalMilliseconds);
                Thread.Sleep(20);
            }
            Console.WriteLine();
            Console.WriteLine($"(e) {count} idle labs, each with an interactive bash, made in {made:0} s; MemAvailable now {MemAvailableMiB():0} MiB");
            Console.WriteLine($"    keystroke -> echo on a PTY in one more lab (cat), 200 keys: p50 {P(echo, 50):0.00} ms  p99 {P(echo, 99):0.00} ms  max {echo.Max():0.00} ms");
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
            for (var i = 0; i < count; i++) labs.End($"d{i}");
            labs.End("probe");
        }
    }

    static double MemAvailableMiB() =>
        long.Parse(File.ReadAllLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;

    static double LabToPrompt(LabManager labs, string name)
    {
        var sw = Stopwatch.StartNew();
        labs.Create(name);
        using (var shell = labs.Exec(name, ["/bin/bash", "-i"], terminal: true))
        {
            WaitFor(shell.Output, $"root@{name}:");
            sw.Stop();
        }
        labs.End(name);
        return sw.Elapsed.TotalMilliseconds;
    }

    static double PeerToPrompt()
    {
        // The same bare namespaces (user, mount, pid, net, uts, ipc) and a bash, by util-linux; a pipe for stdio, -i for the prompt on stderr.
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(new ProcessStartInfo("unshare", ["-Urmpfnui", "--mount-proc", "env", "-i", "PS1=peer$ ", "/bin/bash", "--norc", "-i"])
        { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true })!;
        WaitFor(p.StandardError.BaseStream, "peer$ ");
        sw.Stop();
        p.Kill(entireProcessTree: true);
        p.WaitForExit();
        return sw.Elapsed.TotalMilliseconds;
    }

    static void WaitFor(Stream s, string text)
    {
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!seen.ToString().Contains(text))
        {
            var n = s.Read(buffer);
            if (n <= 0 || DateTime.UtcNow > deadline) throw new TimeoutException($"no '{text}' in: {seen}");
            seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
    }

    static Dictionary<string, long> Census(string data) => new()
    {
        ["processes on the machine"] = Directory.GetDirectories("/proc").Count(d => int.TryParse(Path.GetFileName(d), out _)),
        ["mounts (host mountinfo lines)"] = File.ReadAllLines("/proc/self/mountinfo").Length,
        ["lab cgroups (every hierarchy)"] = Directory.GetDirectories("/sys/fs/cgroup", "playground-labs-bench", SearchOption.AllDirectories)
            .Sum(d => Directory.GetDirectories(d).Length),
        ["fds of this process"] = Directory.GetFiles("/proc/self/fd").Length,
        ["ptys (/dev/pts entries)"] = Directory.GetFileSystemEntries("/dev/pts").Length,
        ["files under the labs directory"] = Directory.Exists(Path.Combine(data, "labs")) ? Directory.GetFileSystemEntries(Path.Combine(data, "labs"), "*", SearchOption.AllDirectories).Length : 0,
    };

    static double Time(Func<SandboxSession> launch)
    {
        var sw = Stopwatch.StartNew();
        using var s = launch();
        s.CloseInput();
        s.Completion.Wait();
        sw.Stop();
        return sw.Elapsed.TotalMilliseconds;
    }

    static void Settle()
    {
        var last = -1;
        for (var i = 0; i < 50; i++)
        {
            var now = Directory.GetDirectories("/proc").Count(d => int.TryParse(Path.GetFileName(d), out _));
            if (now == last) return;
            last = now;
            Thread.Sleep(200);
        }
    }

    static int Parent(int pid) =>
        int.Parse(File.ReadAllText($"/proc/{pid}/stat") is var st ? st[(st.LastIndexOf(')') + 2)..].Split(' ')[1] : "0");

    /// <summary>memory.current (v2) or memory.usage_in_bytes (v1) of a lab's cgroup.</summary>
    static long CgroupBytes(string id)
    {
        foreach (var dir in Directory.GetDirectories("/sys/fs/cgroup", id, SearchOption.AllDirectories))
            foreach (var f in new[] { "memory.current", "memory.usage_in_bytes" })
                if (File.Exists(Path.Combine(dir, f))) return long.Parse(File.ReadAllText(Path.Combine(dir, f)).Trim());
        return 0;
    }

    /// <summary>Proportional set size of a process, in KiB.</summary>
    static long Pss(int pid)
    {
        try { return long.Parse(File.ReadAllLines($"/proc/{pid}/smaps_rollup").First(l => l.StartsWith("Pss:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]); }
        catch (IOException) { return 0; }
    }

    internal static double P(List<double> values, double pct)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(pct / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
