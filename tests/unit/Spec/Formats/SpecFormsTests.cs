using Playground.Engine.Spec;
using Playground.Engine.Spec.Formats;

namespace Playground.Tests.Spec.Formats;

public class SpecFormsTests
{
    static CapabilitySets Same(params string[] names)
    {
        var m = Capability.Mask(names);
        return new CapabilitySets(m, m, m, 0, 0);
    }

    [Fact]
    public void Capabilities_take_the_nearest_preset()
    {
        var dockerish = SpecForms.Capabilities(Same([.. Capability.DockerDefault.Where(c => c != "CAP_NET_RAW"), "CAP_SYS_ADMIN"]));
        Assert.Equal(CapabilityPresets.DockerDefault, dockerish.Preset);
        Assert.Equal(["CAP_SYS_ADMIN"], dockerish.Add);
        Assert.Equal(["CAP_NET_RAW"], dockerish.Drop);
        Assert.Equal(CapabilityPresets.None, SpecForms.Capabilities(Same("CAP_CHOWN")).Preset);
        var all = SpecForms.Capabilities(new CapabilitySets(Capability.AllMask, Capability.AllMask, Capability.AllMask, 0, 0));
        Assert.Equal((CapabilityPresets.All, 0, 0), (all.Preset, all.Add.Count, all.Drop.Count));
        Assert.Null(all.Effective);
        Assert.Null(all.Ambient);
    }

    [Fact]
    public void Capability_sets_that_differ_from_the_rule_are_kept_exactly_and_resolve_back()
    {
        var sets = new CapabilitySets(Capability.Mask(["CAP_CHOWN", "CAP_KILL"]), Capability.Mask(["CAP_KILL"]), Capability.Mask(["CAP_CHOWN", "CAP_KILL"]), Capability.Mask(["CAP_KILL"]), Capability.Mask(["CAP_KILL"]));
        var spec = SpecForms.Capabilities(sets);
        Assert.Equal(["CAP_KILL"], spec.Effective);
        Assert.Null(spec.Permitted);
        Assert.Equal(sets, CapabilitySets.Resolve(spec));
    }

    [Theory]
    [InlineData(new[] { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=xterm-256color", "A=1" }, false, new[] { "A=1" })]
    [InlineData(new[] { "PATH=/bin", "HOME=/root", "TERM=xterm-256color" }, false, new[] { "PATH=/bin" })]
    [InlineData(new[] { "HOME=/root", "A=1" }, true, new[] { "HOME=/root", "A=1" })]
    [InlineData(new string[0], true, new string[0])]
    public void An_environment_is_the_base_with_changes_or_a_cleared_one(string[] effective, bool clear, string[] set)
    {
        var env = SpecForms.Environment(effective);
        Assert.Equal(clear, env.Clear);
        Assert.Equal(set, env.Set);
        Assert.Equal(effective, ShellCommandRenderer.EffectiveEnvironment(env));
    }
}
