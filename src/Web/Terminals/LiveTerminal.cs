using System.Threading.Channels;
using Playground.Engine.Launch;

namespace Playground.Web.Terminals;

/// <summary>
/// One process's terminal as the web serves it: a thread reads the PTY into a replay buffer
/// and to the browser attached (at most one: a new attach, e.g. after a reload, replaces the
/// old). Flow control: the browser acknowledges what xterm.js has rendered; above the high
/// watermark of unacknowledged bytes the thread stops reading the PTY (so the process blocks,
/// as it would on a slow real terminal) until the browser is back below the low watermark.
/// </summary>
public sealed class LiveTerminal : IDisposable
{
    readonly SandboxSession _session;
    readonly PlaygroundOptions _options;
    readonly ReplayBuffer _replay;
    readonly object _lock = new();
    readonly ManualResetEventSlim _mayRead = new(true);
    readonly Channel<byte[]> _input = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropWrite });
    Attachment? _attached;
    readonly List<Watcher> _watchers = [];
    long _unacked;
    volatile bool _disposed;

    readonly Recorder? _recorder;

    /// <param name="recorder">Where the output, sizes and markers are recorded (ended with the output); null: not recorded.</param>
    public LiveTerminal(string id, string ownerId, SandboxSession session, PlaygroundOptions options, Recorder? recorder = null)
    {
        Id = id;
        OwnerId = ownerId;
        _session = session;
        _options = options;
        _recorder = recorder;
        _replay = new ReplayBuffer(options.ReplayBytes);
        new Thread(Pump) { IsBackground = true, Name = $"terminal {id[..Math.Min(8, id.Length)]} output" }.Start();
        _ = Task.Run(WriteInput);
    }

    public string Id { get; }
    public string OwnerId { get; }
    public SandboxSession Session => _session;
    public bool OutputEnded { get; private set; }
    /// <summary>When a browser was last attached (now, if one is): abandoned terminals are forgotten.</summary>
    public DateTime LastSeen { get { lock (_lock) return _attached is not null ? DateTime.UtcNow : _lastSeen; } }
    DateTime _lastSeen = DateTime.UtcNow;

    /// <summary>Unacknowledged bytes sent to the attached browser (for tests and the memory figure).</summary>
    public long Unacknowledged { get { lock (_lock) return _unacked; } }

    /// <summary>An attached browser: what it is sent, and how much it has acknowledged.</summary>
    public sealed class Attachment
    {
        internal readonly Channel<byte[]> Output = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        public ChannelReader<byte[]> Reader => Output.Reader;
    }

    /// <summary>
    /// Someone watching (an instructor, a thumbnail): output only, no say in flow control. A
    /// watcher that falls more than <see cref="WatcherLagBytes"/> behind is ended with
    /// <see cref="FellBehindException"/> (it watches again and gets the replay): a slow viewer
    /// never holds the owner's terminal back, nor the server's memory.
    /// </summary>
    public sealed class Watcher
    {
        internal readonly Channel<byte[]> Output = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        long _queued;
        public ChannelReader<byte[]> Reader => Output.Reader;
        internal long Queued => Interlocked.Read(ref _queued);
        internal void Queue(int n) => Interlocked.Add(ref _queued, n);
        /// <summary>The reader took this many bytes off the queue.</summary>
        public void Took(int n) => Interlocked.Add(ref _queued, -n);
    }

    public const long WatcherLagBytes = 1 << 20;

    public sealed class FellBehindException() : Exception("the watcher fell behind");

    /// <summary>Watch: the recent output, then what follows, to as many watchers as there are.</summary>
    public (byte[] Replay, Watcher Watcher) Watch()
    {
        lock (_lock)
        {
            var w = new Watcher();
            _watchers.Add(w);
            if (OutputEnded) w.Output.Writer.TryComplete();
            return (_replay.ToArray(), w);
        }
    }

    public void Unwatch(Watcher w)
    {
        lock (_lock) _watchers.Remove(w);
    }

    public int Watchers { get { lock (_lock) return _watchers.Count; } }

    /// <summary>Who has taken the terminal over (an instructor typing into it), and their name; null: its owner types.</summary>
    public (string Id, string Name)? TakenOverBy { get; set; }

    /// <summary>The size the owner's browser last gave the terminal (watchers show it at that size).</summary>
    public (int Columns, int Rows) Size { get; private set; } = (80, 24);

    /// <summary>Ends an attachment that another attach took over (its process runs on).</summary>
    public sealed class AttachedElsewhereException() : Exception("the terminal was attached elsewhere");

    /// <summary>
    /// Attach a browser: it gets the recent output first, then what follows. A previous
    /// attachment ends with <see cref="AttachedElsewhereException"/>.
    /// </summary>
    public (byte[] Replay, Attachment Attachment) Attach()
    {
        lock (_lock)
        {
            _attached?.Output.Writer.TryComplete(new AttachedElsewhereException());
            var a = new Attachment();
            _attached = a;
            var replay = _replay.ToArray();
            _unacked = replay.Length;
            UpdateReading();
            if (OutputEnded) a.Output.Writer.TryComplete();
            return (replay, a);
        }
    }

    public void Detach(Attachment a)
    {
        lock (_lock)
        {
            if (_attached != a) return;
            _attached = null;
            _lastSeen = DateTime.UtcNow;
            _unacked = 0;
            // Nobody is watching: keep reading into the replay buffer (bounded), so the process never stalls.
            UpdateReading();
        }
    }

    public void Acknowledge(Attachment? a, long bytes)
    {
        if (bytes <= 0) return;
        lock (_lock)
        {
            if (a is not null && _attached != a) return;
            _unacked = Math.Max(0, _unacked - bytes);
            UpdateReading();
        }
    }

    /// <summary>Keyboard input; dropped when the process has not read the last 256 writes.</summary>
    public void Input(byte[] data)
    {
        if (data.Length == 0) return;
        LastInput = DateTime.UtcNow;
        _input.Writer.TryWrite(data);
    }

    /// <summary>When a key was last typed (its start, before any): what keeps a lab from idling out.</summary>
    public DateTime LastInput { get; private set; } = DateTime.UtcNow;

    /// <summary>A marker in the recording (a launch, a take-over).</summary>
    public void Mark(string label) => _recorder?.Marker(label);

    public void Resize(ushort columns, ushort rows)
    {
        if (Size != (columns, rows))
        {
            _recorder?.Resize(columns, rows);
            // Watchers follow: xterm's "resize to ROWS x COLS" (CSI 8;R;C t), in the stream
            // where it happens, which their terminals (and only theirs) are set to obey.
            var resize = System.Text.Encoding.ASCII.GetBytes($"\u001b[8;{rows};{columns}t");
            lock (_lock) foreach (var w in _watchers) { w.Queue(resize.Length); w.Output.Writer.TryWrite(resize); }
        }
        Size = (columns, rows);
        if (_session.HasTerminal) _session.Resize(new TerminalSize(columns, rows));
    }

    // Called with _lock held.
    void UpdateReading()
    {
        if (_attached is null || _unacked < _options.LowWatermarkBytes) _mayRead.Set();
        else if (_unacked >= _options.HighWatermarkBytes) _mayRead.Reset();
    }

    void Pump()
    {
        var buffer = new byte[_options.BatchBytes];
        try
        {
            while (!_disposed)
            {
                _mayRead.Wait();
                var n = ((FdStream)_session.Output).ReadBatch(buffer);
                if (n <= 0) break;
                var chunk = buffer.AsSpan(0, n).ToArray();
                _recorder?.Output(chunk);
                lock (_lock)
                {
                    _replay.Append(chunk);
                    if (_attached is { } a)
                    {
                        a.Output.Writer.TryWrite(chunk);
                        _unacked += n;
                        UpdateReading();
                    }
                    for (var i = _watchers.Count - 1; i >= 0; i--)
                    {
                        var w = _watchers[i];
                        if (w.Queued + n > WatcherLagBytes)
                        {
                            w.Output.Writer.TryComplete(new FellBehindException());
                            _watchers.RemoveAt(i);
                            continue;
                        }
                        w.Queue(n);
                        w.Output.Writer.TryWrite(chunk);
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
        if (_recorder is not null)
        {
            // The output ends as the process does: its exit status closes the recording.
            if (_session.Completion.Wait(TimeSpan.FromSeconds(2))) _recorder.Marker($"exit: {_session.Completion.Result}");
            _recorder.Dispose();
        }
        lock (_lock)
        {
            OutputEnded = true;
            _attached?.Output.Writer.TryComplete();
            foreach (var w in _watchers) w.Output.Writer.TryComplete();
        }
    }

    async Task WriteInput()
    {
        try
        {
            // Runs on a pool thread already: a write the process is slow to take blocks only this loop.
            await foreach (var data in _input.Reader.ReadAllAsync())
                _session.Input.Write(data);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _disposed = true;
        _recorder?.Dispose();
        _input.Writer.TryComplete();
        _mayRead.Set();
        lock (_lock)
        {
            _attached?.Output.Writer.TryComplete();
            foreach (var w in _watchers) w.Output.Writer.TryComplete();
        }
    }
}
