using Playground.Engine.Spec;
using Playground.Engine.Spec.Formats;
using static Playground.Tests.Spec.Formats.FormatAssert;

namespace Playground.Tests.Spec.Formats;

public class ShellFormatTests
{
    static readonly SpecFormat Shell = SpecFormats.Find("shell");

    [Fact]
    public void Rich_spec_round_trips_and_what_the_tools_cannot_carry_is_named()
    {
        var imported = RoundTrip(Shell, Rich, out var exported);
        Assert.Equal(["rootfs", "capabilities", "seccomp", "minimalDev", "maskPaths", "limits", "cwd", "terminal"], exported.Notes.Select(n => n.Field));
        var expected = Rich with
        {
            MinimalDev = false, MaskPaths = false, Cwd = "/", Terminal = false, Limits = new ResourceLimits(),
            Capabilities = new CapabilitySpec { Preset = CapabilityPresets.All },
            Seccomp = new SeccompSpec { Preset = SeccompPresets.Unconfined },
        };
        Assert.Equal(SpecText(expected), SpecText(imported.Spec));
        Assert.Empty(imported.Notes);
    }

    [Fact]
    public void The_default_spec_uses_mount_proc_and_comes_back()
    {
        var spec = SandboxSpec.Default("/srv/rootfs", "/bin/sh");
        var imported = RoundTrip(Shell, spec, out var exported);
        Assert.Contains("--mount-proc=/srv/rootfs/proc", exported.Text);
        Assert.Equal([MountSpec.Proc()], imported.Spec.Mounts);
        Assert.Equal(spec.Namespaces, imported.Spec.Namespaces);
        Assert.Empty(imported.Spec.UidMap);
    }

    [Fact]
    public void Shared_namespaces_round_trip()
    {
        var spec = Sparse with { Namespaces = NamespaceSet.None, Mounts = [], Capabilities = new CapabilitySpec { Preset = CapabilityPresets.All } };
        var imported = RoundTrip(Shell, spec, out var exported);
        Assert.Equal("env -i PATH=/bin chroot /srv/rootfs /bin/true", exported.Text);
        Assert.Equal(SpecText(spec), SpecText(imported.Spec));
    }

    [Fact]
    public void The_rendering_with_its_comment_lines_and_tool_paths_reads_back()
    {
        var spec = Rich with { Environment = new EnvironmentSpec { Clear = true, Set = ["A=1"] } };
        var rendered = ShellCommandRenderer.Render(spec, new ShellRenderOptions { ToolPath = name => "/usr/bin/" + name });
        Assert.StartsWith("# rootfs: ", rendered);
        Assert.Equal(SpecText(Shell.Import(Shell.Export(spec).Text).Spec), SpecText(Shell.Import(rendered).Spec));
    }

    [Fact]
    public void Options_of_the_tools_it_does_not_take_are_named()
    {
        var (spec, notes) = Shell.Import("unshare -r --propagation slave -n setpriv --inh-caps +net_raw chroot --skip-chdir /r /bin/sh");
        Assert.Equal(NamespaceSet.None with { User = true, Net = true }, spec.Namespaces);
        Assert.Equal([new IdMapping(0, 0, 1)], spec.UidMap);
        Assert.Equal("/r", spec.Rootfs);
        Assert.Equal(["env", "unshare -r", "unshare --propagation", "setpriv --inh-caps", "chroot --skip-chdir"], notes.Select(n => n.Field));
    }

    [Theory]
    [InlineData("env -i unshare --bogus chroot /r sh", "unshare --bogus", "not an option of unshare")]
    [InlineData("env -i unshare --map-users=1,2 chroot /r sh", "unshare --map-users", "OUTER,INNER,COUNT")]
    [InlineData("env -i unshare --setuid", "unshare --setuid", "needs a value")]
    [InlineData("env -i prlimit --nofile=lots chroot /r sh", "prlimit --nofile", "SOFT:HARD")]
    [InlineData("env -i prlimit --pid 1 chroot /r sh", "prlimit --pid", "--RESOURCE=SOFT:HARD")]
    [InlineData("env -i /bin/true", "chroot", "expected chroot ROOTFS COMMAND, found '/bin/true'")]
    [InlineData("env -i chroot --userspec=alice:users /r sh", "chroot --userspec", "numeric id")]
    [InlineData("env -i chroot", "chroot", "needs a value")]
    [InlineData("env -i unshare -m sh -c 'mount -o bind /a /r/a && chroot /r sh'", "sh -c", "must end in exec")]
    [InlineData("env -i unshare -m sh -c 'mount --move /a /r/a && exec chroot /r sh'", "mount --move", "not supported")]
    [InlineData("env -i chroot /r sh 'unclosed", "line 1", "not closed")]
    public void Bad_command_lines_name_the_tool_and_option(string text, string field, string phrase)
    {
        var error = Refused(() => Shell.Import(text));
        Assert.Equal(field, error.Field);
        Assert.Contains(phrase, error.Message);
    }
}
