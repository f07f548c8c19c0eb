using System.Diagnostics;
using Playground.Cli;
using Playground.Engine.Rootfs;

namespace Playground.Tests.Cli;

/// <summary>A busybox root shared by the end-to-end tests of one run.</summary>
public sealed class BusyboxRootFixture : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("pg-cli-root-").FullName;

    public BusyboxRootFixture()
    {
        // The sandbox's root is uid 100000 on the host: it must reach the rootfs (the temp dir is 0700).
        File.SetUnixFileMode(Root, (UnixFileMode)0x1ed);
        BusyboxRootfs.Create(Root);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>
/// The built <c>playground</c> run as a person would run it (with pipes: the test's stdin is
/// not a terminal). Filter: FullyQualifiedName~CliRunTests.
/// </summary>
public sealed class CliRunTests(BusyboxRootFixture fixture) : IClassFixture<BusyboxRootFixture>
{
    readonly string root = fixture.Root;

    sealed record Result(int ExitCode, string Stdout, string Stderr);

    static Result Playground(string? stdin, params string[] args)
    {
        // playground.dll is copied beside the tests, with its runtimeconfig and playground-init.
        var dll = typeof(SpecOptions).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "exec", dll }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"playground {string.Join(' ', args)} did not end within 60 s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Echo_prints_and_exits_0()
    {
        var r = Playground(null, "run", "--rootfs", root, "--", "/bin/echo", "hi");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("hi\n", r.Stdout);
    }

    [Fact]
    public void Options_end_at_the_command_without_dashes()
    {
        var r = Playground(null, "run", "--rootfs", root, "sh", "-c", "echo $0-$1", "a", "--rootfs");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("a---rootfs\n", r.Stdout);
    }

    [Fact]
    public void The_exit_code_is_the_commands()
    {
        var r = Playground(null, "run", "--rootfs", root, "--", "/bin/sh", "-c", "exit 7");
        Assert.True(r.ExitCode == 7, r.Stderr);
    }

    [Fact]
    public void A_killed_command_exits_128_plus_the_signal()
    {
        var r = Playground(null, "run", "--rootfs", root, "--", "/bin/sh", "-c", "kill -9 $$");
        Assert.True(r.ExitCode == 137, r.Stderr);
    }

    [Fact]
    public void Stdin_reaches_the_command_and_its_end_too()
    {
        var r = Playground("one\ntwo\n", "run", "--rootfs", root, "--", "/bin/sort", "-r");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("two\none\n", r.Stdout);
    }

    [Fact]
    public void Stderr_stays_stderr()
    {
        var r = Playground(null, "run", "--rootfs", root, "--", "/bin/sh", "-c", "echo out; echo err >&2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("out\n", r.Stdout);
        Assert.Contains("err", r.Stderr);
    }

    [Fact]
    public void A_failed_launch_exits_125_naming_the_errno()
    {
        var r = Playground(null, "run", "--rootfs", root, "--", "/no/such/program");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("ENOENT", r.Stderr);
    }

    [Fact]
    public void A_missing_rootfs_exits_125_naming_it()
    {
        var r = Playground(null, "run", "--rootfs", Path.Combine(root, "nope"), "--", "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("rootfs", r.Stderr);
    }

    [Fact]
    public void A_bad_option_exits_125_naming_it()
    {
        var r = Playground(null, "run", "--rootfs", root, "--memory", "lots", "--", "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("--memory", r.Stderr);
        var u = Playground(null, "run", "--rootfs", root, "--bogus", "/bin/true");
        Assert.Equal(125, u.ExitCode);
        Assert.Contains("--bogus", u.Stderr);
    }

    [Fact]
    public void Print_command_prints_and_launches_nothing()
    {
        var r = Playground(null, "run", "--rootfs", root, "--print-command", "--", "/bin/echo", "hi");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(root, r.Stdout);
        Assert.Contains("/bin/echo hi", r.Stdout);
    }

    [Fact]
    public void Print_spec_round_trips_through_spec()
    {
        var first = Playground(null, "run", "--rootfs", root, "--ns", "mount,pid", "--print-spec", "--", "/bin/true");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var file = Path.Combine(root, "tmp", "spec.json");
        File.WriteAllText(file, first.Stdout);
        var second = Playground(null, "run", "--spec", file, "--print-spec");
        Assert.Equal(first.Stdout, second.Stdout);
    }
}
