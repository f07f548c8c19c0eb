using Playground.Engine.Launch;

namespace Playground.Cli.Terminal;

/// <summary>Questions about the caller's terminal.</summary>
internal static unsafe class Tty
{
    public static bool IsTerminal(int fd) => LibC.isatty(fd) == 1;

    /// <summary>The window size of stdout's terminal, else stdin's; null when neither is a terminal.</summary>
    public static TerminalSize? GetSize()
    {
        foreach (var fd in (ReadOnlySpan<int>)[1, 0])
        {
            LibC.WinSize ws;
            if (LibC.ioctl(fd, LibC.TIOCGWINSZ, &ws) == 0 && ws.Columns > 0 && ws.Rows > 0)
                return new TerminalSize(ws.Columns, ws.Rows);
        }
        return null;
    }
}
