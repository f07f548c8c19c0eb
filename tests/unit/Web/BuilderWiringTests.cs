using Bunit;
using Playground.Engine.Spec;
using Playground.Web.Components.Builder;

namespace Playground.Tests.Web;

public class BuilderWiringTests : BuilderTest
{
    [Fact]
    public void The_builder_has_a_panel_per_concern_and_hands_changes_up()
    {
        SandboxSpec? changed = null;
        var cut = Ctx.Render<Builder>(p => p.Add(b => b.Spec, Start).Add(b => b.SpecChanged, s => changed = s));

        var headers = cut.FindAll(".mud-expand-panel-header").Select(h => h.TextContent.Trim()).ToList();
        Assert.Equal(["Root filesystem", "Namespaces", "Hostname", "Mounts", "Environment", "Capabilities",
                      "Seccomp and no_new_privs", "Limits (cgroups)", "Command"], headers);

        Field(cut, "net").Change(false);
        Assert.False(changed?.Namespaces.Net);
    }
}
