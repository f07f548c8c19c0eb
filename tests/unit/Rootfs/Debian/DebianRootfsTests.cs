using Playground.Engine.Rootfs;
using Playground.Engine.Spec;
using Playground.Tests.Launch;

namespace Playground.Tests.Rootfs.Debian;

/// <summary>
/// Debian's minimal base from the real mirror (the machines reach deb.debian.org; a build takes
/// about 30 s), cached, copied, and run under the engine.
/// </summary>
[Collection("sandbox")]
public sealed class DebianRootfsTests(SandboxFixture f) : IDisposable
{
    readonly string _dir = MakeDir();

    static string MakeDir()
    {
        var dir = Directory.CreateTempSubdirectory("playground-debian-").FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ed);
        return dir;
    }

    [Fact]
    public void A_minbase_root_is_built_once_copied_from_the_cache_and_runs()
    {
        var cache = Path.Combine(_dir, "cache");
        var first = Path.Combine(_dir, "first");
        var progress = new List<string>();
        DebianRootfs.Create(first, cache, progress: progress.Add);
        Assert.Contains(progress, p => p.StartsWith("debootstrap --variant=minbase bookworm", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(first, "usr", "bin", "apt-get")));
        Assert.False(File.Exists(Path.Combine(first, ".playground-complete")));

        // The second comes from the cache: a mirror that cannot answer is never asked.
        var second = Path.Combine(_dir, "second");
        DebianRootfs.Create(second, cache, mirror: "http://mirror.invalid/debian");
        var run = f.Run(SandboxSpec.Default(second, ["/bin/bash", "-c", "cat /etc/debian_version; ls /usr/bin/dpkg"]));
        Assert.Equal(0, run.Exit.Code);
        Assert.Matches(@"^12\.\d+\n/usr/bin/dpkg\n$", run.Out);
    }

    [Fact]
    public void Without_debootstrap_or_with_bad_input_the_message_says_what_to_do()
    {
        Assert.Contains("apt-get install debootstrap", DebianRootfs.Unavailable("/nonexistent/debootstrap"));
        var e = Assert.Throws<InvalidOperationException>(() =>
            DebianRootfs.Create(Path.Combine(_dir, "x"), Path.Combine(_dir, "cache"), debootstrap: "/nonexistent/debootstrap"));
        Assert.Contains("debootstrap is not installed", e.Message);
        Assert.StartsWith("suite:", Assert.Throws<ArgumentException>(() => DebianRootfs.Create(Path.Combine(_dir, "x"), _dir, suite: "../etc")).Message);
        Assert.StartsWith("mirror:", Assert.Throws<ArgumentException>(() => DebianRootfs.Create(Path.Combine(_dir, "x"), _dir, mirror: "file:///etc")).Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "x")));
    }

    [Fact]
    public void An_unreachable_mirror_fails_clearly_and_leaves_no_half_built_cache()
    {
        var cache = Path.Combine(_dir, "cache-bad");
        var e = Assert.Throws<InvalidOperationException>(() =>
            DebianRootfs.Create(Path.Combine(_dir, "y"), cache, mirror: "http://mirror.invalid/debian"));
        Assert.Contains("is http://mirror.invalid/debian reachable", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache));
        Assert.False(Directory.Exists(Path.Combine(_dir, "y")));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
