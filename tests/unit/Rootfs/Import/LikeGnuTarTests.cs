using System.Formats.Tar;
using Playground.Engine.Rootfs;
using static Playground.Tests.Rootfs.Import.Archive;

namespace Playground.Tests.Rootfs.Import;

/// <summary>
/// The good path: the same archive unpacked by GNU <c>tar -xpf</c> (as root) and by
/// <see cref="TarImport"/> gives the same tree: types, modes with setuid/setgid/sticky, owners,
/// sizes, contents, link targets, mtimes, and which names share an inode.
/// </summary>
public sealed class LikeGnuTarTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("pg-import-tar-").FullName;
    string TarRoot => Path.Combine(dir, "tar");
    string OurRoot => Path.Combine(dir, "ours");

    public LikeGnuTarTests()
    {
        Directory.CreateDirectory(TarRoot);
        Directory.CreateDirectory(OurRoot);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static DateTimeOffset At(int day) => new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(day).AddSeconds(day * 37);

    static T Stamp<T>(T e, int day, int uid = 1234, int gid = 5678) where T : TarEntry
    {
        e.ModificationTime = At(day);
        e.Uid = uid;
        e.Gid = gid;
        return e;
    }

    /// <summary>A small root: nested directories, modes 0755/0644/4755/2755/0600/1777, both kinds of symlink, a hard link.</summary>
    public static byte[] SampleArchive(TarEntryFormat format = TarEntryFormat.Pax)
    {
        var big = new byte[3 << 20];   // over the importer's 1 MiB copy buffer
        new Random(7).NextBytes(big);
        return Tar(w => w.Write(
            Stamp(Dir("./", 0x1ed, uid: 0, gid: 0), 1, 0, 0),
            Stamp(Dir("usr/"), 2),
            Stamp(Dir("usr/bin/"), 3),
            Stamp(File("usr/bin/tool", "#!/bin/sh\necho tool\n", 0x1ed), 4),
            Stamp(File("usr/bin/su", "setuid\n", 0x9ed), 5, 0, 0),          // 4755
            Stamp(File("usr/bin/wall", "setgid\n", 0x5ed), 6, 0, 5),        // 2755
            Stamp(HardLink("usr/bin/tool-again", "usr/bin/tool"), 7),
            Stamp(Dir("usr/lib/"), 8),
            Stamp(File("usr/lib/libfoo.so.1", big, 0x1a4), 9),
            Stamp(Symlink("usr/lib/libfoo.so", "libfoo.so.1"), 10),
            Stamp(Symlink("bin", "usr/bin"), 11, 0, 0),
            Stamp(Symlink("usr/bin/sh", "/bin/busybox"), 12),              // absolute and dangling, as in a distro root
            Stamp(Symlink("usr/lib/up", "../bin/tool"), 13),
            Stamp(Dir("etc/", 0x1e8), 14, 0, 42),                            // 0750
            Stamp(File("etc/shadow", "root:*:1::::::\n", 0x180), 15, 0, 42), // 0600
            Stamp(File("etc/hostname", "playground\n", 0x1a4), 16, 42, 43),
            Stamp(Dir("tmp/", 0x3ff), 17, 0, 0),                            // 1777
            Stamp(File("var/lib/deep/file", "implicit parents\n"), 18),
            Stamp(File("empty", ""), 19)),
            format);
    }

    void Both(byte[] archive, ImportOptions options)
    {
        Tools.GnuTarExtract(archive, TarRoot);
        var r = TarImport.Extract(new MemoryStream(archive), OurRoot, options);
        Assert.Empty(r.Refused);
    }

    static Dictionary<string, Tree.Node> ByPath(string root) => Tree.Nodes(root).ToDictionary(n => n.Path);

    /// <summary>Names sharing an inode, as sets of paths.</summary>
    static List<string> InodeGroups(IEnumerable<Tree.Node> nodes) => nodes.Where(n => n.Type != 0x4000)
        .GroupBy(n => n.Ino).Where(g => g.Count() > 1).Select(g => string.Join(" = ", g.Select(n => n.Path).Order())).Order().ToList();

    [Theory]
    [InlineData(TarEntryFormat.Pax)]
    [InlineData(TarEntryFormat.Gnu)]
    [InlineData(TarEntryFormat.Ustar)]
    public void Gives_the_tree_gnu_tar_gives(TarEntryFormat format)
    {
        var archive = SampleArchive(format);
        Both(archive, new ImportOptions());

        var tar = ByPath(TarRoot);
        var ours = ByPath(OurRoot);
        Assert.Equal(tar.Keys.Order(), ours.Keys.Order());
        foreach (var (path, t) in tar)
        {
            var o = ours[path];
            // Directories tar made for a name the archive does not list get the time they were made.
            // GNU tar makes a placeholder file for a symlink whose target is absolute or climbs with
            // '..', and swaps the link in at the very end, after it has set the directory's mtime:
            // usr/bin and usr/lib end with the time of extraction. Ours are checked against the archive below.
            var implicitDir = path is "var" or "var/lib" or "var/lib/deep" or "usr/bin" or "usr/lib";
            Assert.Equal(t with { Ino = 0, Nlink = 0, MtimeSec = 0, MtimeNsec = 0 }, o with { Ino = 0, Nlink = 0, MtimeSec = 0, MtimeNsec = 0 });
            if (!implicitDir) Assert.True((t.MtimeSec, t.MtimeNsec) == (o.MtimeSec, o.MtimeNsec), $"mtime of {path}: tar {t.MtimeSec}.{t.MtimeNsec}, ours {o.MtimeSec}.{o.MtimeNsec}");
            if (t.Type != 0x4000) Assert.True(t.Nlink == o.Nlink, $"link count of {path}");
        }
        Assert.Equal(["usr/bin/tool = usr/bin/tool-again"], InodeGroups(tar.Values));
        Assert.Equal(InodeGroups(tar.Values), InodeGroups(ours.Values));

        // And what the archive said, so that tar agreeing with us is not two wrongs.
        Assert.Equal(0x9ed, ours["usr/bin/su"].Mode);
        Assert.Equal(0x3ff, ours["tmp"].Mode);
        Assert.Equal((1234u, 5678u), (ours["usr/bin/tool"].Uid, ours["usr/bin/tool"].Gid));
        Assert.Equal("/bin/busybox", ours["usr/bin/sh"].LinkTarget);
        Assert.Equal((At(3).ToUnixTimeSeconds(), 0u), (ours["usr/bin"].MtimeSec, ours["usr/bin"].MtimeNsec));
        Assert.Equal((At(8).ToUnixTimeSeconds(), 0u), (ours["usr/lib"].MtimeSec, ours["usr/lib"].MtimeNsec));
        Assert.Equal(At(12).ToUnixTimeSeconds(), ours["usr/bin/sh"].MtimeSec);
    }

    [Fact]
    public void Maps_owners_through_MapUid_and_MapGid()
    {
        var archive = SampleArchive();
        Both(archive, new ImportOptions { MapUid = u => u + 100000, MapGid = g => g + 200000 });

        var tar = ByPath(TarRoot);
        var ours = ByPath(OurRoot);
        foreach (var (path, t) in tar)
            if (path is not ("var" or "var/lib" or "var/lib/deep"))   // made by the importer, not from the archive
                Assert.True((t.Uid + 100000, t.Gid + 200000) == (ours[path].Uid, ours[path].Gid), $"owner of {path}: {ours[path].Uid}:{ours[path].Gid}");
        Assert.Equal((101234u, 205678u), (ours["usr/bin/sh"].Uid, ours["usr/bin/sh"].Gid));   // a symlink's own owner
        Assert.Equal(0x9ed, ours["usr/bin/su"].Mode);   // chown before chmod keeps setuid
    }

    [Fact]
    public void Counts_what_it_wrote()
    {
        var r = TarImport.Extract(new MemoryStream(SampleArchive()), OurRoot, new ImportOptions());

        Assert.Equal(new ImportResult(Files: 8, Directories: 6, Symlinks: 4, HardLinks: 1,
            Bytes: (3 << 20) + "#!/bin/sh\necho tool\n".Length + "setuid\n".Length + "setgid\n".Length + "root:*:1::::::\n".Length
                   + "playground\n".Length + "implicit parents\n".Length, Refused: r.Refused), r);
        Assert.Empty(r.Refused);
    }

    [Fact]
    public void Replaces_existing_entries_as_tar_does()
    {
        var first = Tar(w => w.Write(File("a", "old\n"), Dir("d/"), File("d/in"), Symlink("l", "a"), Dir("e/"), File("f")));
        var second = Tar(w => w.Write(
            File("a", "new\n"),              // a file over a file
            Dir("d/", 0x1c0),                // a directory over a directory: kept, its mode updated
            File("l", "was a link\n"),       // a file over a symlink: the link goes, its target is untouched
            Symlink("e", "a"),               // a symlink over an empty directory
            Dir("f/"),                       // a directory over a file
            File("d", "over a full dir\n")));  // refused: tar cannot remove a directory that is not empty either
        foreach (var root in new[] { TarRoot, OurRoot })
            TarImport.Extract(new MemoryStream(first), root, new ImportOptions());

        var (code, err) = Tools.GnuTarExtract(second, TarRoot, mustSucceed: false);
        Assert.True(code == 2 && err.Contains("d:"), $"tar exited {code}: {err}");
        var r = TarImport.Extract(new MemoryStream(second), OurRoot, new ImportOptions());

        Assert.Equal("d", Assert.Single(r.Refused).Name);
        Assert.Equal(Tree.List(TarRoot).Where(l => !l.Contains("Path = ., ")), Tree.List(OurRoot).Where(l => !l.Contains("Path = ., ")));
        Assert.Equal("new\n", System.IO.File.ReadAllText(Path.Combine(OurRoot, "a")));
        Assert.Equal(0x1c0, Tree.Stat(Path.Combine(OurRoot, "d"), "d")!.Mode);
        Assert.True(System.IO.File.Exists(Path.Combine(OurRoot, "d/in")));
    }
}
