using Bunit;
using Playground.Engine.Spec;
using Playground.Web.Components.Builder;

namespace Playground.Tests.Web;

public class MountsPanelTests : BuilderTest
{
    [Fact]
    public void Adding_a_tmpfs_of_64m_gives_its_size_in_bytes()
    {
        var cut = Render<MountsPanel>();
        Assert.Equal([MountSpec.Proc()], Start.Mounts);

        Button(cut, "Add tmpfs mount").Click();
        Field(cut, "Destination of mount 2").Input("/scratch");
        Field(cut, "Size of mount 2").Input("64m");

        Assert.Equal([MountSpec.Proc(), new MountSpec { Type = MountType.Tmpfs, Destination = "/scratch", SizeBytes = 64 * 1024 * 1024 }],
            cut.Instance.Current.Mounts);
    }

    [Fact]
    public void A_size_that_does_not_parse_shows_why_and_leaves_the_spec_alone()
    {
        var cut = Render<MountsPanel>(Start with { Mounts = [MountSpec.Tmpfs("/tmp", 64 * Sizes.MiB)] });
        Assert.Equal("64m", Field(cut, "Size of mount 1").GetAttribute("value"));

        Field(cut, "Size of mount 1").Input("64q");

        Assert.Equal(64 * Sizes.MiB, cut.Instance.Current.Mounts[0].SizeBytes);
        Assert.Equal("64q", Field(cut, "Size of mount 1").GetAttribute("value"));
        Assert.Contains("'64q' is not a size", cut.Find("[data-mount='1']").TextContent);

        Field(cut, "Size of mount 1").Input("");
        Assert.Null(cut.Instance.Current.Mounts[0].SizeBytes);
        Assert.DoesNotContain("is not a size", cut.Markup);
    }

    [Fact]
    public void A_size_that_does_not_parse_survives_edits_to_the_same_mount()
    {
        var cut = Render<MountsPanel>(Start with { Mounts = [MountSpec.Tmpfs("/tmp", 64 * Sizes.MiB)] });
        Field(cut, "Size of mount 1").Input("64q");
        Field(cut, "Destination of mount 1").Input("/scratch");

        Assert.Equal(MountSpec.Tmpfs("/scratch", 64 * Sizes.MiB), cut.Instance.Current.Mounts[0]);
        Assert.Equal("64q", Field(cut, "Size of mount 1").GetAttribute("value"));
        Assert.Contains("'64q' is not a size", cut.Markup);
    }

    [Fact]
    public void A_bind_mount_takes_a_host_source_and_can_be_read_only()
    {
        var cut = Render<MountsPanel>(Start with { Mounts = [] });

        Button(cut, "Add bind mount").Click();
        Field(cut, "Source of mount 1").Input("/etc");
        Field(cut, "Destination of mount 1").Input("/host-etc");
        Field(cut, "Mount 1 read-only").Change(true);

        Assert.Equal([MountSpec.Bind("/etc", "/host-etc", ro: true)], cut.Instance.Current.Mounts);
    }

    [Fact]
    public void Each_kind_of_mount_can_be_added_and_removed()
    {
        var cut = Render<MountsPanel>(Start with { Mounts = [] });
        foreach (var type in Enum.GetValues<MountType>())
            Button(cut, $"Add {type.ToString().ToLowerInvariant()} mount").Click();

        Assert.Equal(Enum.GetValues<MountType>(), cut.Instance.Current.Mounts.Select(m => m.Type));
        Assert.All(cut.Instance.Current.Mounts, m => Assert.StartsWith("/", m.Destination));

        Button(cut, "Remove mount 1").Click();
        Assert.Equal(Enum.GetValues<MountType>().Skip(1), cut.Instance.Current.Mounts.Select(m => m.Type));
    }

    [Fact]
    public void Errors_show_next_to_their_mount()
    {
        var spec = Start with { Mounts = [MountSpec.Proc(), MountSpec.Tmpfs("tmp")] };
        var cut = Render<MountsPanel>(spec, validate: true);

        Assert.Contains("'tmp' is relative", cut.Find("[data-mount='2']").TextContent);
        Assert.DoesNotContain("is relative", cut.Find("[data-mount='1']").TextContent);
        Assert.Equal("true", Field(cut, "Destination of mount 2").GetAttribute("aria-invalid"));
    }

    [Fact]
    public void A_tmpfs_of_zero_bytes_shows_the_validators_message()
    {
        var cut = Render<MountsPanel>(Start with { Mounts = [MountSpec.Tmpfs("/tmp")] }, validate: true);
        Field(cut, "Size of mount 1").Input("0");
        Assert.Equal(0, cut.Instance.Current.Mounts[0].SizeBytes);
        Assert.Contains("0 is not a size: give a positive number of bytes", cut.Markup);
    }

    [Fact]
    public void Minimal_dev_and_masked_paths_switch_off()
    {
        var cut = Render<MountsPanel>();
        Field(cut, "minimal /dev").Change(false);
        Field(cut, "hide sensitive paths (Docker's masked paths)").Change(false);
        Assert.False(cut.Instance.Current.MinimalDev);
        Assert.False(cut.Instance.Current.MaskPaths);
        Assert.Equal(Start.Mounts, cut.Instance.Current.Mounts);
    }

    [Fact]
    public void Without_a_mount_namespace_the_switch_shows_the_validators_message()
    {
        var cut = Render<MountsPanel>(Start with { Namespaces = Start.Namespaces with { Mount = false }, Mounts = [] }, validate: true);
        Assert.Contains("a minimal /dev is a set of mounts", cut.Markup);
        Field(cut, "minimal /dev").Change(false);
        Assert.DoesNotContain("a minimal /dev is a set of mounts", cut.Markup);
    }
}
