using System.Diagnostics;
using Playground.Engine.Spec;
using Playground.Engine.Xray;
using Playground.Tests.Support;
using Xunit.Abstractions;

namespace Playground.Tests.Labs;

/// <summary>The X-ray of a sandbox in a lab, against what a probe inside the sandbox reads; the refused-syscall feed.</summary>
[Collection("labs")]
public sealed class XrayTests(LabFixture f, ITestOutputHelper output)
{
    [Fact]
    public async Task The_xray_shows_what_a_probe_inside_reads_and_a_refused_mkdir_is_reported_with_its_rule()
    {
        var lab = f.Labs.Create("xray");
        try
        {
            var toy = f.BusyboxRoot(lab);
            // The network shared with the lab, every other namespace new; no CAP_CHOWN; mkdir refused; a tmpfs asked for.
            var spec = SandboxSpec.Default(toy, "/bin/sh", "-c",
                "grep -E '^(CapEff|Uid):' /proc/self/status; cat /proc/self/uid_map; readlink /proc/self/ns/net; readlink /proc/self/ns/uts; " +
                "echo ready; read line; mkdir /made; echo mkdir=$?; exec sleep 1000") with
            {
                Namespaces = NamespaceSet.AllButTime with { Net = false },
                UidMap = [new(0, 0, 65536)], GidMap = [new(0, 0, 65536)],
                Mounts = [MountSpec.Proc(), MountSpec.Tmpfs("/scratch", 1 << 20)],
                Capabilities = new CapabilitySpec { Drop = ["CAP_CHOWN"] },
                Seccomp = new SeccompSpec { Rules = [new SeccompRule("mkdir", SeccompAction.Eperm)] },
            };
            using var sandbox = f.Labs.Run("xray", spec);
            var reader = new StreamReader(sandbox.Output);
            var probe = new List<string>();
            while (await reader.ReadLineAsync() is { } line && line != "ready") probe.Add(line);

            var x = SandboxXray.Read(sandbox.InitPid, lab.InitPid, spec, sandbox.Cgroup);
            output.WriteLine(string.Join('\n', probe));
            // Namespaces: the same inodes the probe read, new against the lab's except the network.
            var net = x.Namespaces.Single(n => n.Kind == "net");
            var uts = x.Namespaces.Single(n => n.Kind == "uts");
            Assert.False(net.New);
            Assert.True(uts.New);
            Assert.Contains($"net:[{net.Inode}]", probe);
            Assert.Contains($"uts:[{uts.Inode}]", probe);
            Assert.All(x.Namespaces.Where(n => n.Kind is not ("net" or "time")), n => Assert.True(n.New, n.Kind));
            // Ids and capabilities as the probe read them.
            Assert.Equal(string.Join(' ', probe.Single(l => l.StartsWith("Uid:")).Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1..]), x.Uids);
            Assert.Equal("0 0 65536", x.UidMap.Single());
            var eff = x.Capabilities.Single(c => c.Set == "effective");
            Assert.Equal(Convert.ToUInt64(probe.Single(l => l.StartsWith("CapEff:")).Split('\t')[1], 16), eff.Mask);
            Assert.DoesNotContain("CAP_CHOWN", eff.Names);
            Assert.Contains("CAP_KILL", eff.Names);
            // seccomp: a filter of its own on top of the lab's; no_new_privs.
            Assert.Equal(2, x.SeccompMode);
            Assert.Equal(2, x.SeccompFilters);
            Assert.True(x.NoNewPrivs);
            // Mounts: the tmpfs the spec asked for is marked; the processes of its cgroup; its use.
            Assert.Contains(x.Mounts, m => m.Target == "/scratch" && m.Type == "tmpfs" && m.FromSpec);
            Assert.Contains(x.Mounts, m => m.Target == "/" && !m.FromSpec);
            Assert.Contains(x.Processes, p => p.Command == "playground-init" && p.Pid == 1); // reaping as PID 1
            Assert.Contains(x.Processes, p => p.Command == "sh" && p.Pid > 1);
            Assert.NotNull(x.Usage);
            Assert.True(x.Usage!.PidsCurrent >= 1);

            // The feed: mkdir refused, reported with the rule that refused it.
            var clock = Stopwatch.StartNew();
            await sandbox.Input.WriteAsync("go\n"u8.ToArray());
            await sandbox.Input.FlushAsync();
            Assert.Equal("mkdir=1", await reader.ReadLineAsync());
            // Answered before the call returned, so it is in the feed by the time the shell prints.
            var seen = Assert.Single(sandbox.Refusals!.Recent());
            Assert.Equal("mkdir", seen.Syscall);
            Assert.Equal("mkdir", seen.Command);
            Assert.Equal("rule 'mkdir → errno 1' (EPERM)", seen.RuleIn(spec.Seccomp));
            Assert.Equal(1, sandbox.Refusals.Total);
            sandbox.Kill();
        }
        finally { f.Labs.End("xray"); }
    }

    [Fact]
    public async Task Every_refusal_is_answered_with_the_rules_errno_and_reported_however_many_and_from_every_process_of_the_sandbox()
    {
        var lab = f.Labs.Create("xray-feed");
        try
        {
            var toy = f.BusyboxRoot(lab);
            // EACCES, not EPERM: the errno the program sees is the one the rule gives, through the supervisor.
            var spec = SandboxSpec.Default(toy, "/bin/sh", "-c",
                "i=0; while [ $i -lt 300 ]; do mkdir /m$i 2>/dev/null; i=$((i+1)); done; mkdir /last; echo done; exec sleep 1000") with
            {
                UidMap = [new(0, 0, 65536)], GidMap = [new(0, 0, 65536)],
                Seccomp = new SeccompSpec { Rules = [new SeccompRule("mkdir", new SeccompAction(SeccompActionKind.Errno, 13))] },
            };
            using var sandbox = f.Labs.Run("xray-feed", spec);
            var reader = new StreamReader(sandbox.Output);
            while (await reader.ReadLineAsync() is { } line && line.Trim() != "done") { }
            // Each call was answered (and reported) before it returned: all are there once the shell is done.
            var feed = sandbox.Refusals!;
            Assert.Equal(301, feed.Total);
            Assert.Equal(RefusalFeed.Kept, feed.Recent().Count);
            Assert.All(feed.Recent(), e => Assert.Equal(13, e.Errno));

            // A shell exec'd into the sandbox: its refusals land in the same feed; the message is the errno's.
            using var exec = sandbox.Exec(["/bin/sh", "-c", "mkdir /from-exec; echo status=$?"], terminal: false);
            var said = await new StreamReader(exec.Output).ReadToEndAsync();
            var errors = await new StreamReader(exec.Error!).ReadToEndAsync();
            Assert.Contains("status=1", said);
            Assert.Contains("Permission denied", errors);
            Assert.Equal(302, feed.Total);
            Assert.Equal("rule 'mkdir → errno 13' (EACCES)", feed.Recent()[^1].RuleIn(spec.Seccomp));

            // Its listeners (the first process's and the exec'd shell's) go with its processes.
            var served = Playground.Engine.Seccomp.SeccompSupervisor.Shared.Count;
            Assert.True(served >= 1);
            sandbox.Kill();
            var left = served;
            for (var i = 0; i < 100 && left > served - 1; i++, await Task.Delay(50)) left = Playground.Engine.Seccomp.SeccompSupervisor.Shared.Count;
            Assert.True(left <= served - 1, $"{served} listeners before the sandbox ended, {left} after");
        }
        finally { f.Labs.End("xray-feed"); }
    }

    [Fact]
    public async Task A_busy_sandbox_shows_its_cpu_time_on_either_cgroup_version()
    {
        var lab = f.Labs.Create("xray-cpu");
        try
        {
            var spec = SandboxSpec.Default(f.BusyboxRoot(lab), "/bin/sh", "-c", "while :; do :; done") with
            {
                UidMap = [new(0, 0, 65536)], GidMap = [new(0, 0, 65536)],
            };
            using var busy = f.Labs.Run("xray-cpu", spec);
            var first = busy.Xray(lab.InitPid).Usage!.CpuSeconds!.Value;
            await Task.Delay(1500);
            var then = busy.Xray(lab.InitPid).Usage!;
            output.WriteLine($"cpu {first:0.00} s, then {then.CpuSeconds:0.00} s (from its processes: {then.CpuOfLiveProcesses})");
            Assert.True(then.CpuSeconds - first > 0.3, $"{then.CpuSeconds - first} s of CPU in 1.5 s of a busy loop");
            busy.Kill();
        }
        finally { f.Labs.End("xray-cpu"); }
    }

    [Fact]
    public async Task Forks_refused_at_the_process_limit_and_OOM_kills_are_counted_for_the_xrays_events()
    {
        var lab = f.Labs.Create("xray-limits");
        try
        {
            var toy = f.BusyboxRoot(lab);
            // A shell whose fork fails exits: the forks are its own; the sandbox's first shell then
            // becomes sleep without forking (exec), so the sandbox runs on to be read.
            var forks = SandboxSpec.Default(toy, "/bin/sh", "-c",
                "sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 100 & done' 2>/dev/null; exec sleep 1000") with
            {
                UidMap = [new(0, 0, 65536)], GidMap = [new(0, 0, 65536)], Limits = new ResourceLimits { PidsMax = 8 },
            };
            var hog = forks with { Command = ["/bin/sh", "-c", "head -c 100000000 /dev/zero | tail > /dev/null; exec sleep 1000"], Limits = new ResourceLimits { MemoryBytes = 16L << 20 } };
            using var forking = f.Labs.Run("xray-limits", forks);
            using var hogging = f.Labs.Run("xray-limits", hog);
            Playground.Engine.Cgroups.ResourceUsage? Read(Playground.Engine.Launch.SandboxSession s, Func<Playground.Engine.Cgroups.ResourceUsage, bool> done)
            {
                for (var i = 0; i < 100; i++, Thread.Sleep(100))
                    if (s.Xray(lab.InitPid).Usage is { } u && done(u)) return u;
                return s.Xray(lab.InitPid).Usage;
            }
            var refused = Read(forking, u => u.PidsLimitHits > 0);
            var killed = Read(hogging, u => u.OomKills > 0);
            output.WriteLine($"pids limit hits {refused?.PidsLimitHits} (max {refused?.PidsMax}), OOM kills {killed?.OomKills}");
            Assert.True(refused?.PidsLimitHits > 0);
            Assert.Equal(8, refused!.PidsMax);
            Assert.True(killed?.OomKills > 0);
            forking.Kill();
            hogging.Kill();
        }
        finally { f.Labs.End("xray-limits"); }
    }
}
