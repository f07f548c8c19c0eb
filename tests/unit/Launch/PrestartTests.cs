using System.Diagnostics;
using Playground.Engine.Launch;
using Playground.Engine.Spec;

namespace Playground.Tests.Launch;

/// <summary>Pre-started inits: the next launch of a kind starts from one, with its own policy, and never from a stale one.</summary>
// Alone: a pre-started init is dropped when the host's mount table changes, and other tests
// (labs, dockerd, tmpfs imports) mount and unmount on the host while they run.
[Collection("leaks")]
public sealed class PrestartTests(SandboxFixture f)
{
    [Fact]
    public void The_next_launch_of_a_kind_starts_from_a_prestarted_init_and_gets_its_own_settings()
    {
        using var engine = new SandboxEngine(new EngineOptions { Prestart = 1 });
        var first = SandboxFixture.Run(engine, f.Spec("/bin/sh", "-c", "hostname; echo $FOO") with
        {
            Hostname = "one", Environment = new EnvironmentSpec { Set = ["FOO=1"] },
        });
        Assert.Equal("one\n1\n", first.Out);
        Assert.DoesNotContain(first.Story, s => s.Step == "pre-started init");
        engine.WaitUntilPrestarted(TimeSpan.FromSeconds(10));

        using var second = engine.Launch(f.Spec("/bin/sh", "-c", "hostname; echo $FOO; sleep 30") with
        {
            Hostname = "two", Environment = new EnvironmentSpec { Set = ["FOO=2"] },
            Limits = new ResourceLimits { PidsMax = 7 },
        });
        var pre = Assert.Single(second.Story, s => s.Step == "pre-started init");
        // what the pre-started init did happened before this launch began
        Assert.True(second.Story.First(s => s.Step == "spawn").AtMs < 0);
        Assert.Contains("two\n2\n", ReadUntil(second.Output, "2\n"));
        // the limits of this spec reached the pre-made cgroup
        Assert.Equal("7", File.ReadAllText(Path.Combine(second.Cgroup.Paths.First(p => p.Contains("/pids/")), "pids.max")).Trim());
        Assert.Contains(second.Cgroup.RelativePath, File.ReadAllText($"/proc/{second.InitPid}/cgroup"));
    }

    [Fact]
    public void A_mount_made_on_the_host_after_an_init_was_prestarted_is_seen_by_the_next_sandbox()
    {
        var source = Directory.CreateTempSubdirectory("playground-prestart-").FullName;
        File.SetUnixFileMode(source, (UnixFileMode)0x1ed);
        using var engine = new SandboxEngine(new EngineOptions { Prestart = 1 });
        var spec = f.Spec("/bin/sh", "-c", "cat /data/mark 2>&1") with { Mounts = [MountSpec.Proc(), MountSpec.Bind(source, "/data", ro: true)] };
        try
        {
            Assert.Contains("No such file", SandboxFixture.Run(engine, spec).Out);
            engine.WaitUntilPrestarted(TimeSpan.FromSeconds(10));
            Sh($"mount -t tmpfs -o mode=755 playground-test {source} && echo fresh > {source}/mark && chmod 644 {source}/mark");
            var r = SandboxFixture.Run(engine, spec);
            Assert.Equal("fresh\n", r.Out);
        }
        finally
        {
            Sh($"umount {source} || true");
            Directory.Delete(source, true);
        }
    }

    static string ReadUntil(Stream output, string end)
    {
        var text = new System.Text.StringBuilder();
        var buf = new byte[4096];
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!text.ToString().Contains(end) && DateTime.UtcNow < deadline)
        {
            var n = output.Read(buf);
            if (n <= 0) break;
            text.Append(System.Text.Encoding.UTF8.GetString(buf, 0, n));
        }
        return text.ToString();
    }

    static void Sh(string command)
    {
        using var p = Process.Start("/bin/sh", ["-c", command]);
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }
}
