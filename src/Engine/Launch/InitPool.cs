using Playground.Engine.Interop;

namespace Playground.Engine.Launch;

/// <summary>
/// Pre-started inits, ready for the next launch with the same namespaces, id maps and stdio
/// kind: starting util-linux unshare, creating the namespaces, starting the NativeAOT init and
/// moving it into a cgroup is more than half of a launch's time, and none of it depends on
/// the rest of the spec. After each launch of a kind, one more of that kind is started in the
/// background (up to <c>perKind</c> waiting, for at most <see cref="MaxKinds"/> recent kinds).
///
/// A waiting init is used only if it is alive and the mount table has not changed since
/// unshare copied it (a new mount on the host, e.g. a bind source, must be visible to the
/// sandbox); otherwise it is ended and the launch starts cold. Nothing of the person's runs in
/// it before the plan arrives. If the engine process dies, waiting inits read end-of-file and exit.
/// </summary>
internal sealed class InitPool(int perKind) : IDisposable
{
    public const int MaxKinds = 4;
    static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(10);
    static readonly TimeSpan RefillDelay = TimeSpan.FromMilliseconds(10);

    readonly object _lock = new();
    // Most recently used kind last.
    readonly List<(string Kind, Queue<ReadyInit> Ready)> _kinds = [];
    readonly HashSet<string> _filling = [];
    readonly MountTableWatch _mounts = new();
    int _pending;
    bool _disposed;

    /// <summary>A ready init of this kind, or null (none, disabled, or stale ones were ended).</summary>
    public ReadyInit? Take(string kind, SandboxEngine.StoryBuilder steps)
    {
        if (perKind == 0) return null;
        var generation = _mounts.Generation;
        var stale = new List<ReadyInit>();
        ReadyInit? found = null;
        lock (_lock)
        {
            var i = _kinds.FindIndex(k => k.Kind == kind);
            if (i >= 0)
            {
                var entry = _kinds[i];
                while (found is null && entry.Ready.TryDequeue(out var r))
                    if (r.Alive && r.MountGeneration == generation && DateTime.UtcNow - r.StartedAt < MaxAge) found = r;
                    else stale.Add(r);
            }
        }
        foreach (var r in stale) r.Dispose(deleteCgroup: true);
        if (found is not null)
        {
            var ago = (DateTime.UtcNow - found.StartedAt).TotalMilliseconds;
            steps.AddEarlier(found.Story, ago);
            steps.Add(new LaunchStep("pre-started init", true, 0, $"pid {found.InitPid}, spawned {ago:0} ms before"));
        }
        return found;
    }

    /// <summary>Starts one more of this kind in the background if fewer than perKind wait.</summary>
    public void Refill(string kind, Func<long, ReadyInit> start)
    {
        if (perKind == 0) return;
        List<ReadyInit> evicted = [];
        lock (_lock)
        {
            if (_disposed || !_filling.Add(kind)) return;
            var i = _kinds.FindIndex(k => k.Kind == kind);
            var entry = i >= 0 ? _kinds[i] : (kind, new Queue<ReadyInit>());
            if (i >= 0) _kinds.RemoveAt(i);
            _kinds.Add(entry);
            while (_kinds.Count > MaxKinds)
            {
                evicted.AddRange(_kinds[0].Ready);
                _kinds.RemoveAt(0);
            }
            _pending++;
        }
        foreach (var r in evicted) r.Dispose(deleteCgroup: true);
        Task.Run(async () =>
        {
            try
            {
                // The launch that asked for this has just started its command: let it have the CPU first.
                await Task.Delay(RefillDelay);
                while (true)
                {
                    lock (_lock)
                    {
                        var entry = _kinds.Find(k => k.Kind == kind);
                        if (_disposed || entry.Ready is null || entry.Ready.Count >= perKind) return;
                    }
                    // Read before the spawn: a mount made after it may be missing from the copy.
                    var ready = start(_mounts.Generation);
                    lock (_lock)
                    {
                        var entry = _kinds.Find(k => k.Kind == kind);
                        if (!_disposed && entry.Ready is not null) { entry.Ready.Enqueue(ready); continue; }
                    }
                    ready.Dispose(deleteCgroup: true);
                    return;
                }
            }
            catch (Exception)
            {
                // The next launch of this kind starts cold and reports what is wrong.
            }
            finally
            {
                lock (_lock)
                {
                    _filling.Remove(kind);
                    _pending--;
                    Monitor.PulseAll(_lock);
                }
            }
        });
    }

    public void WaitIdle(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_lock)
            while (_pending > 0 && DateTime.UtcNow < deadline)
                Monitor.Wait(_lock, deadline - DateTime.UtcNow);
    }

    public void Dispose()
    {
        List<ReadyInit> all;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        WaitIdle(TimeSpan.FromSeconds(30));
        lock (_lock)
        {
            all = _kinds.SelectMany(k => k.Ready).ToList();
            _kinds.Clear();
        }
        foreach (var r in all) r.Dispose(deleteCgroup: true);
        _mounts.Dispose();
    }

    /// <summary>
    /// Counts changes of our mount table: /proc/self/mountinfo polls POLLPRI once per change
    /// (proc(5)), and poll itself acknowledges it.
    /// </summary>
    sealed unsafe class MountTableWatch : IDisposable
    {
        readonly int _fd = Libc.open("/proc/self/mountinfo", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        long _generation;

        public long Generation
        {
            get
            {
                lock (this)
                {
                    var pfd = new Libc.PollFd { Fd = _fd, Events = POLLPRI };
                    if (_fd < 0 || (Libc.poll(&pfd, 1, 0) > 0 && (pfd.REvents & (POLLPRI | POLLERR)) != 0)) _generation++;
                    return _generation;
                }
            }
        }

        const short POLLPRI = 2, POLLERR = 8;

        public void Dispose() { if (_fd >= 0) Libc.close(_fd); }
    }
}
