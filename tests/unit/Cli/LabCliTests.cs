using System.Diagnostics;
using Playground.Cli;

namespace Playground.Tests.Cli;

/// <summary>`playground lab …` as a script runs it: a lab outlives the command that made it.</summary>
[Collection("labs")]
public sealed class LabCliTests : IDisposable
{
    readonly string _data = Directory.CreateTempSubdirectory("pg-cli-labs-").FullName;
    // Ranges of the tests' own, apart from a real server's labs and the other lab tests'.
    const string FirstId = "26214400";

    public LabCliTests() => File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);

    (int Code, string Out, string Err) Lab(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "exec", typeof(SpecOptions).Assembly.Location, "lab", "--data-dir", _data, "--first-id", FirstId }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60))) { p.Kill(true); Assert.Fail($"playground lab {string.Join(' ', args)} did not end"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Create_exec_list_and_end_work_across_commands_with_the_documented_exit_codes()
    {
        var made = Lab("create", "cli");
        Assert.True(made.Code == 0, made.Err);
        Assert.Equal(made.Out, Lab("create", "cli").Out); // idempotent: the same reaper
        var run = Lab("exec", "cli", "--", "/bin/sh", "-c", "hostname; echo to-stderr >&2; exit 3");
        Assert.Equal(3, run.Code);
        Assert.Equal("cli\n", run.Out);
        Assert.Equal("to-stderr\n", run.Err);
        Assert.StartsWith("cli\t", Lab("list").Out);
        Assert.Equal(0, Lab("end", "cli").Code);
        var again = Lab("end", "cli");
        Assert.Equal(1, again.Code);
        Assert.Contains("no lab called 'cli'", again.Err);
        var missing = Lab("exec", "cli", "--", "/bin/true");
        Assert.Equal(Playground.Cli.Program.LaunchFailed, missing.Code);
        Assert.Contains("no running lab called 'cli'", missing.Err);
        var bad = Lab("create", "Bad/Name");
        Assert.Equal(2, bad.Code);
        Assert.Contains("name:", bad.Err);
        Assert.Equal("", Lab("list").Out);
    }

    [Fact]
    public void Lab_run_starts_a_sandbox_inside_the_lab_with_its_paths_and_ids()
    {
        Assert.Equal(0, Lab("create", "nested").Code);
        // A root built by hand on the lab host, as the workshop does.
        var made = Lab("exec", "nested", "--", "/bin/sh", "-c",
            "mkdir -p /srv/toy/bin && cp /usr/bin/busybox /srv/toy/ && for a in sh id cat; do ln -s ../busybox /srv/toy/bin/$a; done");
        Assert.True(made.Code == 0, made.Err);
        var inner = Lab("run", "nested", "--rootfs", "/srv/toy", "--", "/bin/sh", "-c", "id -u; cat /proc/self/uid_map");
        Assert.True(inner.Code == 0, inner.Err);
        var lines = inner.Out.Split('\n');
        Assert.Equal("0", lines[0]);
        Assert.Equal("0 1000 64000", string.Join(' ', lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries))); // lab ids
        // The user namespace off: the lab's own root.
        var asLabRoot = Lab("run", "nested", "--rootfs", "/srv/toy", "--ns", "mount,pid", "--", "/bin/cat", "/proc/self/uid_map");
        Assert.True(asLabRoot.Code == 0, asLabRoot.Err);
        Assert.Equal($"0 {FirstId} 65536", string.Join(' ', asLabRoot.Out.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Trim());
        var missing = Lab("run", "nested", "--rootfs", "/srv/none", "--", "/bin/sh");
        Assert.Equal(Playground.Cli.Program.LaunchFailed, missing.Code);
        Assert.Contains("rootfs", missing.Err);
        Assert.Equal(0, Lab("end", "nested").Code);
    }

    public void Dispose()
    {
        Lab("end", "cli");
        Lab("end", "nested");
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
