using Playground.Cli;
using Playground.Engine.Spec;

namespace Playground.Tests.Spec.Formats;

/// <summary><c>playground spec convert</c>: the result on stdout, importable as it is; every note and error on stderr.</summary>
public class SpecCommandTests
{
    static (int Status, string Out, string Err) Convert(string from, string to, string text)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var status = SpecCommand.Convert(from, to, text, output, errors);
        return (status, output.ToString(), errors.ToString());
    }

    /// <summary>From json into a format, then that format read and written again: once what it cannot carry is gone, nothing changes.</summary>
    [Theory]
    [InlineData("oci")]
    [InlineData("docker")]
    [InlineData("bwrap")]
    [InlineData("shell")]
    public void Converting_a_format_to_itself_settles_after_one_pass(string format)
    {
        var (status, text, _) = Convert("json", format, SpecJson.Serialize(FormatAssert.Rich));
        Assert.Equal(0, status);
        var once = Convert(format, format, text).Out;
        Assert.Equal(once, Convert(format, format, once).Out);
    }

    [Fact]
    public void Notes_go_to_stderr_named_by_format_and_field()
    {
        var (status, text, err) = Convert("docker", "bwrap", "docker run -it --privileged /srv/rootfs sh");
        Assert.Equal(0, status);
        Assert.StartsWith("bwrap ", text);
        Assert.Contains("playground spec convert: docker: --privileged: not supported", err);
        Assert.Contains("playground spec convert: bwrap: seccomp: not expressed", err);
    }

    [Fact]
    public void A_refused_input_exits_1_naming_the_field()
    {
        var (status, text, err) = Convert("oci", "json", """{"ociVersion": "1.2.0", "root": {"path": "/r"}, "process": {"cwd": "/", "args": []}}""");
        Assert.Equal((1, ""), (status, text));
        Assert.Equal("playground spec convert: oci: process.args: has 0 entries, at least 1 are required: expected the program and its arguments; on Linux at least the program\n", err);
    }
}
