using System.Diagnostics;
using Playground.Engine.Spec;
using Playground.Engine.Spec.Formats;
using static Playground.Tests.Spec.Formats.FormatAssert;

namespace Playground.Tests.Spec.Formats;

public class BwrapFormatTests
{
    static readonly SpecFormat Bwrap = SpecFormats.Find("bwrap");

    [Fact]
    public void Rich_spec_round_trips_and_what_bwrap_cannot_carry_is_named()
    {
        var imported = RoundTrip(Bwrap, Rich, out var exported);
        Assert.Equal(
            "bwrap --unshare-user --unshare-pid --unshare-net --unshare-uts --uid 1000 --gid 1000 --hostname box " +
            "--bind '/srv/root fs' / --proc /proc --ro-bind /srv/data /data --bind /srv/work /work --size 67108864 --tmpfs /tmp " +
            "--dev /dev --remount-ro / --chdir /work --clearenv --setenv PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin " +
            "--setenv HOME /root --setenv TERM xterm-256color --setenv FOO 'bar baz' --setenv LANG C.UTF-8 --cap-drop ALL " +
            "--cap-add CAP_CHOWN --cap-add CAP_DAC_OVERRIDE --cap-add CAP_FOWNER --cap-add CAP_FSETID --cap-add CAP_KILL --cap-add CAP_SETGID " +
            "--cap-add CAP_SETUID --cap-add CAP_SETPCAP --cap-add CAP_NET_BIND_SERVICE --cap-add CAP_NET_ADMIN --cap-add CAP_SYS_CHROOT " +
            "--cap-add CAP_MKNOD --cap-add CAP_AUDIT_WRITE --cap-add CAP_SETFCAP --die-with-parent /bin/sh -c 'echo \"$FOO\" it'\\''s'",
            exported.Text);
        Assert.Equal(
            ["namespaces.time", "timeOffsets", "uidMap", "gidMap", "supplementaryGroups", "maskPaths", "capabilities.inheritable",
             "capabilities.ambient", "seccomp", "rlimits", "limits"],
            exported.Notes.Select(n => n.Field));

        var caps = Capability.Names(CapabilitySets.Resolve(Rich.Capabilities).Effective);
        var expected = Rich with
        {
            Namespaces = Rich.Namespaces with { Time = false },
            TimeOffsets = new TimeOffsets(),
            UidMap = [new IdMapping(1000, 0, 1)], GidMap = [new IdMapping(1000, 0, 1)],
            SupplementaryGroups = [], MaskPaths = false, Rlimits = [], Limits = new ResourceLimits(),
            Capabilities = Rich.Capabilities with { Inheritable = caps, Ambient = caps },
            Seccomp = new SeccompSpec { Preset = SeccompPresets.Unconfined },
        };
        Assert.Equal(SpecText(expected), SpecText(imported.Spec));
        Assert.Empty(imported.Notes);
    }

    [Fact]
    public void Shared_namespaces_round_trip()
    {
        var imported = RoundTrip(Bwrap, Sparse, out var exported);
        Assert.DoesNotContain("--unshare", exported.Text);
        Assert.Contains("--new-session", exported.Text);
        Assert.Equal(Sparse.Namespaces, imported.Spec.Namespaces);
        Assert.Equal(Sparse.Mounts, imported.Spec.Mounts);
        Assert.Equal(Sparse.Environment.Set, imported.Spec.Environment.Set);
        Assert.False(imported.Spec.Terminal);
    }

    [Fact]
    public void A_typed_command_line_is_read_as_bwrap_reads_it()
    {
        var (spec, notes) = Bwrap.Import(
            "bwrap --unshare-all --share-net --ro-bind /srv/rootfs / --dev-bind /dev/dri /dev/dri --tmpfs /tmp --remount-ro /tmp " +
            "--symlink usr/lib /lib --setenv A 1 --unsetenv PATH --cap-add CAP_NET_RAW --seccomp 3 -- /bin/sh");
        Assert.Equal(("/srv/rootfs", true), (spec.Rootfs, spec.ReadOnlyRoot));
        Assert.Equal(NamespaceSet.All with { Net = false, Time = false }, spec.Namespaces);
        Assert.Equal([MountSpec.Bind("/dev/dri", "/dev/dri"), MountSpec.Tmpfs("/tmp") with { ReadOnly = true }], spec.Mounts);
        Assert.Equal(["HOME=/root", "TERM=xterm-256color", "A=1"], spec.Environment.Set);
        Assert.True(spec.Environment.Clear);
        Assert.Equal(CapabilityPresets.All, spec.Capabilities.Preset);
        Assert.Equal(["/bin/sh"], spec.Command);
        Assert.Equal(["--dev-bind", "--symlink", "--seccomp", "--chdir", "--clearenv", "--cap-drop"], notes.Select(n => n.Field));
    }

