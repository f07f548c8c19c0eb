using Playground.Engine.Spec;
using Playground.Engine.Spec.Formats;
using static Playground.Tests.Spec.Formats.FormatAssert;

namespace Playground.Tests.Spec.Formats;

public class DockerFormatTests
{
    static readonly SpecFormat Docker = SpecFormats.Find("docker");

    [Fact]
    public void Rich_spec_round_trips_and_what_docker_cannot_carry_is_named()
    {
        var imported = RoundTrip(Docker, Rich, out var exported);
        Assert.StartsWith("docker run --rm -i -t --network none --ipc host --cgroupns host --hostname box --read-only --user 1000:1000 " +
                          "--group-add 10 --group-add 20 --workdir /work -e HOME=/root -e TERM=xterm-256color -e 'FOO=bar baz' -e LANG=C.UTF-8 " +
                          "--cap-add NET_ADMIN --cap-drop NET_RAW --security-opt no-new-privileges --memory 64m --memory-swap 64m --pids-limit 20 --cpus 1.5 --ulimit core=0:-1 --ulimit nofile=1024:4096", exported.Text);
        Assert.EndsWith("--mount type=bind,src=/srv/data,dst=/data,readonly --mount type=bind,src=/srv/work,dst=/work --tmpfs /tmp:size=64m " +
                        "'/srv/root fs' /bin/sh -c 'echo \"$FOO\" it'\\''s'", exported.Text);
        Assert.Equal(["namespaces.user", "namespaces.time", "timeOffsets", "seccomp.rules", "mounts", "rootfs"], exported.Notes.Select(n => n.Field));

        var expected = Rich with
        {
            Namespaces = Rich.Namespaces with { User = false, Time = false },
            TimeOffsets = new TimeOffsets(),
            Mounts = [Rich.Mounts[0], new MountSpec { Type = MountType.Sysfs, Destination = "/sys", ReadOnly = true }, .. Rich.Mounts.Skip(1)],
            Seccomp = Rich.Seccomp with { Rules = [] },
        };
        Assert.Equal(SpecText(expected), SpecText(imported.Spec));
        Assert.Equal(["docker run"], imported.Notes.Select(n => n.Field));
    }

    [Fact]
    public void Shared_namespaces_round_trip()
    {
        var imported = RoundTrip(Docker, Sparse, out var exported);
        Assert.Contains("--network host --pid host --ipc host --uts host --cgroupns host", exported.Text);
        Assert.Contains("--cap-drop ALL --cap-add NET_BIND_SERVICE", exported.Text);
        Assert.Contains("--security-opt seccomp=unconfined", exported.Text);
        Assert.Equal(Sparse.Namespaces, imported.Spec.Namespaces);
        Assert.Equal(CapsJson(Sparse.Capabilities), CapsJson(imported.Spec.Capabilities));
        Assert.Contains(exported.Notes, n => n.Field == "environment.clear");
        Assert.Contains(exported.Notes, n => n.Field == "minimalDev");
    }

    static string CapsJson(CapabilitySpec caps) => SpecText(new SandboxSpec { Capabilities = caps });

