using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Playground.Engine;
using Playground.Engine.Labs;
using Playground.Engine.Launch;
using Playground.Engine.Spec;
using Playground.Tests.Launch;
using Playground.Web;
using Playground.Web.Sandboxes;
using Playground.Web.Terminals;

using Playground.Tests.Support;

namespace Playground.Tests.WebServer;

/// <summary>What keeps one person's sandboxes from the server and from other people.</summary>
[Collection("sandbox")]
public sealed class PolicyAndOwnershipTests : IDisposable
{
    readonly string _data = Directory.CreateTempSubdirectory("playground-web-").FullName;
    const string Alice = "0123456789abcdef0123456789abcdef", Bob = "fedcba9876543210fedcba9876543210";

    PlaygroundOptions Options => new() { DataDirectory = _data, MaxMemoryBytes = 128L << 20, MaxPids = 50, MaxCpus = 0.5, StoreBytes = 64L << 20 };

    People NewPeople() => TestDb.People(Options);
    readonly List<People> _made = [];
    LabManager? _labs;

    /// <summary>A host with labs of its own (in this test's data directory, their own cgroup parent).</summary>
    SandboxHost NewHost(out People people, PlaygroundOptions? options = null)
    {
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        options ??= Options;
        people = TestDb.People(options);
        _made.Add(people);
        _labs = new LabManager(new LabOptions { DataDirectory = _data, CgroupParent = "playground-labs-webtests", MemoryBytes = 256L << 20, WorkspaceBytes = 32L << 20 });
        return new SandboxHost(people, options, NullLogger<SandboxHost>.Instance, _labs);
    }

    /// <summary>A shell command in a lab, on pipes: exit code and stdout.</summary>
    (int Code, string Output) Sh(string lab, string script)
    {
        using var s = _labs!.Exec(lab, ["/bin/bash", "-c", script], terminal: false);
        s.CloseInput();
        var output = Task.Run(() => new StreamReader(s.Output).ReadToEnd());
        _ = Task.Run(() => new StreamReader(s.Error!).ReadToEnd());
        Assert.True(s.Completion.Wait(TimeSpan.FromSeconds(30)));
        return (s.Completion.Result.ShellCode, output.Result);
    }

    [Fact]
    public void People_get_their_own_id_range_and_rootfs_and_keep_them_across_a_restart()
    {
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        var people = NewPeople();
        _made.Add(people);
        var alice = people.Get(Alice);
        Assert.False(Directory.Exists(Path.Combine(alice.RootfsStore, "busybox"))); // looking costs no store...
        Assert.False(File.Exists(alice.StoreImage));
        alice = people.WithStore(Alice); // ...using it makes one
        var bob = people.Get(Bob);
        Assert.NotEqual(alice.OutsideId, bob.OutsideId);
        Assert.Equal(Person.IdsPerPerson, Math.Abs((long)alice.OutsideId - bob.OutsideId));
        // owned by the root of their own range, so root inside owns its rootfs
        var busybox = Path.Combine(alice.RootfsStore, "busybox", "bin", "busybox");
        Assert.True(File.Exists(busybox));
        Assert.Equal(alice.OutsideId, Stat.Uid(Path.Combine(alice.RootfsStore, "busybox")));
        var again = NewPeople();
        Assert.Equal(alice.Slot, again.Get(Alice).Slot);
        Assert.Equal(bob.Slot, again.Get(Bob).Slot);
        Assert.Throws<ArgumentException>(() => people.Get("../../etc"));
    }

    [Fact]
    public void The_policy_lets_a_sandbox_use_its_lab_freely_in_the_labs_ids_and_always_limited()
    {
        var spec = SandboxSpec.Default("/roots/busybox", "/bin/sh") with
        {
            Namespaces = NamespaceSet.AllButTime with { User = false, Mount = false },
            Mounts = [MountSpec.Proc(), MountSpec.Bind("/etc", "/hostetc"), MountSpec.Bind("/root", "/mine")],
            Limits = new ResourceLimits { MemoryBytes = 1L << 40 },
        };
        var (effective, errors) = SandboxPolicy.Apply(spec, Options);
        Assert.Empty(errors); // the lab is the boundary: its paths and its root are the person's own
        Assert.Empty(effective.UidMap); // no user namespace: no maps, the lab's own ids
        Assert.Equal([new IdMapping(0, 0, 65536)], SandboxPolicy.Apply(spec with { Namespaces = NamespaceSet.AllButTime }, Options).Spec.UidMap); // the lab's root, and all its ids
        Assert.Equal(128L << 20, effective.Limits.MemoryBytes);
        Assert.Equal(50, effective.Limits.PidsMax);
        Assert.Equal(0.5, effective.Limits.Cpus);

        var outside = SandboxPolicy.Apply(spec with { Namespaces = NamespaceSet.AllButTime, UidMap = [new IdMapping(0, 100000, 1000)] }, Options).Errors;
        Assert.Contains(outside, e => e.Field == "uid_map[0]" && e.Message.Contains("65535"));
        Assert.Equal([new IdMapping(0, 1000, 1000)], SandboxPolicy.Apply(spec with { Namespaces = NamespaceSet.AllButTime, GidMap = [new IdMapping(0, 1000, 1000)] }, Options).Spec.GidMap);
        Assert.Contains(SandboxPolicy.Apply(spec with { Rootfs = "roots/busybox" }, Options).Errors, e => e.Field == "rootfs");
    }

