using System.IO.Compression;
using SharpCompress.Compressors.Xz;
using ZstdSharp;

namespace Playground.Engine.Rootfs;

/// <summary>
/// Tells a tarball's compression by its first bytes (never by its file name, which may lie or be
/// missing, as on stdin) and returns the tar stream inside.
/// </summary>
internal static class TarCompression
{
    public const string Accepted = "accepted are tar, tar.gz, tar.xz and tar.zst";
    const int Block = 512;

    static ReadOnlySpan<byte> Gzip => [0x1f, 0x8b];
    static ReadOnlySpan<byte> Xz => [0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0];
    static ReadOnlySpan<byte> Zstd => [0x28, 0xb5, 0x2f, 0xfd];
    static ReadOnlySpan<byte> Bzip2 => "BZh"u8;
    static ReadOnlySpan<byte> Zip => "PK\x03\x04"u8;

    /// <summary>The uncompressed tar stream of <paramref name="archive"/>; disposing it leaves <paramref name="archive"/> open.</summary>
    /// <exception cref="InvalidDataException">Not one of the accepted formats; the message says which are.</exception>
    public static Stream Open(Stream archive)
    {
        var head = Peek(ref archive, owns: false);
        string what;
        if (head.StartsWith(Gzip)) what = "gzip";
        else if (head.StartsWith(Xz)) what = "xz";
        else if (head.StartsWith(Zstd)) what = "zstd";
        else if (LooksLikeTar(head)) return archive is Prefixed ? archive : new KeepOpen(archive);
        else throw new InvalidDataException(Unknown(head));

        Stream? inner = null;
        byte[] tarHead;
        try
        {
            inner = what switch
            {
                "gzip" => new GZipStream(archive, CompressionMode.Decompress, leaveOpen: true),
                "xz" => new XZStream(new KeepOpen(archive)),   // reads the stream header here
                _ => new DecompressionStream(archive, leaveOpen: true),
            };
            tarHead = Peek(ref inner, owns: true);
        }
        catch (Exception e) when (IsBadData(e))
        {
            inner?.Dispose();
            throw new InvalidDataException($"the {what} stream is corrupt: {e.Message}", e);
        }
        if (!LooksLikeTar(tarHead))
        {
            inner.Dispose();
            throw new InvalidDataException($"the {what} stream does not hold a tar archive ({Describe(tarHead)}); {Accepted}");
        }
        return inner;
    }

    /// <summary>What the tar reader and the decompressors throw for bytes that are not what they should be.</summary>
    public static bool IsBadData(Exception e) => e is InvalidDataException or EndOfStreamException or FormatException
        or ZstdException || e.GetType().Namespace?.StartsWith("SharpCompress", StringComparison.Ordinal) == true;

    /// <summary>
    /// Reads what follows the end-of-archive blocks (tar pads to 10 KiB records) to the end of
    /// the stream, so gzip and zstd check the CRC and checksum in their trailers; a tar reader
    /// stops before them. Bounded: past <paramref name="limit"/> bytes the rest is left unread.
    /// </summary>
    public static void ReadToEnd(Stream tar, int limit = 1 << 20)
    {
        var buf = new byte[64 << 10];
        for (int n, total = 0; total < limit && (n = tar.Read(buf)) > 0;) total += n;
    }

    static string Unknown(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty) return $"the archive is empty; {Accepted}";
        var hint = head.StartsWith(Bzip2) ? "it looks like bzip2, which is not supported"
            : head.StartsWith(Zip) ? "it looks like a zip file"
            : "not a tar archive nor gzip, xz or zstd by its magic bytes";
        return $"unknown archive format: {hint} ({Describe(head)}); {Accepted}";
    }

    static string Describe(ReadOnlySpan<byte> head) => head.IsEmpty ? "no bytes"
        : "it starts with " + Convert.ToHexString(head[..Math.Min(8, head.Length)]).ToLowerInvariant();

    /// <summary>
    /// A tar header block: "ustar" at 257 (POSIX and GNU), or a valid checksum (V7), or all zeros
    /// (the end-of-archive block of an empty archive).
    /// </summary>
    internal static bool LooksLikeTar(ReadOnlySpan<byte> head)
    {
        if (head.Length < Block) return false;
        var h = head[..Block];
        if (h[257..262].SequenceEqual("ustar"u8)) return true;
        if (!h.ContainsAnyExcept((byte)0)) return true;
        long sum = 0;
        for (var i = 0; i < Block; i++) sum += i is >= 148 and < 156 ? (byte)' ' : h[i];
        return TryOctal(h[148..156], out var stored) && stored == sum;
    }

    static bool TryOctal(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        var digits = 0;
        foreach (var b in field)
        {
            if (b is (byte)' ' or 0) { if (digits > 0) break; continue; }
            if (b is < (byte)'0' or > (byte)'7') return false;
            value = value * 8 + (b - '0');
            digits++;
        }
        return digits > 0;
    }

    /// <summary>The first block of <paramref name="stream"/>, which is replaced by a stream that still yields those bytes.</summary>
    static byte[] Peek(ref Stream stream, bool owns)
    {
        var buf = new byte[Block];
        var n = stream.ReadAtLeast(buf, Block, throwOnEndOfStream: false);
        Array.Resize(ref buf, n);
        if (stream.CanSeek) stream.Seek(-n, SeekOrigin.Current);
        else stream = new Prefixed(buf, stream, owns);
        return buf;
    }

    /// <summary>
    /// A read-only stream: <paramref name="head"/>, then the rest of <paramref name="rest"/>
    /// (disposed with it when owned). Its Position counts the bytes read, which SharpCompress's
    /// xz reader asks for to find block padding even on a pipe.
    /// </summary>
    sealed class Prefixed(byte[] head, Stream rest, bool ownsRest) : Stream
    {
        long read;

        public override int Read(Span<byte> buffer)
        {
            int n;
            if (read < head.Length)
            {
                n = Math.Min(buffer.Length, head.Length - (int)read);
                head.AsSpan((int)read, n).CopyTo(buffer);
            }
            else n = rest.Read(buffer);
            read += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && ownsRest) rest.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>The caller's stream as it is, except that disposing it does not close it.</summary>
    sealed class KeepOpen(Stream inner) : Stream
    {
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override bool CanRead => true;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
