using Bunit;
using Playground.Engine.Spec;
using Playground.Web.Components.Builder;

namespace Playground.Tests.Web;

public class CommandPanelTests : BuilderTest
{
    [Fact]
    public void Typing_a_quoted_command_sets_its_words()
    {
        var cut = Render<CommandPanel>();
        Field(cut, "Command").Input("sh -c \"echo hi\"");
        Assert.Equal(["sh", "-c", "echo hi"], cut.Instance.Current.Command);
        Assert.Contains("argv: [sh] [-c] [echo hi]", cut.Markup);
    }

    [Fact]
    public void The_text_stays_as_typed_while_editing()
    {
        var cut = Render<CommandPanel>();

        // A trailing space would vanish if the field showed the spec's command joined again.
        Field(cut, "Command").Input("ls ");
        Assert.Equal("ls ", Field(cut, "Command").GetAttribute("value"));
        Field(cut, "Command").Input("ls \"-l\"");
        Assert.Equal("ls \"-l\"", Field(cut, "Command").GetAttribute("value"));
        Assert.Equal(["ls", "-l"], cut.Instance.Current.Command);
    }

    [Fact]
    public void A_command_from_elsewhere_replaces_the_text()
    {
        var cut = Render<CommandPanel>();
        Field(cut, "Command").Input("ls ");

        cut.Render(p => p.Add(h => h.Spec, Start with { Command = ["echo", "a b"] }));

        Assert.Equal("echo 'a b'", Field(cut, "Command").GetAttribute("value"));
    }

    [Fact]
    public void An_empty_command_shows_the_validators_message()
    {
        var cut = Render<CommandPanel>(validate: true);
        Field(cut, "Command").Input("   ");
        Assert.Empty(cut.Instance.Current.Command);
        Assert.Contains("empty: give the program and its arguments", cut.Markup);
    }
}