    [Fact]
    public void A_typed_command_line_is_read_as_docker_reads_it()
    {
        var (spec, notes) = Docker.Import("""
            # comments and continued lines are fine
            docker container run -it --rm --name web -e A=1 -eB=2 --env=C=3 -u 1000 -w=/app \
              -v /srv/app:/app:ro -v cache:/cache --mount 'type=bind,"source=/srv/a,b",target=/ab' --mount type=tmpfs,dst=/t,tmpfs-size=1m \
              --tmpfs /run:rw,noexec,size=2m --ulimit nofile=512 --cap-add ALL --cap-drop SYS_ADMIN --pids-limit -1 \
              --security-opt seccomp=unconfined --security-opt no-new-privileges=true --network bridge --ipc=private -p 80:80 \
              --entrypoint /bin/sh /srv/rootfs -c 'echo hi'
            """);
        Assert.Equal("/srv/rootfs", spec.Rootfs);
        Assert.Equal(["/bin/sh", "-c", "echo hi"], spec.Command);
        Assert.True(spec.Terminal);
        Assert.Equal(["A=1", "B=2", "C=3"], spec.Environment.Set);
        Assert.Equal((1000u, 0u), (spec.Uid, spec.Gid));
        Assert.Equal("/app", spec.Cwd);
        Assert.Equal(
            [MountSpec.Proc(), new MountSpec { Type = MountType.Sysfs, Destination = "/sys", ReadOnly = true }, MountSpec.Bind("/srv/app", "/app", ro: true),
             MountSpec.Bind("/srv/a,b", "/ab"), MountSpec.Tmpfs("/t", 1 << 20), MountSpec.Tmpfs("/run", 2 << 20)],
            spec.Mounts);
        Assert.Equal([new RlimitSpec("nofile", 512, 512)], spec.Rlimits);
        Assert.Equal(CapabilityPresets.All, spec.Capabilities.Preset);
        Assert.Equal(["CAP_SYS_ADMIN"], spec.Capabilities.Drop);
        Assert.Null(spec.Limits.PidsMax);
        Assert.Equal(SeccompPresets.Unconfined, spec.Seccomp.Preset);
        Assert.True(spec.NoNewPrivs);
        Assert.True(spec.Namespaces.Net && spec.Namespaces.Ipc && !spec.Namespaces.User);
        Assert.Equal(["--name", "-v", "--tmpfs", "--network", "-p", "docker run"], notes.Select(n => n.Field));
        Assert.Contains(notes, n => n.ToString() == "--tmpfs: noexec: not supported");
        Assert.Contains(notes, n => n.Field == "-v" && n.Message.StartsWith("cache:/cache: docker volumes"));
    }

    [Fact]
    public void An_image_name_is_named_and_no_rootfs_is_made_up()
    {
        var (spec, notes) = Docker.Import("docker run --rm debian:bookworm bash");
        Assert.Null(spec.Rootfs);
        Assert.Equal(["bash"], spec.Command);
        Assert.Contains(notes, n => n.Field == "IMAGE" && n.Message.Contains("playground rootfs from-image debian:bookworm DIR"));
        Assert.Contains(notes, n => n.Field == "-i");
    }

    [Theory]
    [InlineData("docker run --frobnicate /r sh", "--frobnicate", "not an option of docker run")]
    [InlineData("docker run -x /r sh", "-x", "not an option of docker run")]
    [InlineData("docker run --rm --memory", "--memory", "needs a value")]
    [InlineData("docker run -e", "-e", "needs a value")]
    [InlineData("docker run --memory lots /r sh", "--memory", "'lots' is not a size")]
    [InlineData("docker run --user alice /r sh", "--user", "in numbers")]
    [InlineData("docker run --cap-add NET_FLY /r sh", "--cap-add", "'NET_FLY' is not a capability")]
    [InlineData("docker run --ulimit as=1 /r sh", "--ulimit", "NAME=SOFT[:HARD]")]
    [InlineData("docker run --rm=maybe /r sh", "--rm", "not true or false")]
    [InlineData("docker run --mount type=bind,src=/a /r sh", "--mount", "no dst=")]
    [InlineData("docker run --rm", "IMAGE", "missing")]
    [InlineData("docker build .", "docker", "expected docker run")]
    [InlineData("docker run /r sh; rm -rf /", "command line", "2 commands")]
    [InlineData("docker run -e HOME=$HOME /r sh", "line 1", "expansion")]
    public void Bad_command_lines_name_the_flag(string text, string field, string phrase)
    {
        var error = Refused(() => Docker.Import(text));
        Assert.Equal(field, error.Field);
        Assert.Contains(phrase, error.Message);
    }
}
