using Playground.Cli;
using Playground.Engine.Spec;

namespace Playground.Tests.Cli;

/// <summary><c>--spec FILE</c> is the base; every option given on the command line replaces its part.</summary>
public sealed class SpecFileOptionTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("pg-spec-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string Write(SandboxSpec spec)
    {
        var path = Path.Combine(dir, "spec.json");
        File.WriteAllText(path, SpecJson.Serialize(spec));
        return path;
    }

    static readonly SandboxSpec FromFile = new()
    {
        Rootfs = "/from/file",
        Namespaces = NamespaceSet.None.With(NamespaceKind.Mount, true),
        Hostname = "filehost",
        Environment = new EnvironmentSpec { Clear = true, Set = ["FROM=file"] },
        Mounts = [MountSpec.Tmpfs("/tmp")],
        Capabilities = new CapabilitySpec { Preset = CapabilityPresets.All, Drop = ["CAP_SYS_ADMIN"] },
        NoNewPrivs = false,
        Seccomp = new SeccompSpec { Preset = SeccompPresets.Unconfined },
        Limits = new ResourceLimits { PidsMax = 5 },
        Command = ["/bin/from-file"],
    };

    [Fact]
    public void The_file_alone_is_the_spec()
    {
        var r = SpecOptions.Parse(["--spec", Write(FromFile)]);
        Assert.Empty(r.Errors);
        Assert.Equal(SpecJson.Serialize(FromFile), SpecJson.Serialize(r.Spec));
    }

    [Fact]
    public void A_relative_spec_path_is_read_from_the_current_directory()
    {
        Write(FromFile);
        var r = SpecOptions.Parse(["--spec", "spec.json"], cwd: dir);
        Assert.Empty(r.Errors);
        Assert.Equal("/from/file", r.Spec.Rootfs);
    }

    [Fact]
    public void Options_given_override_the_file_and_the_rest_stays()
    {
        var r = SpecOptions.Parse(["--spec", Write(FromFile), "--rootfs", "/other", "--hostname", "cli", "--no-new-privs",
            "--cap-add", "NET_ADMIN", "--memory", "1g", "--", "/bin/sh"]);
        Assert.Empty(r.Errors);
        var s = r.Spec;
        Assert.Equal("/other", s.Rootfs);
        Assert.Equal("cli", s.Hostname);
        Assert.True(s.NoNewPrivs);
        Assert.Equal(["/bin/sh"], s.Command);
        // Replaced parts keep their siblings: the preset and drops from the file stay.
        Assert.Equal(CapabilityPresets.All, s.Capabilities.Preset);
        Assert.Equal(["CAP_SYS_ADMIN"], s.Capabilities.Drop);
        Assert.Equal(["CAP_NET_ADMIN"], s.Capabilities.Add);
        Assert.Equal(new ResourceLimits { PidsMax = 5, MemoryBytes = 1L << 30 }, s.Limits);
        // Untouched parts are the file's.
        Assert.Equal(FromFile.Namespaces, s.Namespaces);
        Assert.Equal(SeccompPresets.Unconfined, s.Seccomp.Preset);
        Assert.True(s.Environment.Clear);
        Assert.Equal(["FROM=file"], s.Environment.Set);
        Assert.Equal([MountSpec.Tmpfs("/tmp")], s.Mounts);
    }

    [Fact]
    public void Repeatable_options_replace_the_file_list()
    {
        var r = SpecOptions.Parse(["--spec", Write(FromFile), "--env", "A=1", "--mount", "type=proc,dst=/proc", "--clear-env=false"]);
        Assert.Empty(r.Errors);
        Assert.Equal(["A=1"], r.Spec.Environment.Set);
        Assert.False(r.Spec.Environment.Clear);
        Assert.Equal([MountSpec.Proc()], r.Spec.Mounts);
    }

    [Fact]
    public void A_broken_file_is_named()
    {
        var path = Path.Combine(dir, "bad.json");
        File.WriteAllText(path, "{ not json");
        var r = SpecOptions.Parse(["--spec", path, "sh"]);
        Assert.Contains($"--spec: cannot read {path}", Assert.Single(r.Errors));
    }
}
