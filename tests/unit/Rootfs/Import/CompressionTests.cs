using System.IO.Compression;
using Playground.Engine.Rootfs;
using static Playground.Tests.Rootfs.Import.Archive;

namespace Playground.Tests.Rootfs.Import;

/// <summary>
/// Compression is told by magic bytes: the same small archive as tar, gzip, xz and zstd (made
/// by the real gzip, xz and zstd commands) unpacks to the same tree, also from a stream that
/// cannot seek (stdin). Anything else is refused with the list of what is accepted.
/// </summary>
public sealed class CompressionTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("pg-import-z-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static readonly byte[] Plain = LikeGnuTarTests.SampleArchive();

    List<string> Unpack(byte[] archive, bool seekable, string name)
    {
        var root = Directory.CreateDirectory(Path.Combine(dir, name)).FullName;
        Stream s = new MemoryStream(archive);
        if (!seekable) s = new OneWay(s);
        var r = TarImport.Extract(s, root, new ImportOptions());
        Assert.Empty(r.Refused);
        Assert.Equal(8, r.Files);
        // Directories the archive does not list are made with the time of extraction.
        return Tree.Nodes(root).Where(n => n.Path is not ("var" or "var/lib" or "var/lib/deep"))
            .Select(n => (n with { Ino = 0 }).ToString()).ToList();
    }

    [Theory]
    [InlineData("gzip", true)]
    [InlineData("gzip", false)]
    [InlineData("xz", true)]
    [InlineData("xz", false)]
    [InlineData("zstd", true)]
    [InlineData("zstd", false)]
    public void Unpacks_compressed_tarballs(string tool, bool seekable)
    {
        var compressed = Tools.Compress(tool, Plain);
        Assert.NotEqual(Plain.AsSpan(0, 4).ToArray(), compressed.AsSpan(0, 4).ToArray());

        Assert.Equal(Unpack(Plain, seekable, "plain"), Unpack(compressed, seekable, tool));
    }

    [Fact]
    public void Unpacks_a_tarball_gzipped_by_the_runtime_in_several_members()
    {
        var ms = new MemoryStream();
        foreach (var part in new[] { Plain[..10240], Plain[10240..] })   // concatenated gzip members, as pigz or `cat a.gz b.gz` make
            using (var z = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(part);

        Assert.Equal(Unpack(Plain, true, "plain"), Unpack(ms.ToArray(), false, "members"));
    }

    [Fact]
    public void Reads_a_file_by_path()
    {
        var file = Path.Combine(dir, "rootfs.tar.zst");
        System.IO.File.WriteAllBytes(file, Tools.Compress("zstd", Plain));
        var root = Directory.CreateDirectory(Path.Combine(dir, "root")).FullName;

        var r = TarImport.ExtractFile(file, root, new ImportOptions());

        Assert.Equal(8, r.Files);
        Assert.Equal("playground\n", System.IO.File.ReadAllText(Path.Combine(root, "etc/hostname")));
    }

    [Theory]
    [InlineData("zip", "zip")]
    [InlineData("bzip2", "bzip2")]
    [InlineData("text", "not a tar archive")]
    [InlineData("empty", "empty")]
    public void Refuses_other_formats_saying_what_is_accepted(string kind, string says)
    {
        byte[] bytes = kind switch
        {
            "zip" => [.. "PK\x03\x04"u8, .. new byte[600]],
            "bzip2" => [.. "BZh91AY&SY"u8, .. new byte[600]],
            "text" => "#!/bin/sh\necho this is a script, not a tarball\n"u8.ToArray(),
            _ => [],
        };
        var root = Directory.CreateDirectory(Path.Combine(dir, kind)).FullName;

        var e = Assert.Throws<InvalidDataException>(() => TarImport.Extract(new MemoryStream(bytes), root, new ImportOptions()));

        Assert.Contains(says, e.Message);
        Assert.Contains("accepted are tar, tar.gz, tar.xz and tar.zst", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(root));
    }

    [Fact]
    public void Refuses_a_compressed_file_that_holds_no_tar()
    {
        var gz = Tools.Compress("gzip", new byte[2048].Select((_, i) => (byte)('a' + i % 26)).ToArray());
        var root = Directory.CreateDirectory(Path.Combine(dir, "gz")).FullName;

        var e = Assert.Throws<InvalidDataException>(() => TarImport.Extract(new MemoryStream(gz), root, new ImportOptions()));

        Assert.Contains("gzip stream does not hold a tar archive", e.Message);
    }

    // The middle of the sample is random file data, which each compressor stores as it is:
    // only the stream's own check (CRC32, xxhash64, CRC64) can tell, at its end.
    [Theory]
    [InlineData("gzip", 0)]
    [InlineData("gzip", -6)]   // the trailer's CRC32
    [InlineData("zstd", 0)]
    [InlineData("zstd", -2)]   // the content checksum (zstd writes one by default)
    [InlineData("xz", 0)]
    [InlineData("xz", 7)]      // the stream flags, under the stream header's CRC32
    public void A_corrupt_stream_is_bad_data(string tool, int at)
    {
        var bytes = Tools.Compress(tool, Plain);
        bytes[at < 0 ? bytes.Length + at : at == 0 ? bytes.Length / 2 : at] ^= 0x55;
        var root = Directory.CreateDirectory(Path.Combine(dir, "bad")).FullName;

        var e = Assert.Throws<InvalidDataException>(() => TarImport.Extract(new MemoryStream(bytes), root, new ImportOptions()));

        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void Leaves_the_callers_stream_open()
    {
        var ms = new MemoryStream(Tools.Compress("gzip", Plain));
        TarImport.Extract(ms, Directory.CreateDirectory(Path.Combine(dir, "open")).FullName, new ImportOptions());
        Assert.True(ms.CanRead);
    }

    /// <summary>A stream that cannot seek, like a pipe.</summary>
    sealed class OneWay(Stream inner) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7000));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
