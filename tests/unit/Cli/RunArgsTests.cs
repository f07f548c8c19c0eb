using Playground.Cli;

namespace Playground.Tests.Cli;

public sealed class RunArgsTests
{
    static string[] Split(params string[] args) =>
        RunArgs.EndOptionsAtCommand(args, RunCommand.Create(new SpecOptions()), out _);

    [Theory]
    [InlineData("--rootfs r sh -c x", "--rootfs r -- sh -c x")]
    [InlineData("--rootfs r -- sh -c x", "--rootfs r -- sh -c x")]
    [InlineData("--rootfs=r --story ls --help", "--rootfs=r --story -- ls --help")]
    [InlineData("--env A=1 --env B=2 env", "--env A=1 --env B=2 -- env")]
    [InlineData("--no-new-privs false true", "--no-new-privs false -- true")]
    [InlineData("--print-spec", "--print-spec")]
    public void Inserts_the_end_of_options_before_the_command(string given, string expected) =>
        Assert.Equal(expected.Split(' '), Split(given.Split(' ')));

    [Fact]
    public void Reports_unknown_options_before_the_command()
    {
        RunArgs.EndOptionsAtCommand(["--rootfs", "r", "--nope", "-x", "sh", "--also"], RunCommand.Create(new SpecOptions()), out var unknown);
        Assert.Equal(["--nope", "-x"], unknown);
    }
}
