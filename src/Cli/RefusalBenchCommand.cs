using System.CommandLine;
using System.Diagnostics;
using Playground.Engine.Labs;
using Playground.Engine.Seccomp;
using Playground.Engine.Spec;

namespace Playground.Cli;

/// <summary>
/// <c>playground bench refusals</c>: what a refused system call costs when the engine's seccomp
/// listener answers it (so the X-ray can show it), beside the kernel answering it alone: in the
/// same sandbox (clone3, which the kernel answers, beside mkdir, which the listener does) and
/// in bwrap with the same filter (the peer). A static C program makes the calls and times them.
/// </summary>
internal static class RefusalBenchCommand
{
    const string Source = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <time.h>
        #include <unistd.h>
        #include <sys/syscall.h>
        // refuse CALL N: N calls of CALL (mkdir or clone3), each expected to fail; prints ns per call and the errno.
        int main(int argc, char **argv) {
            long n = atol(argv[2]); int clone3 = strcmp(argv[1], "clone3") == 0, err = 0;
            struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
            for (long i = 0; i < n; i++) {
                long r = clone3 ? syscall(SYS_clone3, NULL, 0) : syscall(SYS_mkdir, "/refused", 0755);
                if (r != -1) { fprintf(stderr, "call %ld was not refused\n", i); return 1; }
                err = errno;
            }
            clock_gettime(CLOCK_MONOTONIC, &b);
            printf("%.0f %d\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n, err);
            return 0;
        }
        """;

    public static Command Create()
    {
        var burst = new Option<int>("--burst") { DefaultValueFactory = _ => 200, Description = "Calls per burst (under the supervisor's per-second cap)." };
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 20, Description = "Bursts per way." };
        var command = new Command("refusals", "A refused call answered by the engine's seccomp listener vs by the kernel (same sandbox, and bwrap).") { burst, runs };
        command.SetAction(r => Run(r.GetValue(burst), r.GetValue(runs)));
        return command;
    }

    static int Run(int burst, int runs)
    {
        var data = Directory.CreateTempSubdirectory("playground-refusalbench-").FullName;
        File.SetUnixFileMode(data, (UnixFileMode)0x1ed);
        using var labs = new LabManager(new LabOptions { DataDirectory = data, CgroupParent = "playground-labs-bench", FirstId = 100000 + 65536 * 1300 });
        try
        {
            // One static binary in a busybox root, both inside the lab and on the host for bwrap.
            var c = Path.Combine(data, "refuse.c");
            File.WriteAllText(c, Source);
            var lab = labs.Create("refusals");
            var toy = Path.Combine(data, "labs", "refusals", "root", "srv", "toy");
            Playground.Engine.Rootfs.BusyboxRootfs.Create(toy);
            Sh("gcc", "-O2", "-static", "-o", Path.Combine(toy, "refuse"), c);
            Playground.Engine.Rootfs.TreeOwner.ChownTree(toy, lab.FirstId, lab.FirstId);

            var seccomp = new SeccompSpec { Rules = [new SeccompRule("mkdir", SeccompAction.Eperm)] }; // docker-default: clone3 → ENOSYS
            var bpf = Path.Combine(data, "filter.bpf");
            File.WriteAllBytes(bpf, SeccompCompiler.Compile(seccomp)!.Bpf);
            var spec = SandboxSpec.Default("/srv/toy", "/bin/sh") with
            {
                UidMap = [new(0, 0, 65536)], GidMap = [new(0, 0, 65536)], Seccomp = seccomp, Terminal = false,
            };

            var ways = new (string Name, Func<string, (double Ns, int Errno)> Burst)[]
            {
                ("in a lab, mkdir: the engine's listener answers", n => InLab(labs, spec, "mkdir", n)),
                ("in a lab, clone3: the kernel answers          ", n => InLab(labs, spec, "clone3", n)),
                ("peer: bwrap --seccomp, mkdir: the kernel      ", n => InBwrap(toy, bpf, "mkdir", n)),
            };
            var figures = ways.Select(_ => new List<double>()).ToArray();
            var errnos = new int[ways.Length];
            var before = SeccompSupervisor.Shared.Answered;
            for (var i = 0; i < runs + 2; i++)
                for (var w = 0; w < ways.Length; w++)
                {
                    var (ns, errno) = ways[w].Burst(burst.ToString());
                    errnos[w] = errno;
                    if (i >= 2) figures[w].Add(ns);
                }
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores");
            Console.WriteLine($"(a) a refused call, {runs} bursts of {burst} calls each way after 2 unmeasured, ways taking turns; ns per call:");
            for (var w = 0; w < ways.Length; w++)
                Console.WriteLine($"    {ways[w].Name}  p50 {LabBenchCommand.P(figures[w], 50),8:0}  min {figures[w].Min(),8:0}  max {figures[w].Max(),8:0}  ({Playground.Engine.Interop.Errno.Name(errnos[w])})");
            Console.WriteLine($"    the supervisor answered {SeccompSupervisor.Shared.Answered - before} calls");

            // (b) a loop that never stops refusing: the per-sandbox cap slows it, not the server.
            var longRun = burst * 50;
            var capped = InLab(labs, spec, "mkdir", longRun.ToString());
            Console.WriteLine($"(b) {longRun} refused mkdir calls in one go: {capped.Ns / 1000:0.0} us per call, {1e9 / capped.Ns:0} calls/s (cap {SeccompSupervisor.PerSecond}/s per sandbox)");
            return 0;
        }
        finally
        {
            labs.End("refusals");
            Directory.Delete(data, recursive: true);
        }
    }

    static (double Ns, int Errno) InLab(LabManager labs, SandboxSpec spec, string call, string n)
    {
        using var s = labs.Run("refusals", spec with { Command = ["/refuse", call, n] });
        s.CloseInput();
        return Parse(new StreamReader(s.Output).ReadToEnd());
    }

    static (double Ns, int Errno) InBwrap(string root, string bpf, string call, string n) =>
        Parse(Sh("/bin/sh", "-c", "exec bwrap --bind \"$0\" / --dev /dev --unshare-all --seccomp 9 -- /refuse \"$2\" \"$3\" 9<\"$1\"", root, bpf, call, n));

    static (double Ns, int Errno) Parse(string output)
    {
        var parts = output.Trim().Split(' ');
        if (parts.Length != 2) throw new InvalidOperationException($"the program said: {output}");
        return (double.Parse(parts[0]), int.Parse(parts[1]));
    }

    static string Sh(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {error}");
        return output;
    }
}
