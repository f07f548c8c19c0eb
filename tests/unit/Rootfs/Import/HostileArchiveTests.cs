using System.Formats.Tar;
using System.IO.Compression;
using Playground.Engine.Rootfs;
using static Playground.Tests.Rootfs.Import.Archive;

namespace Playground.Tests.Rootfs.Import;

/// <summary>
/// Archives built to escape the root. Each is refused by name, and nothing beside the root
/// changes: the temp dir holding the root is listed whole before and after.
/// Filter: FullyQualifiedName~Rootfs.Import.
/// </summary>
public sealed class HostileArchiveTests : IDisposable
{
    readonly Enclosure box = new();
    readonly string tag = Guid.NewGuid().ToString("N")[..12];

    public void Dispose() => box.Dispose();

    ImportResult Import(byte[] archive, ImportOptions? options = null)
    {
        var before = box.Outside();
        var passwd = Tree.Stat("/etc/passwd", "/etc/passwd");
        var result = TarImport.Extract(new MemoryStream(archive), box.Root, options ?? new ImportOptions());
        Assert.Equal(before, box.Outside());
        Assert.Equal(passwd, Tree.Stat("/etc/passwd", "/etc/passwd"));   // content, link count, mtime
        return result;
    }

    static void Refused(ImportResult r, string name, string because)
    {
        var hit = r.Refused.SingleOrDefault(x => x.Name == name);
        Assert.True(hit is not null, $"{name} was not refused; refused: {string.Join("; ", r.Refused)}");
        Assert.Contains(because, hit!.Reason);
    }

    string InRoot(string rel) => Path.Combine(box.Root, rel);

    [Fact]
    public void Dot_dot_names_are_refused()
    {
        var r = Import(Tar(w => w.Write(
            File("../escape"), File("a/../../escape2"), File("./../secret", "owned\n"), Dir("../outside/newdir/"),
            File("ok"))));

        foreach (var name in new[] { "../escape", "a/../../escape2", "./../secret", "../outside/newdir/" })
            Refused(r, name, "'..'");
        Assert.Equal(4, r.Refused.Count);
        Assert.True(System.IO.File.Exists(InRoot("ok")));
        Assert.Equal(1, r.Files);
    }

    [Fact]
    public void Absolute_names_lose_their_leading_slash_and_land_in_the_root()
    {
        var r = Import(Tar(w => w.Write(File($"/pg-import-abs-{tag}"), File($"//tmp/pg-import-abs-{tag}/x"))));

        Assert.Empty(r.Refused);
        Assert.True(System.IO.File.Exists(InRoot($"pg-import-abs-{tag}")));
        Assert.True(System.IO.File.Exists(InRoot($"tmp/pg-import-abs-{tag}/x")));
        Assert.False(Path.Exists($"/pg-import-abs-{tag}"));
        Assert.False(Path.Exists($"/tmp/pg-import-abs-{tag}"));
    }

    [Fact]
    public void A_symlink_to_slash_is_made_but_nothing_is_written_through_it()
    {
        var r = Import(Tar(w => w.Write(Symlink("slash", "/"), File($"slash/tmp/pg-import-{tag}"), Dir($"slash/tmp/pg-import-dir-{tag}/"))));

        Refused(r, $"slash/tmp/pg-import-{tag}", "symlink");
        Refused(r, $"slash/tmp/pg-import-dir-{tag}/", "symlink");
        Assert.Equal("/", new FileInfo(InRoot("slash")).LinkTarget);
        Assert.False(Path.Exists($"/tmp/pg-import-{tag}"));
        Assert.False(Path.Exists($"/tmp/pg-import-dir-{tag}"));
        Assert.Equal(1, r.Symlinks);
    }

    [Fact]
    public void A_symlink_to_dot_dot_is_not_followed_to_the_sentinels()
    {
        var r = Import(Tar(w => w.Write(File("ok"), Symlink("up", ".."), File("up/secret", "owned\n"), File("up/new"), HardLink("up/outside/hl", "ok"))));

        Refused(r, "up/secret", "up is a symlink");
        Refused(r, "up/new", "up is a symlink");
        Refused(r, "up/outside/hl", "up is a symlink");
    }

    [Fact]
    public void A_symlink_to_a_directory_outside_is_not_written_through()
    {
        var r = Import(Tar(w => w.Write(
            Symlink("out", box.OutsideDir), File("out/planted"), File("out/keep", "owned\n"),
            Dir("d/"), Symlink("d/l", "../../outside"), File("d/l/x"), Symlink("d/l2", "l"), File("d/l2/y"))));

        Refused(r, "out/planted", "out is a symlink");
        Refused(r, "out/keep", "out is a symlink");
        Refused(r, "d/l/x", "d/l is a symlink");
        Refused(r, "d/l2/y", "d/l2 is a symlink");
        Assert.Equal(4, r.Refused.Count);
    }

