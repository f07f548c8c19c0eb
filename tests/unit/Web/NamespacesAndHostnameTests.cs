using Bunit;
using Playground.Engine;
using Playground.Engine.Spec;
using Playground.Web.Components.Builder;

namespace Playground.Tests.Web;

public class NamespacesPanelTests : BuilderTest
{
    [Fact]
    public void Turning_net_off_removes_only_the_net_namespace()
    {
        var cut = Render<NamespacesPanel>();
        Assert.True(Start.Namespaces.Net);

        Field(cut, "net").Change(false);

        var ns = cut.Instance.Current.Namespaces;
        Assert.False(ns.Net);
        Assert.Equal(Start.Namespaces with { Net = false }, ns);
        Assert.Null(Field(cut, "net").GetAttribute("checked"));
    }

    [Fact]
    public void Turning_time_on_adds_the_time_namespace()
    {
        var cut = Render<NamespacesPanel>();
        Field(cut, "time").Change(true);
        Assert.True(cut.Instance.Current.Namespaces.Time);
    }

    [Fact]
    public void An_error_for_a_namespace_shows_under_it()
    {
        var cut = Render<NamespacesPanel>(errors: [new SpecError("namespaces.user", "user namespace is required here")]);
        Assert.Contains("user namespace is required here", cut.Markup);
    }
}

public class HostnamePanelTests : BuilderTest
{
    [Fact]
    public void An_invalid_hostname_error_is_shown_at_the_field()
    {
        const string message = "'bad name' is not a valid host name: use 1 to 64 letters";
        var cut = Render<HostnamePanel>(Start with { Hostname = "bad name" }, [new SpecError("hostname", message)]);

        var input = Field(cut, "Hostname");
        Assert.Equal("true", input.GetAttribute("aria-invalid"));
        Assert.Contains(message, cut.Find(".mud-input-helper-text").TextContent);
    }

    [Fact]
    public void The_validators_message_appears_after_typing_an_invalid_name()
    {
        var cut = Render<HostnamePanel>(validate: true);
        Assert.DoesNotContain("not a valid host name", cut.Markup);

        Field(cut, "Hostname").Input("-bad-");

        Assert.Equal("-bad-", cut.Instance.Current.Hostname);
        Assert.Contains("'-bad-' is not a valid host name", cut.Markup);
    }

    [Fact]
    public void Typing_sets_the_hostname_and_clearing_removes_it()
    {
        var cut = Render<HostnamePanel>();
        Field(cut, "Hostname").Input("box1");
        Assert.Equal("box1", cut.Instance.Current.Hostname);
        Field(cut, "Hostname").Input("");
        Assert.Null(cut.Instance.Current.Hostname);
    }
}
