namespace Playground.Web.Terminals;

/// <summary>The last <c>capacity</c> bytes a terminal printed, replayed to a browser that (re)attaches.</summary>
public sealed class ReplayBuffer(int capacity)
{
    readonly byte[] _ring = new byte[capacity];
    int _start, _count;

    public int Count => _count;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.Length >= _ring.Length)
        {
            data[^_ring.Length..].CopyTo(_ring);
            (_start, _count) = (0, _ring.Length);
            return;
        }
        var end = (_start + _count) % _ring.Length;
        var first = Math.Min(data.Length, _ring.Length - end);
        data[..first].CopyTo(_ring.AsSpan(end));
        data[first..].CopyTo(_ring);
        var overflow = _count + data.Length - _ring.Length;
        if (overflow > 0) { _start = (_start + overflow) % _ring.Length; _count = _ring.Length; }
        else _count += data.Length;
    }

    public byte[] ToArray()
    {
        var result = new byte[_count];
        var first = Math.Min(_count, _ring.Length - _start);
        _ring.AsSpan(_start, first).CopyTo(result);
        _ring.AsSpan(0, _count - first).CopyTo(result.AsSpan(first));
        return result;
    }
}
