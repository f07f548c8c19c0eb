using Microsoft.Win32.SafeHandles;
using Playground.Engine.Interop;

namespace Playground.Engine.Launch;

/// <summary>
/// A stream over a pipe or PTY master fd. Reads block on the calling thread (pumps run on
/// their own); EIO from a master whose last slave closed is end of stream (LINUX-NOTES).
/// </summary>
public sealed unsafe class FdStream(SafeFileHandle fd, bool canRead, bool canWrite) : Stream
{
    public SafeFileHandle Handle => fd;
    public override bool CanRead => canRead;
    public override bool CanWrite => canWrite;
    public override bool CanSeek => false;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (fd.IsClosed) return 0;
        while (true)
        {
            nint n;
            fixed (byte* p = buffer) n = Libc.read((int)fd.DangerousGetHandle(), p, buffer.Length);
            if (n >= 0) return (int)n;
            var e = Libc.Errno;
            if (e == Errno.EINTR) continue;
            if (e is Errno.EIO or Errno.EBADF) return 0;
            throw new IOException($"read: {Errno.Name(e)}", e);
        }
    }

    /// <summary>
    /// Blocks for the first bytes, then also takes whatever else is already waiting, up to the
    /// buffer's size: a fast writer's output comes in big batches (a PTY hands it over about
    /// 4 KB at a time), a single echo at once. 0 at end of stream.
    /// </summary>
    public int ReadBatch(Span<byte> buffer)
    {
        var n = Read(buffer);
        if (n <= 0) return n;
        var pfd = new Interop.Libc.PollFd { Fd = (int)fd.DangerousGetHandle(), Events = Interop.Libc.POLLIN };
        while (n < buffer.Length && Interop.Libc.poll(&pfd, 1, 0) > 0 && (pfd.REvents & Interop.Libc.POLLIN) != 0)
        {
            var more = Read(buffer[n..]);
            if (more <= 0) break;
            n += more;
        }
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
        new(Task.Run(() => Read(buffer.Span), ct));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        Task.Run(() => Read(buffer, offset, count), ct);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            nint n;
            fixed (byte* p = buffer) n = Libc.write((int)fd.DangerousGetHandle(), p, buffer.Length);
            if (n < 0)
            {
                var e = Libc.Errno;
                if (e == Errno.EINTR) continue;
                throw new IOException($"write: {Errno.Name(e)}", e);
            }
            buffer = buffer[(int)n..];
        }
    }

    public override void Flush() { }
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { if (disposing) fd.Dispose(); base.Dispose(disposing); }
}
