using Bunit;
using Playground.Engine.Spec;
using Playground.Web.Components.Builder;

namespace Playground.Tests.Web;

public class LimitsPanelTests : BuilderTest
{
    [Fact]
    public void Memory_64m_is_67108864_bytes()
    {
        var cut = Render<LimitsPanel>();
        Field(cut, "Memory").Input("64m");
        Assert.Equal(67108864, cut.Instance.Current.Limits.MemoryBytes);
        Assert.Equal("64m", Field(cut, "Memory").GetAttribute("value"));
    }

    [Fact]
    public void Memory_64q_shows_a_parse_error_and_keeps_the_last_size()
    {
        var cut = Render<LimitsPanel>();
        Field(cut, "Memory").Input("64m");
        Field(cut, "Memory").Input("64q");

        Assert.Equal(67108864, cut.Instance.Current.Limits.MemoryBytes);
        Assert.Equal("true", Field(cut, "Memory").GetAttribute("aria-invalid"));
        Assert.Contains("'64q' is not a size", cut.Markup);
    }

    [Fact]
    public void A_size_that_does_not_parse_holds_Run_back_until_it_does()
    {
        var drafts = new DraftErrors();
        Ctx.RenderTree.Add<Microsoft.AspNetCore.Components.CascadingValue<DraftErrors>>(p => p.Add(c => c.Value, drafts).Add(c => c.IsFixed, true));
        var cut = Render<LimitsPanel>();
        Field(cut, "Memory").Input("64q");
        Assert.True(drafts.Any);
        Field(cut, "Memory").Input("64m");
        Assert.False(drafts.Any);
    }

    [Fact]
    public void The_size_stays_as_typed()
    {
        var cut = Render<LimitsPanel>();
        Field(cut, "Memory").Input("1.5G");
        Assert.Equal(3 * Sizes.GiB / 2, cut.Instance.Current.Limits.MemoryBytes);
        Assert.Equal("1.5G", Field(cut, "Memory").GetAttribute("value")); // not rewritten as 1536m
    }

    [Fact]
    public void Emptying_memory_removes_the_limit()
    {
        var cut = Render<LimitsPanel>(Start with { Limits = new ResourceLimits { MemoryBytes = Sizes.GiB } });
        Assert.Equal("1g", Field(cut, "Memory").GetAttribute("value"));
        Field(cut, "Memory").Input(" ");
        Assert.Null(cut.Instance.Current.Limits.MemoryBytes);
    }

    [Fact]
    public void Too_little_memory_shows_the_validators_message()
    {
        var cut = Render<LimitsPanel>(validate: true);
        Field(cut, "Memory").Input("1m");
        Assert.Equal(Sizes.MiB, cut.Instance.Current.Limits.MemoryBytes);
        Assert.Contains("1MiB is too little", cut.Markup);
    }

    [Fact]
    public void Pids_and_cpus_are_set_and_cleared()
    {
        var cut = Render<LimitsPanel>();
        Field(cut, "Processes (pids.max)").Input("20");
        Field(cut, "CPUs (0.5 = half a core)").Input("0.5");
        Assert.Equal(new ResourceLimits { PidsMax = 20, Cpus = 0.5 }, cut.Instance.Current.Limits);

        Field(cut, "Processes (pids.max)").Input("");
        Assert.Null(cut.Instance.Current.Limits.PidsMax);
        Assert.Equal(0.5, cut.Instance.Current.Limits.Cpus);
    }

    [Fact]
    public void One_pid_with_a_pid_namespace_shows_the_validators_message()
    {
        var cut = Render<LimitsPanel>(validate: true);
        Field(cut, "Processes (pids.max)").Input("1");
        Assert.Contains("1 is too low", cut.Markup);
    }
}
