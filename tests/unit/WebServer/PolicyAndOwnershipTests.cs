using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Playground.Engine.Launch;
using Playground.Engine.Spec;
using Playground.Tests.Launch;
using Playground.Web;
using Playground.Web.Sandboxes;
using Playground.Web.Terminals;

namespace Playground.Tests.WebServer;

/// <summary>What keeps one person's sandboxes from the server and from other people.</summary>
[Collection("sandbox")]
public sealed class PolicyAndOwnershipTests(SandboxFixture f) : IDisposable
{
    readonly string _data = Directory.CreateTempSubdirectory("playground-web-").FullName;
    const string Alice = "0123456789abcdef0123456789abcdef", Bob = "fedcba9876543210fedcba9876543210";

    PlaygroundOptions Options => new() { DataDirectory = _data, MaxMemoryBytes = 128L << 20, MaxPids = 50, MaxCpus = 0.5 };

    People NewPeople() => new(Options, NullLogger<People>.Instance);

    [Fact]
    public void People_get_their_own_id_range_and_rootfs_and_keep_them_across_a_restart()
    {
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        var people = NewPeople();
        var alice = people.Get(Alice);
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
    public void The_policy_keeps_the_user_namespace_own_paths_own_ids_and_limits()
    {
        var alice = new Person(Alice, 3, Path.Combine(_data, "people", Alice));
        Directory.CreateDirectory(Path.Combine(alice.RootfsStore, "busybox"));
        var spec = SandboxSpec.Default(Path.Combine(alice.RootfsStore, "busybox"), "/bin/sh") with
        {
            Namespaces = NamespaceSet.AllButTime with { User = false },
            Mounts = [MountSpec.Proc(), MountSpec.Bind("/etc", "/hostetc"), MountSpec.Bind(alice.Dir, "/mine")],
            Limits = new ResourceLimits { MemoryBytes = 1L << 40 },
        };
        var (effective, errors) = SandboxPolicy.Apply(spec, alice, Options);
        Assert.Contains(errors, e => e.Field == "namespaces.user");
        Assert.Contains(errors, e => e.Field == "mounts[1].source");
        Assert.DoesNotContain(errors, e => e.Field == "mounts[2].source");
        Assert.DoesNotContain(errors, e => e.Field == "rootfs");
        Assert.Equal([new IdMapping(0, alice.OutsideId, Person.IdsPerPerson)], effective.UidMap);
        Assert.Equal(effective.UidMap, effective.GidMap);
        Assert.Equal(128L << 20, effective.Limits.MemoryBytes);
        Assert.Equal(50, effective.Limits.PidsMax);
        Assert.Equal(0.5, effective.Limits.Cpus);

        // a rootfs outside, or reached through a symlink that leads outside, is refused
        var bobsRoot = Path.Combine(_data, "people", Bob, "rootfs", "busybox");
        Directory.CreateDirectory(bobsRoot);
        File.CreateSymbolicLink(Path.Combine(alice.RootfsStore, "sneaky"), bobsRoot);
        foreach (var rootfs in new[] { bobsRoot, Path.Combine(alice.RootfsStore, "sneaky") })
            Assert.Contains(SandboxPolicy.Apply(spec with { Rootfs = rootfs }, alice, Options).Errors, e => e.Field == "rootfs");
    }

    [Fact]
    public void Another_persons_terminal_does_not_exist_for_you()
    {
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        var people = NewPeople();
        using var host = new SandboxHost(f.Engine, people, Options, NullLogger<SandboxHost>.Instance);
        var alice = people.Get(Alice);
        var run = host.Start(Alice, SandboxSpec.Default(Path.Combine(alice.RootfsStore, "busybox"), "/bin/sh"), TerminalSize.Default);
        var id = run.Terminals[0].Id;
        Assert.NotNull(host.Terminal(Alice, id));
        Assert.Null(host.Terminal(Bob, id));
        Assert.Empty(host.RunsOf(Bob));
        Assert.Throws<KeyNotFoundException>(() => host.Stop(Bob, run.Id));
        Assert.Throws<KeyNotFoundException>(() => host.Exec(Bob, run.Id, ["/bin/sh"], TerminalSize.Default));
        Assert.False(run.Session.Completion.IsCompleted);
        // and it runs as Alice's range: root inside is her OutsideId on the host
        Assert.Contains($"Uid:\t{alice.OutsideId}\t", File.ReadAllText($"/proc/{run.Session.InitPid}/status"));
        host.Remove(Alice, run.Id);
        Assert.True(run.Session.Completion.IsCompleted);
    }

    [Fact]
    public void Sandboxes_nobody_watches_are_stopped_then_forgotten()
    {
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        var people = NewPeople();
        using var host = new SandboxHost(f.Engine, people, Options with { IdleSandboxMinutes = 10, EndedSandboxMinutes = 5 }, NullLogger<SandboxHost>.Instance);
        var run = host.Start(Alice, SandboxSpec.Default(Path.Combine(people.Get(Alice).RootfsStore, "busybox"), "/bin/sh"), TerminalSize.Default);
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
