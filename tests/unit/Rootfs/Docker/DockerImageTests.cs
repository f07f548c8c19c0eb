using System.Diagnostics;
using Docker.DotNet.Models;
using Playground.Engine.Launch;
using Playground.Engine.Rootfs;
using Playground.Engine.Spec;
using Playground.Tests.Launch;
using static Playground.Tests.Support.HostCommand;

namespace Playground.Tests.Rootfs.Docker;

/// <summary>
/// The workshop's `docker export toy | tar x`, against a real dockerd of the tests' own: an
/// image made with `docker import` from a root the test builds, exported through the safe
/// importer, compared file by file, and run under the engine.
/// </summary>
[Collection("docker")]
public sealed class DockerImageTests(DockerEngineFixture docker) : IDisposable
{
    readonly string _dir = MakeDir();

    static string MakeDir()
    {
        var dir = Directory.CreateTempSubdirectory("playground-docker-tests-").FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ed); // the sandbox's root (uid 100000) must reach the rootfs
        return dir;
    }

    /// <summary>A busybox root with a few files whose modes and owners must survive the trip.</summary>
    async Task<(string Image, string Source)> ImportToyAsync(string tag)
    {
        var source = Path.Combine(_dir, "source");
        BusyboxRootfs.Create(source);
        File.WriteAllText(Path.Combine(source, "etc", "toy-release"), $"toy {tag}\n");
        var setuid = Path.Combine(source, "usr", "bin", "setuid-marker");
        File.WriteAllText(setuid, "#!/bin/sh\necho marker\n");
        Run("chmod", "4755", setuid);
        Run("chown", "1234:5678", Path.Combine(source, "etc", "toy-release"));
        File.CreateSymbolicLink(Path.Combine(source, "etc", "absolute-link"), "/etc/toy-release");
        var tar = Path.Combine(_dir, "toy.tar");
        Run("tar", "-C", source, "--numeric-owner", "-cf", tar, ".");

        using var client = docker.Client();
        await using (var stream = File.OpenRead(tar))
            await client.Images.CreateImageAsync(new ImagesCreateParameters { FromSrc = "-", Repo = "playground-test/toy", Tag = tag },
                stream, null, new Progress<JSONMessage>());
        return ($"playground-test/toy:{tag}", source);
    }

    [Fact]
    public async Task An_exported_image_has_the_images_files_and_runs_under_the_engine()
    {
        var (image, source) = await ImportToyAsync("1");
        var root = Directory.CreateDirectory(Path.Combine(_dir, "root")).FullName;
        var progress = new List<string>();
        var result = await DockerImage.ExportAsync(image, s => TarImport.Extract(s, root, new ImportOptions()), docker.Host,
            pull: false, progress: progress.Add);

        Assert.Empty(result.Refused);
        // Every file of the image, with its type, mode, owner, size and link target; docker adds
        // only its own few (/.dockerenv, /etc/hosts, /etc/hostname, /etc/resolv.conf, /dev/...).
        var want = Tree(source);
        var got = Tree(root);
        foreach (var (path, meta) in want)
        {
            Assert.True(got.TryGetValue(path, out var exported), $"{path} is missing from the export");
            if (path is "/etc/hostname" or "/dev") continue; // docker writes its own /etc/hostname, and owns /dev
            Assert.Equal(meta, exported);
        }
        var extra = got.Keys.Except(want.Keys).Where(p => !p.StartsWith("/dev/", StringComparison.Ordinal)).Order().ToList();
        Assert.True(extra.All(p => p is "/.dockerenv" or "/etc/hosts" or "/etc/resolv.conf" or "/etc/mtab"), $"unexpected: {string.Join(", ", extra)}");
        Assert.Equal("toy 1\n", File.ReadAllText(Path.Combine(root, "etc", "toy-release")));

        // No container left behind.
        using var client = docker.Client();
        var containers = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true });
        Assert.DoesNotContain(containers, c => c.Labels?.ContainsKey("playground.export") == true);

        using var engine = new SandboxEngine(new EngineOptions { CgroupParent = "playground-tests" });
        var run = SandboxFixture.Run(engine, SandboxSpec.Default(root, ["/bin/sh", "-c", "cat /etc/toy-release; /usr/bin/setuid-marker"]));
        Assert.Equal("toy 1\nmarker\n", run.Out);
        Assert.Equal(0, run.Exit.Code);
    }

    [Fact]
    public async Task A_missing_image_without_pull_names_the_image_and_leaves_nothing()
    {
        var root = Path.Combine(_dir, "root");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DockerImage.ExportAsync("playground-test/not-there:9", s => TarImport.Extract(s, root, new ImportOptions()), docker.Host, pull: false));
        Assert.Contains("playground-test/not-there:9", e.Message);
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task No_engine_at_the_address_is_a_clear_error_naming_it()
    {
        var host = $"unix://{Path.Combine(_dir, "nobody-listens.sock")}";
        var e = await Assert.ThrowsAsync<DockerUnavailableException>(() =>
            DockerImage.ExportAsync("busybox", s => 0, host));
        Assert.Contains(host, e.Message);
        Assert.Contains("docker.io", e.Message);

        var bad = await Assert.ThrowsAsync<ArgumentException>(() => DockerImage.ExportAsync("busybox", s => 0, "ftp://example"));
        Assert.Contains("unix://", bad.Message);
    }

    [Theory]
    [InlineData("debian:bookworm", "debian", "bookworm")]
    [InlineData("busybox", "busybox", "latest")]
    [InlineData("localhost:5000/toy", "localhost:5000/toy", "latest")]
    [InlineData("localhost:5000/toy:2", "localhost:5000/toy", "2")]
    public void Image_names_split_into_name_and_tag(string image, string name, string tag) =>
        Assert.Equal((name, tag), DockerImage.SplitTag(image));

    /// <summary>Path (from the root, as "/etc/x") → "type mode uid:gid size target".</summary>
    static Dictionary<string, string> Tree(string root)
    {
        var result = new Dictionary<string, string>();
        var stat = Process.Start(new ProcessStartInfo("find", [root, "-mindepth", "1", "-printf", "%P\\t%y %#m %U:%G %s %l\\n"])
        { RedirectStandardOutput = true })!;
        foreach (var line in stat.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = line.IndexOf('\t');
            var meta = line[(tab + 1)..];
            if (meta.StartsWith("d ", StringComparison.Ordinal)) meta = string.Join(' ', meta.Split(' ').Where((_, i) => i != 3)); // a directory's size is the filesystem's business
            result["/" + line[..tab]] = meta;
        }
        stat.WaitForExit();
        return result;
    }


    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
