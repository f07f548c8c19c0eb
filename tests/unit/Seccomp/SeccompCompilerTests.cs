using Playground.Engine;
using Playground.Engine.Seccomp;
using Playground.Engine.Spec;

namespace Playground.Tests.Seccomp;

public class SeccompCompilerTests
{
    static SeccompRule Rule(string syscall, SeccompAction action) => new(syscall, action);
    static readonly SeccompAction Eacces = new(SeccompActionKind.Errno, 13);

    [Fact]
    public void Unconfined_without_rules_installs_nothing() =>
        Assert.Null(SeccompCompiler.Compile(new SeccompSpec { Preset = SeccompPresets.Unconfined }));

    [Fact]
    public void Docker_default_compiles_to_whole_sock_filter_instructions()
    {
        var program = SeccompCompiler.Compile(new SeccompSpec())!;
        Assert.NotNull(program);
        Assert.True(program.Bpf.Length > 0);
        Assert.Equal(0, program.Bpf.Length % SeccompProgram.InstructionSize);
        Assert.Contains("\"mount\"", program.Readable);
        Assert.Contains("\"open_by_handle_at\"", program.Readable);
        Assert.Contains("ERRNO(1)", program.Readable);
        Assert.Contains("ERRNO(38)", program.Readable); // clone3 → ENOSYS
        Assert.DoesNotContain("\"mkdir\"", program.Readable);
    }

    [Fact]
    public void Docker_default_refuses_clone_by_masked_flags()
    {
        var pfc = SeccompCompiler.Compile(new SeccompSpec())!.Readable;
        Assert.Contains("\"clone\"", pfc);
        // One masked test per namespace flag: (flags & F) == F, e.g. CLONE_NEWUSER and CLONE_NEWNS.
        Assert.Contains("$a0.lo32 & 0x10000000 == 268435456", pfc);
        Assert.Contains("$a0.lo32 & 0x00020000 == 131072", pfc);
    }

    [Fact]
    public void A_rule_is_added_on_top_of_the_preset()
    {
        var pfc = SeccompCompiler.Compile(new SeccompSpec { Rules = [Rule("mkdir", Eacces)] })!.Readable;
        Assert.Contains("\"mkdir\"", pfc);
        Assert.Contains("ERRNO(13)", pfc);
        Assert.Contains("\"mount\"", pfc);
    }

    [Fact]
    public void An_allow_rule_replaces_the_presets_refusal()
    {
        var pfc = SeccompCompiler.Compile(new SeccompSpec { Rules = [Rule("mount", SeccompAction.Allow)] })!.Readable;
        Assert.DoesNotContain("\"mount\"", pfc);
        Assert.Contains("\"umount2\"", pfc);
    }

    [Fact]
    public void An_allow_rule_is_written_when_the_default_refuses()
    {
        var spec = new SeccompSpec
        {
            Preset = SeccompPresets.Unconfined,
            DefaultAction = new SeccompAction(SeccompActionKind.Kill),
            Rules = [Rule("mount", SeccompAction.Allow), Rule("read", new SeccompAction(SeccompActionKind.Log))],
        };
        var pfc = SeccompCompiler.Compile(spec)!.Readable;
        Assert.Contains("KILL_PROCESS", pfc);
        Assert.Contains("\"mount\"", pfc);
        Assert.Contains("ALLOW", pfc);
        Assert.Contains("LOG", pfc);
    }

    [Fact]
    public void Trap_is_an_action()
    {
        var spec = new SeccompSpec { Preset = SeccompPresets.Unconfined, Rules = [Rule("ptrace", new(SeccompActionKind.Trap))] };
        Assert.Contains("TRAP", SeccompCompiler.Compile(spec)!.Readable);
    }

    [Fact]
    public void The_same_spec_content_is_compiled_once()
    {
        SeccompSpec Make() => new() { Rules = [Rule("chmod", Eacces), Rule("chown", SeccompAction.Eperm)] };
        var first = SeccompCompiler.Compile(Make());
        var second = SeccompCompiler.Compile(Make()); // equal content, different list instances
        Assert.Same(first, second);
        var other = SeccompCompiler.Compile(new SeccompSpec { Rules = [Rule("chmod", SeccompAction.Eperm)] });
        Assert.NotSame(first, other);
    }

    [Fact]
    public void Concurrent_compiles_of_one_spec_share_one_program()
    {
        var spec = new SeccompSpec { Rules = [Rule("fchmodat", new(SeccompActionKind.Errno, 22))] };
        var programs = Enumerable.Range(0, 16).AsParallel().Select(_ => SeccompCompiler.Compile(spec)).ToList();
        Assert.All(programs, p => Assert.Same(programs[0], p));
    }

    [Fact]
    public void Bad_rules_are_refused_naming_the_field()
    {
        var spec = new SeccompSpec
        {
            Preset = "strict",
            Rules = [Rule("no_such_syscall", SeccompAction.Eperm), Rule("mkdir", new(SeccompActionKind.Errno, 70000))],
        };
        var ex = Assert.Throws<SpecValidationException>(() => SeccompCompiler.Compile(spec));
        Assert.Contains(ex.Errors, e => e.Field == "seccomp.preset" && e.Message.Contains("docker-default"));
        Assert.Contains(ex.Errors, e => e.Field == "seccomp.rules[0].syscall" && e.Message.Contains("no_such_syscall"));
        Assert.Contains(ex.Errors, e => e.Field == "seccomp.rules[1].action");
    }
}
