using Playground.Engine.Seccomp;
using Playground.Engine.Spec;

namespace Playground.Tests.Seccomp;

/// <summary>
/// The filter run in C# (what the kernel would answer, which the supervisor gives a listener's
/// caller) and the notifying variant a sandbox in a lab gets.
/// </summary>
public class SeccompProgramTests
{
    const uint CloneNewUser = 0x10000000, CloneNewNs = 0x00020000;
    static int Nr(string name) => Syscalls.Number(name)!.Value;
    static uint Errno(int e) => SeccompProgram.RetErrno | (uint)e;
    static uint Notifying(SeccompProgram p, string syscall, params ulong[] args) => SeccompProgram.Run(p.NotifyingBpf, SeccompProgram.Data(Nr(syscall), args));
    static uint Original(SeccompProgram p, string syscall, params ulong[] args) => p.Evaluate(SeccompProgram.Data(Nr(syscall), args));

    [Fact]
    public void A_rule_is_answered_with_its_errno_and_other_calls_are_allowed()
    {
        var p = SeccompCompiler.Compile(new SeccompSpec { Preset = SeccompPresets.Unconfined, Rules = [new("mkdir", new SeccompAction(SeccompActionKind.Errno, 13)), new("getpid", SeccompAction.Eperm)] })!;
        Assert.Equal(Errno(13), Original(p, "mkdir"));
        Assert.Equal(Errno(1), Original(p, "getpid"));
        Assert.Equal(SeccompProgram.RetAllow, Original(p, "mkdirat"));
        Assert.Equal(SeccompProgram.RetAllow, Original(p, "read"));
    }

    [Fact]
    public void Docker_defaults_clone_rules_look_at_the_flags_argument()
    {
        var p = SeccompCompiler.Compile(new SeccompSpec())!;
        Assert.Equal(Errno(1), Original(p, "clone", CloneNewUser));
        Assert.Equal(Errno(1), Original(p, "clone", CloneNewNs | 0x11)); // SIGCHLD beside it
        Assert.Equal(SeccompProgram.RetAllow, Original(p, "clone", 0x11));
        Assert.Equal(Errno(38), Original(p, "clone3"));
        Assert.Equal(Errno(1), Original(p, "mount"));
    }

    [Fact]
    public void Another_architecture_is_not_allowed_through()
    {
        var p = SeccompCompiler.Compile(new SeccompSpec { Preset = SeccompPresets.Unconfined, Rules = [new("mkdir", SeccompAction.Eperm)] })!;
        var data = SeccompProgram.Data(Nr("read"));
        data[4] = 0x03; data[5] = 0x00; data[6] = 0x00; data[7] = 0x40; // AUDIT_ARCH_I386
        Assert.NotEqual(SeccompProgram.RetAllow, p.Evaluate(data));
    }

    [Fact]
    public void The_notifying_program_asks_the_listener_where_the_original_answers_with_an_errno_and_nowhere_else()
    {
        var p = SeccompCompiler.Compile(new SeccompSpec { Rules = [new("mkdir", SeccompAction.Eperm), new("rmdir", new SeccompAction(SeccompActionKind.Kill))] })!;
        Assert.Equal(SeccompProgram.RetUserNotif, Notifying(p, "mkdir"));
        Assert.Equal(SeccompProgram.RetUserNotif, Notifying(p, "clone", CloneNewUser));
        Assert.Equal(SeccompProgram.RetAllow, Notifying(p, "clone", 0x11));
        Assert.Equal(SeccompProgram.RetAllow, Notifying(p, "openat"));
        Assert.Equal(Original(p, "rmdir"), Notifying(p, "rmdir")); // the kernel's kill stays the kernel's
        Assert.Equal(Errno(38), Notifying(p, "clone3")); // glibc's probe is answered by the kernel
    }

    [Fact]
    public void With_a_default_errno_sendmsg_and_clone3_are_still_answered_by_the_kernel_so_init_never_waits_on_itself()
    {
        var p = SeccompCompiler.Compile(new SeccompSpec
        {
            Preset = SeccompPresets.Unconfined, DefaultAction = new SeccompAction(SeccompActionKind.Errno, 13),
            Rules = [new("read", SeccompAction.Allow), new("write", SeccompAction.Allow)],
        })!;
        Assert.Equal(SeccompProgram.RetUserNotif, Notifying(p, "mkdir"));
        Assert.Equal(Errno(13), Original(p, "mkdir"));
        Assert.Equal(Errno(13), Notifying(p, "sendmsg"));
        Assert.Equal(Errno(13), Notifying(p, "clone3"));
        Assert.Equal(SeccompProgram.RetAllow, Notifying(p, "read"));
    }

    [Fact]
    public void A_rule_that_refuses_sendmsg_stays_in_the_kernel()
    {
        var p = SeccompCompiler.Compile(new SeccompSpec { Preset = SeccompPresets.Unconfined, Rules = [new("sendmsg", SeccompAction.Eperm), new("mkdir", SeccompAction.Eperm)] })!;
        Assert.Equal(Errno(1), Notifying(p, "sendmsg"));
        Assert.Equal(SeccompProgram.RetUserNotif, Notifying(p, "mkdir"));
    }

    [Fact]
    public void A_program_the_kernel_would_refuse_is_refused_here_too()
    {
        var loadOutside = new byte[] { 0x20, 0, 0, 0, 64, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f };
        Assert.Throws<InvalidOperationException>(() => SeccompProgram.Run(loadOutside, SeccompProgram.Data(0)));
        var noReturn = new byte[] { 0x20, 0, 0, 0, 0, 0, 0, 0 };
        Assert.Throws<InvalidOperationException>(() => SeccompProgram.Run(noReturn, SeccompProgram.Data(0)));
    }
}
