using Bunit;
using Playground.Engine.Spec;
using Playground.Web.Components.Builder;

namespace Playground.Tests.Web;

public class EnvironmentPanelTests : BuilderTest
{
    [Fact]
    public void The_env_i_switch_clears_the_environment()
    {
        var cut = Render<EnvironmentPanel>();
        Assert.Contains("HOME=/root", cut.Markup);

        Field(cut, "clear like env -i").Change(true);

        Assert.True(cut.Instance.Current.Environment.Clear);
        Assert.DoesNotContain("HOME=/root", cut.Markup);
    }

    [Fact]
    public void Variables_are_added_edited_and_removed()
    {
        var cut = Render<EnvironmentPanel>();

        Button(cut, "Add variable").Click();
        Field(cut, "Variable 1").Input("GREETING=hello world");
        Button(cut, "Add variable").Click();
        Field(cut, "Variable 2").Input("LANG=C");
        Assert.Equal(["GREETING=hello world", "LANG=C"], cut.Instance.Current.Environment.Set);

        Button(cut, "Remove variable 1").Click();
        Assert.Equal(["LANG=C"], cut.Instance.Current.Environment.Set);
        Assert.Equal("LANG=C", Field(cut, "Variable 1").GetAttribute("value"));
    }

    [Fact]
    public void An_entry_without_equals_shows_the_validators_message()
    {
        var cut = Render<EnvironmentPanel>(Start with { Environment = new EnvironmentSpec { Set = ["FOO=1", "BAR"] } }, validate: true);
        Assert.Equal("false", Field(cut, "Variable 1").GetAttribute("aria-invalid"));
        Assert.Equal("true", Field(cut, "Variable 2").GetAttribute("aria-invalid"));
        Assert.Contains("'BAR' has no '='", cut.Markup);
    }
}
