using Playground.Web.Components.Builder;

namespace Playground.Tests.Web;

public class CommandLineTests
{
    [Theory]
    [InlineData("ls -l  /tmp", new[] { "ls", "-l", "/tmp" })]
    [InlineData("  ", new string[0])]
    [InlineData("sh -c 'echo hi'", new[] { "sh", "-c", "echo hi" })]
    [InlineData("echo \"a b\" c", new[] { "echo", "a b", "c" })]
    [InlineData("echo '' x", new[] { "echo", "", "x" })]
    [InlineData("echo a\\ b", new[] { "echo", "a b" })]
    [InlineData("echo \"say \\\"hi\\\"\"", new[] { "echo", "say \"hi\"" })]
    [InlineData("echo 'it'\\''s'", new[] { "echo", "it's" })]
    [InlineData("echo 'a\\b'", new[] { "echo", "a\\b" })]
    [InlineData("echo \"a\\nb\"", new[] { "echo", "a\\nb" })]
    [InlineData("echo \"a'b\" 'c\"d'", new[] { "echo", "a'b", "c\"d" })]
    [InlineData("x\"y z\"w", new[] { "xy zw" })]
    [InlineData("echo $HOME *", new[] { "echo", "$HOME", "*" })]
    [InlineData("sh -c 'unclosed", new[] { "sh", "-c", "unclosed" })]
    public void Split_follows_shell_quoting_without_expansions(string text, string[] expected) =>
        Assert.Equal(expected, CommandLine.Split(text));

    public static TheoryData<string[]> Commands { get; } =
    [
        ["/bin/sh"],
        ["sh", "-c", "echo 'hi' \"there\"; exit 3"],
        ["printf", "%s\\n", "", "a b"],
        ["it's", "back\\slash"],
    ];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Join_then_Split_gives_the_same_words(string[] words) =>
        Assert.Equal(words, CommandLine.Split(CommandLine.Join(words)));
}
