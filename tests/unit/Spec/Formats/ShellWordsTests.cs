using Playground.Engine.Spec.Formats;
using static Playground.Tests.Spec.Formats.FormatAssert;

namespace Playground.Tests.Spec.Formats;

public class ShellWordsTests
{
    [Theory]
    [InlineData("a b\tc", new[] { "a", "b", "c" })]
    [InlineData("'a b' \"c d\" e\\ f", new[] { "a b", "c d", "e f" })]
    [InlineData("'it'\\''s' \"say \\\"hi\\\" \\\\ \\n\"", new[] { "it's", "say \"hi\" \\ \\n" })]
    [InlineData("x''y \"\" ''", new[] { "xy", "", "" })]
    [InlineData("a#b # a comment", new[] { "a#b" })]
    [InlineData("one \\\n two", new[] { "one", "two" })]
    [InlineData("'$HOME' \"a|b\" 'x;y'", new[] { "$HOME", "a|b", "x;y" })]
    public void Splits_as_sh_does(string text, string[] words) => Assert.Equal(words, ShellWords.Command(text));

    [Fact]
    public void Commands_are_separated_by_newlines_semicolons_and_and_and()
    {
        var commands = ShellWords.Commands("# note\nmount -t proc proc /p && hostname 'a b';exec chroot /r\n\n");
        Assert.Equal([["mount", "-t", "proc", "proc", "/p"], ["hostname", "a b"], ["exec", "chroot", "/r"]], commands);
    }

    [Theory]
    [InlineData("echo $HOME", "line 1", "'$' starts an expansion")]
    [InlineData("a\necho \"$(id)\"", "line 2", "in \"…\" starts an expansion")]
    [InlineData("echo `id`", "line 1", "'`' starts an expansion")]
    [InlineData("a | b", "line 1", "'|' is a shell operator")]
    [InlineData("a > b", "line 1", "'>' is a shell operator")]
    [InlineData("a & b", "line 1", "'&' is a shell operator")]
    [InlineData("'open", "line 1", "not closed")]
    [InlineData("\"open", "line 1", "not closed")]
    [InlineData("trailing \\", "line 1", "a backslash ends the text")]
    [InlineData("a\nb", "command line", "2 commands")]
    [InlineData("# only a comment", "command line", "empty")]
    public void What_only_a_shell_could_mean_is_refused(string text, string field, string phrase)
    {
        var error = Refused(() => ShellWords.Command(text));
        Assert.Equal(field, error.Field);
        Assert.Contains(phrase, error.Message);
    }

    [Fact]
    public void Join_quotes_so_that_splitting_gives_the_words_back()
    {
        string[] words = ["plain", "a b", "it's", "", "$x", "tab\there", "new\nline", "back\\slash"];
        Assert.Equal(words, ShellWords.Command(ShellWords.Join(words)));
    }
}
