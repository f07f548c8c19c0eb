namespace Playground.Cli.Terminal;

/// <summary>
/// Puts a terminal in raw mode (cfmakeraw: no echo, no line editing, no signals from keys)
/// so every key, Ctrl-C included, reaches the sandbox's PTY untouched; the sandbox's own
/// terminal does the cooking. Dispose restores the saved settings; so does process exit,
/// because a shell left in raw mode is unusable.
/// </summary>
internal sealed unsafe class RawMode : IDisposable
{
    readonly int fd;
    readonly byte[] saved = new byte[LibC.TermiosSize];
    int restored;

    RawMode(int fd) => this.fd = fd;

    /// <summary>Null when <paramref name="fd"/> is not a terminal whose settings can be read.</summary>
    public static RawMode? Enter(int fd)
    {
        var mode = new RawMode(fd);
        var raw = new byte[LibC.TermiosSize];
        fixed (byte* s = mode.saved)
        fixed (byte* r = raw)
        {
            if (LibC.tcgetattr(fd, s) != 0) return null;
            mode.saved.CopyTo(raw, 0);
            LibC.cfmakeraw(r);
            if (LibC.tcsetattr(fd, LibC.TCSANOW, r) != 0) return null;
        }
        AppDomain.CurrentDomain.ProcessExit += mode.OnExit;
        return mode;
    }

    void OnExit(object? sender, EventArgs e) => Dispose();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref restored, 1) != 0) return;
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        // TCSADRAIN: let the sandbox's last output reach the screen before cooking resumes.
        fixed (byte* s = saved) LibC.tcsetattr(fd, LibC.TCSADRAIN, s);
    }
}