    [Theory]
    [InlineData("bwrap --bind /srv/rootfs", "--bind", "needs 2 values (--bind SRC DEST), got 1")]
    [InlineData("bwrap --setenv", "--setenv", "got 0")]
    [InlineData("bwrap --frobnicate /bin/sh", "--frobnicate", "not an option of bwrap")]
    [InlineData("bwrap --size 1024 --proc /proc /bin/sh", "--size", "just before --tmpfs")]
    [InlineData("bwrap --size big --tmpfs /tmp /bin/sh", "--size", "not a size in bytes")]
    [InlineData("bwrap --uid nobody /bin/sh", "--uid", "not a numeric id")]
    [InlineData("bwrap --cap-add CAP_TELEPORT /bin/sh", "--cap-add", "not a capability")]
    public void Bad_arguments_name_the_option(string text, string field, string phrase)
    {
        var error = Refused(() => Bwrap.Import(text));
        Assert.Equal(field, error.Field);
        Assert.Contains(phrase, error.Message);
    }

    /// <summary>The exported arguments run under the real bwrap, and the command sees what the spec asked for.</summary>
    [Fact]
    public void Exported_arguments_run_in_the_real_bwrap()
    {
        Assert.True(File.Exists("/usr/bin/bwrap"), "bubblewrap is not installed: scripts/install-deps.sh installs it (apt-get install bubblewrap)");
        using var tmp = new TempRootfs();
        // A root of the host's /usr (Debian's merged /usr): /bin, /lib and /lib64 are links into it.
        foreach (var dir in new[] { "usr", "tmp", "data" }) Directory.CreateDirectory(Path.Join(tmp.Rootfs, dir));
        foreach (var link in new[] { "bin", "sbin", "lib", "lib64" })
            if (Directory.Exists($"/usr/{link}")) File.CreateSymbolicLink(Path.Join(tmp.Rootfs, link), $"usr/{link}");
        File.WriteAllText(Path.Join(tmp.HostData, "f"), "from the host");
        var caps = Capability.Mask(["CAP_NET_BIND_SERVICE"]);
        var spec = new SandboxSpec
        {
            Rootfs = tmp.Rootfs, ReadOnlyRoot = true,
            Namespaces = NamespaceSet.AllButTime,
            UidMap = [new IdMapping(1000, 0, 1)], GidMap = [new IdMapping(1000, 0, 1)], Uid = 1000, Gid = 1000,
            Mounts = [MountSpec.Bind("/usr", "/usr", ro: true), MountSpec.Proc(), MountSpec.Tmpfs("/tmp", 1 << 20), MountSpec.Bind(tmp.HostData, "/data", ro: true)],
            MaskPaths = false, Hostname = "box", Cwd = "/data",
            Environment = new EnvironmentSpec { Clear = true, Set = ["FOO=bar baz"] },
            Capabilities = SpecForms.Capabilities(new CapabilitySets(caps, caps, caps, caps, caps)),
            Seccomp = new SeccompSpec { Preset = SeccompPresets.Unconfined },
            Command = ["/bin/sh", "-c",
                "echo \"$FOO|$(id -u):$(id -g)|$(hostname)|$(pwd)|$(cat f)|$(env | wc -l)\"; " +
                "touch /data/x 2>/dev/null || echo data-ro; touch /x 2>/dev/null || echo root-ro; touch /tmp/x && echo tmp-rw; " +
                "grep -E '^Cap(Eff|Amb)' /proc/self/status; df -k /tmp | tail -n 1 | tr -s ' ' | cut -d ' ' -f 2"],
        };
        var exported = Bwrap.Export(spec);
        Assert.Empty(exported.Notes);
        var output = Run("/bin/sh", "-c", exported.Text);
        Assert.Equal(
            [
                // env: FOO, and PWD, which bwrap sets itself
                "bar baz|1000:1000|box|/data|from the host|2", "data-ro", "root-ro", "tmp-rw",
                "CapEff:\t0000000000000400", "CapAmb:\t0000000000000400", "1024",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{string.Join(' ', args)} exited {p.ExitCode}: {stderr}");
        return stdout.Result;
    }
}
