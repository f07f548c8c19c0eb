using System.Diagnostics;
using Playground.Engine.Interop;
using Playground.Engine.Seccomp;
using Playground.Engine.Spec;

namespace Playground.Tests.Seccomp;

/// <summary>
/// Proves the compiled bytes are a real filter: bwrap (run as root) reads a sock_filter array
/// from an fd given with --seccomp and installs it just before exec, as our init will.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SeccompInBwrapTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("pg-seccomp-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static readonly SeccompAction Eacces = new(SeccompActionKind.Errno, Errno.EACCES);

    [Fact]
    public void Denying_mkdir_with_EACCES_makes_mkdir_fail()
    {
        var spec = new SeccompSpec
        {
            Preset = SeccompPresets.Unconfined,
            Rules = [new("mkdir", Eacces), new("mkdirat", Eacces)],
        };
        var target = Path.Combine(dir, "made");
        var (exit, stdout, stderr) = Run(spec, $"grep '^Seccomp:' /proc/self/status; mkdir '{target}'");

        Assert.Contains("Seccomp:\t2", stdout);
        Assert.NotEqual(0, exit);
        Assert.Contains("Permission denied", stderr);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void A_rule_on_another_syscall_leaves_mkdir_working()
    {
        var spec = new SeccompSpec { Preset = SeccompPresets.Unconfined, Rules = [new("chmod", Eacces)] };
        var target = Path.Combine(dir, "made");
        var (exit, stdout, stderr) = Run(spec, $"grep '^Seccomp:' /proc/self/status; mkdir '{target}'");

        Assert.Contains("Seccomp:\t2", stdout);
        Assert.True(exit == 0, stderr);
        Assert.True(Directory.Exists(target));
    }

    [Fact]
    public void Docker_default_refuses_unshare_and_namespace_clones_but_not_plain_clones()
    {
        // perl's syscall() calls clone(56) and clone3(435) directly, with the flags we choose.
        const string probe = """
            unshare --mount true 2>/dev/null && echo unshare=ok || echo unshare=refused
            perl -e '$r = syscall(56, 0x10000000 | 17, 0, 0, 0, 0); exit 0 if $r == 0; print "newuser=", ($r < 0 ? 0+$! : "ok"), "\n"; wait'
            perl -e '$r = syscall(56, 17, 0, 0, 0, 0); exit 0 if $r == 0; print "plain=", ($r < 0 ? 0+$! : "ok"), "\n"; wait'
            perl -e '$r = syscall(435, 0, 0); print "clone3=", ($r < 0 ? 0+$! : "ok"), "\n"'
            """;
        var (_, stdout, stderr) = Run(new SeccompSpec(), probe);

        Assert.True(stdout.Contains("unshare=refused"), stdout + stderr);
        Assert.Contains($"newuser={Errno.EPERM}", stdout);
        Assert.Contains("plain=ok", stdout);
        Assert.Contains($"clone3={Errno.ENOSYS}", stdout);
    }

    (int Exit, string Stdout, string Stderr) Run(SeccompSpec spec, string script)
    {
        var program = SeccompCompiler.Compile(spec)!;
        var bpf = Path.Combine(dir, "filter.bpf");
        File.WriteAllBytes(bpf, program.Bpf);
        // The outer shell opens the file as fd 9 for bwrap; .NET opens its own fds O_CLOEXEC.
        var psi = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "exec bwrap --bind / / --dev /dev --seccomp 9 -- /bin/sh -c \"$1\" 9<\"$0\"", bpf, script },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(30_000), "bwrap did not finish");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
