using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Playground.Web.Terminals;

/// <summary>
/// One terminal recorded as asciicast v2 (the format asciinema plays): a header line, then one
/// JSON array per event: output <c>[t, "o", text]</c>, resize <c>[t, "r", "COLSxROWS"]</c>
/// and markers <c>[t, "m", label]</c> (launches, exits, take-overs). Written as it happens
/// (flushed every second and at the end), up to a cap: past it, output is no longer written and
/// a marker says so.
/// </summary>
public sealed class Recorder : IDisposable
{
    readonly FileStream _file;
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly Decoder _utf8 = new UTF8Encoding(false).GetDecoder();
    readonly long _max;
    readonly object _lock = new();
    readonly Timer _flush;
    readonly System.Buffers.ArrayBufferWriter<byte> _line = new(4096);
    bool _disposed;

    public Recorder(string path, int columns, int rows, string title, long maxBytes, Action<Recorder>? ended = null)
    {
        Path = path;
        _max = maxBytes;
        _ended = ended;
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        Write(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("version", 2);
            w.WriteNumber("width", columns);
            w.WriteNumber("height", rows);
            w.WriteNumber("timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            w.WriteString("title", title);
            w.WriteEndObject();
        }, force: true);
        _flush = new Timer(_ => { lock (_lock) if (!_disposed) _file.Flush(); }, null, 1000, 1000);
    }

    readonly Action<Recorder>? _ended;
    public string Path { get; }
    public long Bytes { get { lock (_lock) return _file.Length; } }
    /// <summary>The cap was reached: output after it is not in the file.</summary>
    public bool Truncated { get; private set; }

    public void Output(ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            if (_disposed || Truncated) return;
            var chars = new char[_utf8.GetCharCount(bytes, flush: false)];
            _utf8.GetChars(bytes, chars, flush: false);
            if (chars.Length > 0) Event("o", new string(chars));
        }
    }

    public void Resize(int columns, int rows)
    {
        lock (_lock) if (!_disposed && !Truncated) Event("r", $"{columns}x{rows}");
    }

    /// <summary>A marker, on disk at once (they are few, and a replay started now should have it).</summary>
    public void Marker(string label)
    {
        lock (_lock)
        {
            if (_disposed) return;
            Event("m", label, force: true);
            _file.Flush();
        }
    }

    void Event(string code, string data, bool force = false) => Write(w =>
    {
        w.WriteStartArray();
        w.WriteNumberValue(Math.Round(_clock.Elapsed.TotalSeconds, 6));
        w.WriteStringValue(code);
        w.WriteStringValue(data);
        w.WriteEndArray();
    }, force);

    // Called with _lock held (or from the constructor).
    void Write(Action<Utf8JsonWriter> write, bool force)
    {
        _line.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(_line)) write(w);
        _line.GetSpan(1)[0] = (byte)'\n';
        _line.Advance(1);
        // Markers may go a little past the cap (a line each); output stops at it.
        if (!force && _file.Length + _line.WrittenCount > _max)
        {
            Truncated = true;
            Event("m", $"recording stopped here: it reached its cap of {_max} bytes", force: true);
            return;
        }
        _file.Write(_line.WrittenSpan);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _flush.Dispose();
            _file.Dispose();
        }
        _ended?.Invoke(this);
    }
}
