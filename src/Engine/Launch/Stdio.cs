using Microsoft.Win32.SafeHandles;
using Playground.Engine.Interop;

namespace Playground.Engine.Launch;

/// <summary>
/// The first process's stdio. With a terminal: the engine's PTY master goes to init as fd 4
/// (used when the sandbox has no devpts of its own), stdin is /dev/null and util-linux's
/// diagnostics go to a pipe until init dup2s the terminal over 0-2. Without: three pipes.
/// </summary>
internal sealed unsafe class Stdio : IDisposable
{
    public SafeFileHandle? ChildIn, ChildOut, ChildErr, ChildTerminal;
    SafeFileHandle? _master, _stdinWrite, _stdoutRead, _stderrRead, _diagRead;

    public static Stdio Create(bool terminal, ushort columns, ushort rows)
    {
        var s = new Stdio();
        if (terminal)
        {
            var m = Libc.posix_openpt(Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC);
            if (m < 0 || Libc.unlockpt(m) < 0) throw new SandboxException("terminal", "posix_openpt", Libc.Errno, "");
            s._master = new SafeFileHandle(m, true);
            var ws = new Libc.WinSize { Cols = columns, Rows = rows };
            Libc.ioctl(m, Libc.TIOCSWINSZ, &ws);
            s.ChildTerminal = s._master;
            s.ChildIn = Spawner.OpenNull(Libc.O_RDONLY);
            (s._diagRead, s.ChildOut) = Spawner.Pipe();
            s.ChildErr = s.ChildOut;
        }
        else
        {
            (s.ChildIn, s._stdinWrite) = Spawner.Pipe();
            (s._stdoutRead, s.ChildOut) = Spawner.Pipe();
            (s._stderrRead, s.ChildErr) = Spawner.Pipe();
        }
        return s;
    }

    /// <summary>The engine's PTY (a pre-started init's was made with the default size).</summary>
    public void Resize(ushort columns, ushort rows)
    {
        if (_master is null) return;
        var ws = new Libc.WinSize { Cols = columns, Rows = rows };
        Libc.ioctl((int)_master.DangerousGetHandle(), Libc.TIOCSWINSZ, &ws);
    }

    /// <summary>Init made a terminal in the sandbox's own devpts: use it instead of ours.</summary>
    public void UseSandboxTerminal(int masterFd)
    {
        if (masterFd < 0) return;
        _master?.Dispose();
        _master = new SafeFileHandle(masterFd, true);
    }

    public void CloseChildEnds()
    {
        ChildIn?.Dispose(); ChildOut?.Dispose(); ChildErr?.Dispose();
        if (ChildTerminal is not null && ChildTerminal != _master) ChildTerminal.Dispose();
        ChildIn = ChildOut = ChildErr = ChildTerminal = null;
    }

    /// <summary>What util-linux printed before init took over, without blocking.</summary>
    public string DrainDiagnostics()
    {
        var h = _diagRead ?? _stderrRead;
        if (h is null) return "";
        var fd = (int)h.DangerousGetHandle();
        Libc.fcntl(fd, 4 /*F_SETFL*/, Libc.O_NONBLOCK);
        var buf = new byte[8192];
        nint n;
        fixed (byte* p = buf) n = Libc.read(fd, p, buf.Length);
        return n > 0 ? System.Text.Encoding.UTF8.GetString(buf, 0, (int)n) : "";
    }

    public (Stream Input, Stream Output, Stream? Error) TakeStreams()
    {
        _diagRead?.Dispose();
        _diagRead = null;
        if (_master is { } m)
        {
            _master = null;
            var s = new FdStream(m, true, true);
            return (s, s, null);
        }
        var r = (new FdStream(_stdinWrite!, false, true), new FdStream(_stdoutRead!, true, false), (Stream?)new FdStream(_stderrRead!, true, false));
        _stdinWrite = _stdoutRead = _stderrRead = null;
        return r;
    }

    public void Dispose()
    {
        CloseChildEnds();
        _master?.Dispose(); _stdinWrite?.Dispose(); _stdoutRead?.Dispose(); _stderrRead?.Dispose(); _diagRead?.Dispose();
    }
}
