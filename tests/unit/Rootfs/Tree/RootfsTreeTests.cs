using System.Diagnostics;
using Playground.Engine.Rootfs;
using static Playground.Tests.Support.HostCommand;

namespace Playground.Tests.Rootfs.Tree;

/// <summary>Reading a root as the server's root without ever being led out of it.</summary>
public sealed class RootfsTreeTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("playground-tree-").FullName;
    string Root => Path.Combine(_dir, "root");
    string Outside => Path.Combine(_dir, "outside");

    public RootfsTreeTests()
    {
        Directory.CreateDirectory(Path.Combine(Root, "usr", "bin"));
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Outside, "secret"), "not yours\n");
        File.WriteAllText(Path.Combine(Root, "usr", "bin", "tool"), "#!/bin/sh\n");
        Run("chown", "100000:100005", Path.Combine(Root, "usr", "bin", "tool"));
        Run("chmod", "4755", Path.Combine(Root, "usr", "bin", "tool")); // after chown, which clears setuid
        File.CreateSymbolicLink(Path.Combine(Root, "bin"), "usr/bin");
        File.CreateSymbolicLink(Path.Combine(Root, "escape"), Outside);               // a planted link to outside
        File.CreateSymbolicLink(Path.Combine(Root, "absolute"), "/etc");              // absolute: means the root's /etc
        File.CreateSymbolicLink(Path.Combine(Root, "usr", "secret-link"), Path.Combine(Outside, "secret"));
        File.CreateSymbolicLink(Path.Combine(Root, "usr", "bin", "hard-source"), "tool");
        Run("ln", Path.Combine(Root, "usr", "bin", "tool"), Path.Combine(Root, "usr", "bin", "tool-again"));
    }

    [Fact]
    public void A_directory_lists_like_ls_minus_l_directories_first_and_links_as_links()
    {
        var top = RootfsTree.List(Root, "/");
        Assert.Equal(["usr", "absolute", "bin", "escape"], top.Select(e => e.Name));
        var bin = top.Single(e => e.Name == "bin");
        Assert.Equal('l', bin.Type);
        Assert.Equal("usr/bin", bin.LinkTarget);
        var tool = RootfsTree.List(Root, "/usr/bin").Single(e => e.Name == "tool");
        Assert.Equal("-rwsr-xr-x", tool.ModeString);
        Assert.Equal((100000u, 100005u), (tool.Uid, tool.Gid));
        Assert.Equal(10, tool.Size);
    }

    [Theory]
    [InlineData("/escape")]          // a link to a directory outside
    [InlineData("/escape/")]
    [InlineData("/bin")]             // a link inside: still a link, shown not followed
    [InlineData("/absolute")]
    [InlineData("/usr/../..")]
    [InlineData("/../outside")]
    public void A_directory_path_through_a_link_or_dot_dot_is_refused(string path)
    {
        Assert.ThrowsAny<Exception>(() => RootfsTree.List(Root, path));
    }

    [Theory]
    [InlineData("/escape/secret")]
    [InlineData("/usr/secret-link")]
    [InlineData("/bin/tool")]
    [InlineData("/usr/bin/hard-source")]
    public void A_file_through_a_link_is_refused(string path)
    {
        var e = Assert.ThrowsAny<IOException>(() => RootfsTree.OpenRead(Root, path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_regular_file_reads_and_a_directory_does_not()
    {
        using (var s = RootfsTree.OpenRead(Root, "/usr/bin/tool"))
            Assert.Equal("#!/bin/sh\n", new StreamReader(s).ReadToEnd());
        Assert.Throws<ArgumentException>(() => RootfsTree.OpenRead(Root, "/usr"));
    }

    [Fact]
    public void The_tarball_has_every_entry_with_ids_mapped_back_links_kept_and_nothing_from_outside()
    {
        var tgz = Path.Combine(_dir, "root.tar.gz");
        using (var f = File.Create(tgz))
            RootfsTree.WriteTarGz(Root, f, uid => uid >= 100000 ? uid - 100000 : 65534, gid => gid >= 100000 ? gid - 100000 : 65534);
        var listing = Output("tar", "--numeric-owner", "-tvzf", tgz);
        Assert.Contains("-rwsr-xr-x 0/5", listing);
        Assert.Contains("usr/bin/tool", listing);
        Assert.Contains("escape -> " + Outside, listing);
        Assert.Contains("link to usr/bin/tool", listing); // the hard link
        var names = Output("tar", "-tzf", tgz).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
        Assert.Equal(["absolute", "bin", "escape", "usr/", "usr/bin/", "usr/bin/hard-source", "usr/bin/tool", "usr/bin/tool-again", "usr/secret-link"], names);
        var extracted = Path.Combine(_dir, "extracted");
        Directory.CreateDirectory(extracted);
        Run("tar", "-xzf", tgz, "-C", extracted);
        Assert.Equal("#!/bin/sh\n", File.ReadAllText(Path.Combine(extracted, "usr", "bin", "tool-again")));
        Assert.False(File.Exists(Path.Combine(extracted, "escape", "secret")) && new FileInfo(Path.Combine(extracted, "escape")).LinkTarget is null);
    }



    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
