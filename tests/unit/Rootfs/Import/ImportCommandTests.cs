using System.CommandLine;
using Playground.Cli;
using static Playground.Tests.Rootfs.Import.Archive;

namespace Playground.Tests.Rootfs.Import;

/// <summary><c>playground rootfs import DIR ARCHIVE</c>: exit 0 when all was written, 1 when entries were refused (each named), 2 for bad input.</summary>
public sealed class ImportCommandTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("pg-import-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    sealed record Result(int ExitCode, string Stdout, string Stderr);

    static Result Import(params string[] args)
    {
        var root = new RootCommand { new Command("rootfs") { RootfsImportCommand.Create() } };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = root.Parse(["rootfs", "import", .. args]).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Exits_0_and_prints_one_summary_line()
    {
        var archive = Write("root.tar.gz", Tools.Compress("gzip", LikeGnuTarTests.SampleArchive()));
        var target = Path.Combine(dir, "new/root");   // made, parents too

        var r = Import(target, archive);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("", r.Stderr);
        var line = Assert.Single(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("8 files, 6 directories, 4 symlinks, 1 hard links", line);
        Assert.Contains("0 refused", line);
        Assert.True(System.IO.File.Exists(Path.Combine(target, "etc/hostname")));
    }

    [Fact]
    public void Exits_1_and_names_every_refused_entry()
    {
        var archive = Write("bad.tar", Tar(w => w.Write(
            File("ok"), File("../escape"), Symlink("l", "/"), File("l/etc/evil"), HardLink("h", "/etc/passwd"),
            new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.Fifo, "fifo"))));

        var r = Import(Path.Combine(dir, "root"), archive);

        Assert.Equal(1, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        foreach (var (line, name) in lines.Zip(new[] { "../escape", "l/etc/evil", "h", "fifo" }))
            Assert.StartsWith($"playground rootfs import: refused {name}: ", line);
        Assert.Contains("4 refused", r.Stdout);
        Assert.False(Path.Exists(Path.Combine(dir, "escape")));
    }

    [Fact]
    public void Devices_are_made_with_allow_devices()
    {
        var archive = Write("fifo.tar", Tar(w => w.Write(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.Fifo, "fifo"))));

        var r = Import(Path.Combine(dir, "root"), archive, "--allow-devices");

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(0x1000, Tree.Stat(Path.Combine(dir, "root/fifo"), "fifo")!.Type);
    }

    [Fact]
    public void Exits_2_for_a_missing_archive()
    {
        var r = Import(Path.Combine(dir, "root"), Path.Combine(dir, "nope.tar"));

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("nope.tar: no such file", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Exits_2_for_an_unknown_format()
    {
        var archive = Write("root.zip", [.. "PK\x03\x04"u8, .. new byte[600]]);

        var r = Import(Path.Combine(dir, "root"), archive);

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"playground rootfs import: {archive}: unknown archive format", r.Stderr);
        Assert.Contains("accepted are tar, tar.gz, tar.xz and tar.zst", r.Stderr);
    }

    [Fact]
    public void Exits_2_when_the_directory_is_a_file()
    {
        var archive = Write("root.tar", LikeGnuTarTests.SampleArchive());
        var file = Write("not-a-dir", [1]);

        var r = Import(file, archive);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("playground rootfs import:", r.Stderr);
    }
}
