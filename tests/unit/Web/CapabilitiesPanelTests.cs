using Bunit;
using Playground.Engine.Spec;
using Playground.Web.Components.Builder;

namespace Playground.Tests.Web;

public class CapabilitiesPanelTests : BuilderTest
{
    static bool InEffectiveSet(SandboxSpec spec, string name) =>
        Capability.TryParse(name, out var cap) && (CapabilitySets.Resolve(spec.Capabilities).Effective & (1UL << cap.Number)) != 0;

    static bool Ticked(AngleSharp.Dom.IElement input) => input.HasAttribute("checked");

    [Fact]
    public void Preset_none_plus_net_bind_service_gives_just_that_capability()
    {
        var cut = Render<CapabilitiesPanel>();

        Field(cut, "none").Click();
        Assert.Equal(CapabilityPresets.None, cut.Instance.Current.Capabilities.Preset);
        Assert.False(Ticked(Field(cut, "CAP_NET_BIND_SERVICE")));

        Field(cut, "CAP_NET_BIND_SERVICE").Change(true);

        var spec = cut.Instance.Current;
        Assert.True(InEffectiveSet(spec, "CAP_NET_BIND_SERVICE"));
        Assert.Equal(["CAP_NET_BIND_SERVICE"], Capability.Names(CapabilitySets.Resolve(spec.Capabilities).Effective));
        Assert.True(Ticked(Field(cut, "CAP_NET_BIND_SERVICE")));
    }

    [Fact]
    public void The_ticks_show_the_presets_set()
    {
        var cut = Render<CapabilitiesPanel>();
        var ticked = Capability.All.Where(c => Ticked(Field(cut, c.Name))).Select(c => c.Name);
        Assert.Equal(Capability.DockerDefault.Order(), ticked.Order());
    }

    [Fact]
    public void Unticking_a_preset_capability_drops_it_and_ticking_it_again_forgets_the_drop()
    {
        var cut = Render<CapabilitiesPanel>();

        Field(cut, "CAP_CHOWN").Change(false);
        Assert.Equal(["CAP_CHOWN"], cut.Instance.Current.Capabilities.Drop);
        Assert.False(InEffectiveSet(cut.Instance.Current, "CAP_CHOWN"));

        Field(cut, "CAP_CHOWN").Change(true);
        Assert.Empty(cut.Instance.Current.Capabilities.Drop);
        Assert.Empty(cut.Instance.Current.Capabilities.Add);
        Assert.True(InEffectiveSet(cut.Instance.Current, "CAP_CHOWN"));
    }

    [Fact]
    public void Ticking_a_dropped_capability_written_in_short_form_removes_that_drop()
    {
        var spec = Start with { Capabilities = new CapabilitySpec { Preset = CapabilityPresets.All, Drop = ["sys_admin", "NET_ADMIN"] } };
        var cut = Render<CapabilitiesPanel>(spec);
        Assert.False(Ticked(Field(cut, "CAP_SYS_ADMIN")));

        Field(cut, "CAP_SYS_ADMIN").Change(true);

        Assert.Equal(["NET_ADMIN"], cut.Instance.Current.Capabilities.Drop);
        Assert.True(InEffectiveSet(cut.Instance.Current, "CAP_SYS_ADMIN"));
        Assert.False(InEffectiveSet(cut.Instance.Current, "CAP_NET_ADMIN"));
    }

    [Fact]
    public void The_filter_matches_names_and_meanings()
    {
        var cut = Render<CapabilitiesPanel>();
        Assert.Equal(Capability.All.Count, cut.FindAll("[aria-label=Capabilities] input[type=checkbox]").Count);

        Field(cut, "Filter capabilities").Input("raw");
        var shown = cut.FindAll("[aria-label=Capabilities] label").Select(l => l.TextContent.Trim());
        Assert.Equal(["CAP_NET_RAW", "CAP_SYS_RAWIO"], shown);

        Field(cut, "Filter capabilities").Input("ports below");
        Assert.Equal(["CAP_NET_BIND_SERVICE"], cut.FindAll("[aria-label=Capabilities] label").Select(l => l.TextContent.Trim()));
    }

    [Fact]
    public void Every_capability_is_listed_with_its_meaning()
    {
        var cut = Render<CapabilitiesPanel>();
        foreach (var cap in Capability.All)
            Assert.Contains(cap.Meaning, cut.Markup);
    }

    [Fact]
    public void An_unknown_capability_shows_the_validators_message()
    {
        var spec = Start with { Capabilities = new CapabilitySpec { Add = ["CAP_FLY"] } };
        var cut = Render<CapabilitiesPanel>(spec, validate: true);
        Assert.Contains("'CAP_FLY' is not a capability", cut.Markup);
    }

    [Fact]
    public void Exact_sets_from_a_loaded_spec_can_be_cleared()
    {
        var spec = Start with { Capabilities = new CapabilitySpec { Effective = ["CAP_KILL"], Permitted = ["CAP_KILL"] } };
        var cut = Render<CapabilitiesPanel>(spec);
        Assert.Contains("sets effective, permitted exactly", cut.Markup);

        Button(cut, "Use preset, add and drop only").Click();

        Assert.Null(cut.Instance.Current.Capabilities.Effective);
        Assert.Null(cut.Instance.Current.Capabilities.Permitted);
        Assert.True(InEffectiveSet(cut.Instance.Current, "CAP_CHOWN"));
    }
}