    [Fact]
    public void Hard_links_to_outside_paths_are_refused()
    {
        var r = Import(Tar(w => w.Write(
            HardLink("hl1", "../outside/keep"), HardLink("hl2", "/etc/passwd"), HardLink("hl3", Path.Combine(box.OutsideDir, "keep")),
            HardLink("hl4", "../../../../../../etc/passwd"))));

        Refused(r, "hl1", "'..'");
        Refused(r, "hl2", "etc is not in the root");   // stripped to etc/passwd, which is not in the root
        Refused(r, "hl3", "is not in the root");
        Refused(r, "hl4", "'..'");
        Assert.Equal(0, r.HardLinks);
        Assert.Empty(Directory.GetFileSystemEntries(box.Root));
    }

    [Fact]
    public void Hard_links_through_a_symlink_are_refused()
    {
        var r = Import(Tar(w => w.Write(
            Symlink("s", box.OutsideDir), HardLink("h", "s/keep"),
            File("real/f"), Symlink("alias", "real"), HardLink("h2", "alias/f"))));

        Refused(r, "h", "cannot be reached: s is a symlink");
        Refused(r, "h2", "cannot be reached: alias is a symlink");
        Assert.False(Path.Exists(InRoot("h")));
        Assert.False(Path.Exists(InRoot("h2")));
    }

    [Fact]
    public void Hard_links_to_a_directory_are_refused()
    {
        var r = Import(Tar(w => w.Write(Dir("d/"), HardLink("h", "d"), HardLink("root", "./"))));

        Refused(r, "h", "is a directory");
        Refused(r, "root", "root directory");
    }

    [Fact]
    public void Absolute_symlink_targets_are_kept_but_later_entries_do_not_go_through_them()
    {
        var r = Import(Tar(w => w.Write(
            Symlink("etc", "/etc"), File("etc/passwd", "owned\n"), File($"etc/pg-import-{tag}"),
            Symlink("bin", "/usr/bin"), HardLink("bin/sh", "etc/passwd"))));

        Refused(r, "etc/passwd", "etc is a symlink");
        Refused(r, $"etc/pg-import-{tag}", "etc is a symlink");
        Refused(r, "bin/sh", "is a symlink");
        Assert.Equal("/etc", new FileInfo(InRoot("etc")).LinkTarget);
        Assert.False(Path.Exists($"/etc/pg-import-{tag}"));
    }

    [Fact]
    public void Symlinks_already_in_the_root_are_not_followed()
    {
        Directory.CreateSymbolicLink(InRoot("lib"), box.OutsideDir);
        System.IO.File.CreateSymbolicLink(InRoot("f"), Path.Combine(box.Dir, "secret"));
        Directory.CreateSymbolicLink(InRoot("d"), box.OutsideDir);

        var r = Import(Tar(w => w.Write(File("lib/planted"), File("lib/keep", "owned\n"), File("f", "replaces the link\n"), Dir("d/"))));

        Refused(r, "lib/planted", "lib is a symlink");
        Refused(r, "lib/keep", "lib is a symlink");
        // The last component is replaced like tar does (unlink, then create), never opened through the link.
        Assert.Equal("replaces the link\n", System.IO.File.ReadAllText(InRoot("f")));
        Assert.Null(new FileInfo(InRoot("f")).LinkTarget);
        Assert.Null(new DirectoryInfo(InRoot("d")).LinkTarget);
        Assert.Equal(2, r.Refused.Count);
    }

    [Fact]
    public void Nothing_is_written_into_a_mount_inside_the_root()
    {
        var mnt = Directory.CreateDirectory(InRoot("mnt")).FullName;
        var (code, _, err) = Tools.Run("mount", ["-t", "tmpfs", "-o", "size=1m", "pg-import-test", mnt]);
        Assert.True(code == 0, $"mount: {err}");
        try
        {
            var r = Import(Tar(w => w.Write(Dir("mnt/", 0x1c0), File("mnt/x"), Dir("mnt/d/"), File("mnt"))));

            Refused(r, "mnt/x", "mnt is outside the root or on another mount");
            Refused(r, "mnt/d/", "mnt is outside the root or on another mount");
            Refused(r, "mnt", "EBUSY");
            Assert.Empty(Directory.GetFileSystemEntries(mnt));
            Assert.Equal(0x3ff, Tree.Stat(mnt, "mnt")!.Mode);   // tmpfs's root keeps its 1777: the directory entry did not reach it
        }
        finally
        {
            Tools.Run("umount", [mnt]);
        }
    }