    [Fact]
    public void Another_persons_terminal_does_not_exist_for_you()
    {
        using var host = NewHost(out var people);
        var alice = people.Get(Alice);
        var run = host.Start(Alice, SandboxSpec.Default("/roots/busybox", "/bin/sh"), TerminalSize.Default);
        var id = run.Terminals[0].Id;
        Assert.NotNull(host.Terminal(Alice, id));
        Assert.Null(host.Terminal(Bob, id));
        Assert.Empty(host.RunsOf(Bob));
        Assert.Throws<KeyNotFoundException>(() => host.Stop(Bob, run.Id));
        Assert.Throws<KeyNotFoundException>(() => host.Exec(Bob, run.Id, ["/bin/sh"], TerminalSize.Default));
        Assert.False(run.Session.Completion.IsCompleted);
        // it runs in Alice's lab, whose root is her OutsideId on the host
        Assert.Contains($"Uid:\t{alice.OutsideId}\t", File.ReadAllText($"/proc/{run.Session.InitPid}/status"));
        Assert.Null(host.LabOf(Bob));
        host.Remove(Alice, run.Id);
        Assert.True(run.Session.Completion.IsCompleted);
    }

    [Fact]
    public void Sandboxes_run_inside_the_persons_lab_and_its_roots_are_the_stores_both_ways()
    {
        using var host = NewHost(out var people);
        var alice = people.Get(Alice);
        // A root made by the server (the first busybox) runs from the UI, and writes into /roots.
        var made = host.Start(Alice, SandboxSpec.Default("/roots/busybox", "/bin/sh", "-c", "cat /proc/self/uid_map > /ids; echo ok > /done"), TerminalSize.Default);
        Assert.True(made.Session.Completion.Wait(TimeSpan.FromSeconds(20)));
        var lab = host.LabOf(Alice)!;
        Assert.Equal(alice.OutsideId, lab.FirstId);
        // ... and the lab's host shell sees it in /roots; a root built there by hand runs from the UI.
        var (code, output) = Sh(lab.Name, "cat /roots/busybox/done; tr -s ' ' < /roots/busybox/ids; " +
            "mkdir -p /root/rootfs/bin && cp /roots/busybox/bin/busybox /root/rootfs/bin/ && ln -s busybox /root/rootfs/bin/sh");
        Assert.Equal(0, code);
        Assert.Equal("ok\n 0 0 65536\n", output); // user namespace on: root inside is the lab's root, in a namespace of its own
        var byHand = host.Start(Alice, SandboxSpec.Default("/root/rootfs", "/bin/sh", "-c", "cat /proc/self/uid_map > /ids") with
        {
            Namespaces = NamespaceSet.AllButTime with { User = false },
        }, TerminalSize.Default);
        Assert.True(byHand.Session.Completion.Wait(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, byHand.Session.Completion.Result.ShellCode);
        // user namespace off: the sandbox is in the lab's own, as the lab's root
        Assert.Equal($" 0 {alice.OutsideId} 65536\n", Sh(lab.Name, "tr -s ' ' < /root/rootfs/ids").Output);
        // a rootfs that is not in the lab is named so
        var missing = Assert.Throws<SpecValidationException>(() => host.Start(Alice, SandboxSpec.Default("/nowhere", "/bin/sh"), TerminalSize.Default));
        Assert.Contains(missing.Errors, e => e.Field == "rootfs" && e.Message.Contains("'/nowhere'"));
        Assert.Contains(host.Check(Alice, SandboxSpec.Default("/nowhere", "/bin/sh")), e => e.Field == "rootfs");
        Assert.Empty(host.Check(Alice, SandboxSpec.Default("/root/rootfs", "/bin/sh")));
        // a link the lab made to the server's / is the lab's / in a sandbox's rootfs, never the server's
        Assert.Equal(0, Sh(lab.Name, "ln -s / /root/evil").Code);
        // (the launch itself fails: the lab's / cannot be pivoted into; its mount point was made first)
        Assert.Throws<SandboxException>(() => host.Start(Alice, SandboxSpec.Default("/root/evil", "/bin/true") with { Mounts = [MountSpec.Tmpfs("/made-by-mount-point")] }, TerminalSize.Default));
        Assert.False(Directory.Exists("/made-by-mount-point"));
        Assert.Equal(0, Sh(lab.Name, "test -d /made-by-mount-point").Code);
    }

    [Fact]
    public void Labs_end_when_idle_or_too_old_with_a_notice_before()
    {
        using var host = NewHost(out var people, Options with { LabIdleMinutes = 30, LabWarningMinutes = 5, LabMaxHours = 2 });
        Assert.False(people.StoreMounted(Alice));
        var shell = host.StartHostShell(Alice, TerminalSize.Default);
        var now = DateTime.UtcNow;
        Assert.Null(host.NoticeOf(Alice, now.AddMinutes(20)));
        var notice = host.NoticeOf(Alice, now.AddMinutes(26));
        Assert.NotNull(notice);
        Assert.Contains("30 minutes", notice.Reason);
        host.Sweep(now.AddMinutes(26));
        Assert.NotNull(host.LabOf(Alice)); // warned, not ended
        shell.Terminals[0].Input("true\n"u8.ToArray()); // typing keeps it
        Assert.Null(host.NoticeOf(Alice, DateTime.UtcNow.AddMinutes(20)));
        host.Sweep(DateTime.UtcNow.AddMinutes(31));
        Assert.Null(host.LabOf(Alice));
        Assert.True(shell.Session.Completion.Wait(TimeSpan.FromSeconds(10))); // its shell ended with it
        Assert.False(people.StoreMounted(Alice)); // and its store was let go
        // the roots are kept; a reset gives a fresh lab with them
        var fresh = host.ResetLab(Alice);
        Assert.Equal(0, Sh(fresh.Name, "test -x /roots/busybox/bin/busybox && test ! -e /root/.bash_history").Code);
        Assert.NotNull(host.UsageOf(Alice));
    }

    [Fact]
    public void However_active_a_lab_ends_after_its_maximum_lifetime()
    {
        using var host = NewHost(out _, Options with { LabIdleMinutes = 60, LabWarningMinutes = 5, LabMaxHours = 0.5 });
        host.StartHostShell(Alice, TerminalSize.Default);
        var created = host.LabOf(Alice)!.Created;
        Assert.Null(host.NoticeOf(Alice, created.AddMinutes(20)));
        host.Touch(Alice);
        var old = host.NoticeOf(Alice, created.AddMinutes(27));
        Assert.NotNull(old);
        Assert.Contains("at most 30 minutes", old.Reason);
        Assert.Equal(created.AddMinutes(30), old.EndsAt);
        host.Sweep(created.AddMinutes(29));
        Assert.NotNull(host.LabOf(Alice));
        host.Sweep(created.AddMinutes(30));
        Assert.Null(host.LabOf(Alice));
    }

    [Fact]
    public void A_person_may_start_only_so_many_sandboxes_and_shells_a_minute()
    {
        using var host = NewHost(out _, Options with { LaunchesPerMinute = 3 });
        var runs = Enumerable.Range(0, 3).Select(_ => host.Start(Alice, SandboxSpec.Default("/roots/busybox", "/bin/true"), TerminalSize.Default)).ToList();
        var refused = Assert.Throws<SpecValidationException>(() => host.StartHostShell(Alice, TerminalSize.Default));
        Assert.Contains(refused.Errors, e => e.Field == "launches" && e.Message.Contains("at most 3"));
        Assert.Equal(3, host.RunsOf(Alice).Count); // nothing half-made
        Assert.NotNull(host.StartHostShell(Bob, TerminalSize.Default)); // per person
    }

    [Fact]
    public void A_guest_unseen_for_GuestDays_is_forgotten_with_their_roots_recordings_and_range_but_not_while_their_lab_runs()
    {
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        var options = Options with { GuestDays = 2 };
        var db = TestDb.Factory(options);
        var people = new People(options, db, NullLogger<People>.Instance);
        _made.Add(people);
        _labs = new LabManager(new LabOptions { DataDirectory = _data, CgroupParent = "playground-labs-webtests", MemoryBytes = 256L << 20, WorkspaceBytes = 32L << 20 });
        var recordings = new Recordings(db, options, NullLogger<Recordings>.Instance);
        using var host = new SandboxHost(people, options, NullLogger<SandboxHost>.Instance, _labs, recordings);
        var shell = host.StartHostShell(Alice, TerminalSize.Default);
        shell.Terminals[0].Input("echo hi > /roots/mine\n"u8.ToArray());
        var alice = people.Get(Alice);
        Assert.True(SpinWait.SpinUntil(() => File.Exists(Path.Combine(alice.RootfsStore, "mine")), TimeSpan.FromSeconds(10)));
        Assert.Single(recordings.ListAsync(Alice).Result);

        var later = DateTime.UtcNow.AddDays(3);
        host.ForgetGuests(later);
        Assert.True(File.Exists(Path.Combine(alice.RootfsStore, "mine"))); // their lab runs: kept
        host.EndLab(Alice);
        Assert.True(shell.Session.Completion.Wait(TimeSpan.FromSeconds(10)));
        host.ForgetGuests(later);
        Assert.False(Directory.Exists(alice.Dir)); // store image and all
        Assert.False(Playground.Web.Rootfs.StoreImage.IsMountPoint(alice.Store));
        Assert.Empty(recordings.ListAsync(Alice).Result);
        Assert.False(Directory.Exists(Path.Combine(_data, "recordings", Alice)));
        Assert.Equal(alice.Slot, people.Get(Bob).Slot); // the range is free again
        Assert.NotEqual(alice.Slot, people.Get(Alice).Slot); // and Alice, were she back, would be someone new
        Assert.False(File.Exists(people.Get(Alice).StoreImage));
    }

    [Fact]
    public void Sandboxes_nobody_watches_are_stopped_then_forgotten()
    {
        using var host = NewHost(out _, Options with { IdleSandboxMinutes = 10, EndedSandboxMinutes = 5, LabIdleMinutes = 60 });
        var run = host.Start(Alice, SandboxSpec.Default("/roots/busybox", "/bin/sh"), TerminalSize.Default);
        host.Sweep(DateTime.UtcNow.AddMinutes(5));
        Assert.False(run.Session.Completion.IsCompleted);
        host.Sweep(DateTime.UtcNow.AddMinutes(11));
        Assert.True(run.Session.Completion.Wait(TimeSpan.FromSeconds(10)));
        SpinWait.SpinUntil(() => run.Exit is not null, TimeSpan.FromSeconds(5));
        Assert.Single(host.RunsOf(Alice));
        host.Sweep(DateTime.UtcNow.AddMinutes(6));
        Assert.Empty(host.RunsOf(Alice));
    }

    [Fact]
    public void Settings_that_make_no_sense_are_named()
    {
        Assert.Empty(new PlaygroundOptions().Problems());
        var problems = (new PlaygroundOptions { HighWatermarkBytes = 1000, LowWatermarkBytes = 2000, DataDirectory = "relative", MaxPids = 0 }).Problems().ToList();
        Assert.Contains(problems, p => p.StartsWith("Playground:HighWatermarkBytes"));
        Assert.Contains(problems, p => p.StartsWith("Playground:DataDirectory"));
        Assert.Contains(problems, p => p.StartsWith("Playground:MaxPids"));
        Assert.Equal(3, problems.Count);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", "127.0.0.1:5000", true)]
    [InlineData("http://evil.example", "127.0.0.1:5000", false)]
    [InlineData("https://127.0.0.1:5000", "127.0.0.1:5000", false)]
    [InlineData("", "127.0.0.1:5000", false)]
    [InlineData("null", "127.0.0.1:5000", false)]
    public void The_hub_accepts_only_its_own_origin(string origin, string host, bool accepted)
    {
        var http = new DefaultHttpContext();
        http.Request.Scheme = "http";
        http.Request.Host = new HostString(host);
        if (origin.Length > 0) http.Request.Headers.Origin = origin;
        Assert.Equal(accepted, TerminalHub.SameOrigin(http.Request));
    }

    public void Dispose()
    {
        if (_labs is not null)
        {
            foreach (var lab in _labs.List()) _labs.End(lab.Name);
            _labs.Dispose();
        }
        foreach (var p in _made) p.UnmountStores();
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }

    static class Stat
    {
        public static uint Uid(string path)
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return uint.Parse(text.Trim());
        }
    }
}
