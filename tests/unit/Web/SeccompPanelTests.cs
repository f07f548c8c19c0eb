using Bunit;
using Playground.Engine.Spec;
using Playground.Web.Components.Builder;

namespace Playground.Tests.Web;

public class SeccompPanelTests : BuilderTest
{
    [Fact]
    public void A_rule_fails_mkdir_with_errno_13()
    {
        var cut = Render<SeccompPanel>();

        Button(cut, "Add rule").Click();
        var syscall = Field(cut, "System call of rule 1");
        syscall.Input("mkdir");
        syscall.Blur();
        cut.WaitForAssertion(() => Assert.Equal("mkdir", cut.Instance.Current.Seccomp.Rules[0].Syscall));
        Field(cut, "errno of rule 1").Input("13");

        Assert.Equal([new SeccompRule("mkdir", new SeccompAction(SeccompActionKind.Errno, 13))], cut.Instance.Current.Seccomp.Rules);
        Assert.Contains("EACCES", cut.Markup);
    }

    [Fact]
    public void The_system_call_field_suggests_names_of_this_architecture()
    {
        var cut = Render<SeccompPanel>(Start with { Seccomp = new SeccompSpec { Rules = [new SeccompRule("", SeccompAction.Eperm)] } });

        Field(cut, "System call of rule 1").Input("mkdi");

        cut.WaitForAssertion(() =>
        {
            var offered = cut.FindAll(".mud-popover .mud-list-item").Select(i => i.TextContent.Trim()).ToList();
            Assert.Equal(["mkdir", "mkdirat"], offered);
        });
        cut.FindAll(".mud-popover .mud-list-item").Single(i => i.TextContent.Trim() == "mkdirat").Click();
        cut.WaitForAssertion(() => Assert.Equal("mkdirat", cut.Instance.Current.Seccomp.Rules[0].Syscall));
    }

    [Fact]
    public void The_action_can_be_changed_to_kill()
    {
        var cut = Render<SeccompPanel>(Start with { Seccomp = new SeccompSpec { Rules = [new SeccompRule("ptrace", SeccompAction.Eperm)] } });

        Field(cut, "Action of rule 1").MouseDown();
        cut.WaitForAssertion(() => cut.FindAll(".mud-popover .mud-list-item").Single(i => i.TextContent.Trim() == "kill").Click());

        Assert.Equal(new SeccompRule("ptrace", new SeccompAction(SeccompActionKind.Kill)), cut.Instance.Current.Seccomp.Rules[0]);
        Assert.Empty(cut.FindAll("input[aria-label='errno of rule 1']"));
    }

    [Fact]
    public void An_unknown_system_call_shows_the_validators_message_at_its_rule()
    {
        var spec = Start with { Seccomp = new SeccompSpec { Rules = [new SeccompRule("mkdir", SeccompAction.Allow), new SeccompRule("fly", SeccompAction.Eperm)] } };
        var cut = Render<SeccompPanel>(spec, validate: true);

        Assert.Equal("false", Field(cut, "System call of rule 1").GetAttribute("aria-invalid"));
        Assert.Equal("true", Field(cut, "System call of rule 2").GetAttribute("aria-invalid"));
        Assert.Contains("'fly' is not a system call", cut.Find("[data-rule='2']").TextContent);
    }

    [Fact]
    public void Rules_are_removed_by_their_button()
    {
        var spec = Start with { Seccomp = new SeccompSpec { Rules = [new SeccompRule("mkdir", SeccompAction.Allow), new SeccompRule("rmdir", SeccompAction.Eperm)] } };
        var cut = Render<SeccompPanel>(spec);
        Button(cut, "Remove rule 1").Click();
        Assert.Equal([new SeccompRule("rmdir", SeccompAction.Eperm)], cut.Instance.Current.Seccomp.Rules);
    }

    [Fact]
    public void The_preset_becomes_unconfined()
    {
        var cut = Render<SeccompPanel>();
        Field(cut, "unconfined").Click();
        Assert.Equal(SeccompPresets.Unconfined, cut.Instance.Current.Seccomp.Preset);
    }

    [Fact]
    public void A_rule_for_a_call_the_preset_refuses_says_why()
    {
        var cut = Render<SeccompPanel>(Start with { Seccomp = new SeccompSpec { Rules = [new SeccompRule("unshare", SeccompAction.Allow)] } });
        Assert.Contains("docker-default refuses unshare", cut.Markup);
    }

    [Fact]
    public void No_new_privs_switches_off()
    {
        var cut = Render<SeccompPanel>();
        Assert.True(Start.NoNewPrivs);
        Field(cut, "no_new_privs").Change(false);
        Assert.False(cut.Instance.Current.NoNewPrivs);
    }
}