    [Fact]
    public void Device_nodes_and_fifos_are_refused_unless_allowed()
    {
        static TarEntry Node(TarEntryType type, string name, int major = 0, int minor = 0)
        {
            var e = new PaxTarEntry(type, name) { Mode = (UnixFileMode)0x1b6, ModificationTime = Mtime };
            if (type != TarEntryType.Fifo) (e.DeviceMajor, e.DeviceMinor) = (major, minor);
            return e;
        }
        var archive = Tar(w => w.Write(
            Node(TarEntryType.CharacterDevice, "dev/null", 1, 3), Node(TarEntryType.BlockDevice, "dev/sda", 8, 0),
            Node(TarEntryType.Fifo, "run/fifo")));

        var r = Import(archive);
        Refused(r, "dev/null", "character device");
        Refused(r, "dev/sda", "block device");
        Refused(r, "run/fifo", "fifo");
        Assert.False(Path.Exists(InRoot("dev/null")));
        Assert.False(Path.Exists(InRoot("dev/sda")));
        Assert.False(Path.Exists(InRoot("run/fifo")));

        var allowed = Import(archive, new ImportOptions { AllowDevices = true });
        Assert.Empty(allowed.Refused);
        var null_ = Tree.Stat(InRoot("dev/null"), "dev/null")!;
        Assert.Equal((0x2000, 1u, 3u, 0x1b6), (null_.Type, null_.RdevMajor, null_.RdevMinor, null_.Mode));
        var sda = Tree.Stat(InRoot("dev/sda"), "dev/sda")!;
        Assert.Equal((0x6000, 8u, 0u), (sda.Type, sda.RdevMajor, sda.RdevMinor));
        Assert.Equal(0x1000, Tree.Stat(InRoot("run/fifo"), "run/fifo")!.Type);
    }

    [Fact]
    public void A_decompression_bomb_stops_at_MaxBytes()
    {
        // 256 MiB of zeros claimed by one header, gzipped to a few hundred KB.
        const long huge = 256L << 20;
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(UstarHeader("small", 1000));
            z.Write(new byte[1024]);   // its data, padded to a block
            z.Write(UstarHeader("bomb", huge));
            var zeros = new byte[1 << 20];
            for (long i = 0; i < huge; i += zeros.Length) z.Write(zeros);
            z.Write(new byte[1024]);
        }
        Assert.True(gz.Length < huge / 100);

        var r = Import(gz.ToArray(), new ImportOptions { MaxBytes = 1 << 20 });

        Refused(r, "bomb", "MaxBytes");
        Assert.Single(r.Refused);
        Assert.Equal(1000, r.Bytes);
        Assert.True(System.IO.File.Exists(InRoot("small")));
        Assert.False(Path.Exists(InRoot("bomb")));
    }

    [Fact]
    public void A_file_that_crosses_MaxBytes_is_not_left_behind_and_the_import_stops()
    {
        var r = Import(Tar(w => w.Write(File("a", new byte[600_000]), File("b", new byte[600_000]), File("c", new byte[10]))),
            new ImportOptions { MaxBytes = 1_000_000 });

        Refused(r, "b", "MaxBytes");
        Assert.Single(r.Refused);
        Assert.Equal(600_000, r.Bytes);
        Assert.True(System.IO.File.Exists(InRoot("a")));
        Assert.False(Path.Exists(InRoot("b")));
        Assert.False(Path.Exists(InRoot("c")));   // the rest of the archive was not read
    }

    [Fact]
    public void Entries_beyond_MaxEntries_stop_the_import()
    {
        var r = Import(Tar(w => { for (var i = 0; i < 50; i++) w.WriteEntry(File($"f{i}")); }), new ImportOptions { MaxEntries = 10 });

        Refused(r, "f10", "more than 10 entries");
        Assert.Single(r.Refused);
        Assert.Equal(10, r.Files);
        Assert.Equal(10, Directory.GetFileSystemEntries(box.Root).Length);
    }

    [Fact]
    public void A_truncated_archive_leaves_no_partial_file()
    {
        var tar = Tar(w => w.Write(File("whole"), File("cut", new byte[3 << 20])));
        var cut = tar.AsSpan(0, tar.Length - 1024 - (2 << 20)).ToArray();

        var e = Assert.Throws<InvalidDataException>(() => Import(cut));

        Assert.Contains("truncated", e.Message);
        Assert.True(System.IO.File.Exists(InRoot("whole")));
        Assert.False(Path.Exists(InRoot("cut")));
    }

    [Fact]
    public void An_unsupported_entry_type_is_refused()
    {
        var archive = UstarHeader("vol", 0, type: 'V').Concat(new byte[1024]).ToArray();

        var r = Import(archive);

        Refused(r, "vol", "not supported");
    }

    [Theory]
    [InlineData("a/b/c", "a/b/c")]
    [InlineData("./a//b/./c/", "a/b/c")]
    [InlineData("/etc/passwd", "etc/passwd")]
    [InlineData("///x", "x")]
    [InlineData("./", "")]
    [InlineData("a..b/..c", "a..b/..c")]
    public void Names_are_made_relative(string name, string expected)
    {
        Assert.Equal(expected, TarImport.RelativePath(name, out var why));
        Assert.Null(why);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/..")]
    [InlineData("/../etc")]
    [InlineData("a\0b")]
    public void Names_that_could_climb_out_are_refused(string name)
    {
        Assert.Null(TarImport.RelativePath(name, out var why));
        Assert.NotNull(why);
    }
}
