using Playground.Engine.Rootfs;

namespace Playground.Tests.Rootfs.Elf;

public sealed class RootfsFilesTests : IDisposable
{
    readonly string dir = HostTools.TempDir("pg-rootfsfiles-");
    string Root => Path.Combine(dir, "root");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Keeps_every_symlink_on_the_way_and_the_file_it_leads_to()
    {
        const string interp = "/lib64/ld-linux-x86-64.so.2", tinfo = "/lib/x86_64-linux-gnu/libtinfo.so.6";
        var written = RootfsFiles.CopyInto(Root, [interp, tinfo]);

        // Each link as the host has it (Debian 12: /lib64 -> usr/lib64, /lib -> usr/lib,
        // /usr/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2, libtinfo.so.6 -> libtinfo.so.6.4).
        var links = new[] { "/lib64", "/lib", "/usr/lib64/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/libtinfo.so.6" };
        foreach (var link in links)
        {
            Assert.NotNull(new FileInfo(link).LinkTarget);
            Assert.Equal(new FileInfo(link).LinkTarget, new FileInfo(Root + link).LinkTarget);
            Assert.Contains(link, written);
        }
        foreach (var path in new[] { interp, tinfo })
        {
            var real = new RootView(Root).Resolve(path)!;
            Assert.StartsWith(Root + "/usr/lib/x86_64-linux-gnu/", real);
            var host = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)!.FullName;
            Assert.Equal(File.ReadAllBytes(host), File.ReadAllBytes(real));
            Assert.Equal(File.GetUnixFileMode(host), File.GetUnixFileMode(real));
            Assert.Contains(new RootView(Root).InRoot(real), written);
        }
        Assert.Equal(File.GetUnixFileMode("/usr/lib64"), File.GetUnixFileMode(Root + "/usr/lib64"));
    }

    [Fact]
    public void Writes_again_only_what_changed()
    {
        Assert.NotEmpty(RootfsFiles.CopyInto(Root, ["/bin/bash"]));
        Assert.Empty(RootfsFiles.CopyInto(Root, ["/bin/bash"]));

        var copy = new RootView(Root).Resolve("/bin/bash")!;
        File.WriteAllText(copy, "not bash");
        Assert.Equal(["/usr/bin/bash"], RootfsFiles.CopyInto(Root, ["/bin/bash"]));
        Assert.Equal(File.ReadAllBytes("/bin/bash"), File.ReadAllBytes(copy));
    }

    [Fact]
    public void Follows_the_rootfs_own_links_inside_it()
    {
        // The rootfs says /lib is /elsewhere (absolute): that is its /elsewhere, never the host's.
        Directory.CreateDirectory(Root);
        File.CreateSymbolicLink(Path.Combine(Root, "lib"), "/elsewhere");
        Assert.False(Path.Exists("/elsewhere"));

        RootfsFiles.CopyInto(Root, ["/lib/x86_64-linux-gnu/libc.so.6"]);

        Assert.True(File.Exists(Path.Combine(Root, "elsewhere/x86_64-linux-gnu/libc.so.6")));
        Assert.Equal("/elsewhere", new FileInfo(Path.Combine(Root, "lib")).LinkTarget);
        Assert.False(Path.Exists("/elsewhere"));
    }

    [Fact]
    public void Refuses_relative_and_missing_paths()
    {
        Assert.Throws<ArgumentException>(() => RootfsFiles.CopyInto(Root, ["bin/bash"]));
        Assert.Throws<FileNotFoundException>(() => RootfsFiles.CopyInto(Root, ["/no/such/file"]));
    }
}
