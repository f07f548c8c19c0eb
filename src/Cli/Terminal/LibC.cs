using System.Runtime.InteropServices;

namespace Playground.Cli.Terminal;

/// <summary>The termios(3) and tty_ioctl(4) calls the attached terminal needs.</summary>
internal static unsafe partial class LibC
{
    const string Lib = "libc";

    // glibc's struct termios is 60 bytes on Linux; the CLI never reads its fields, it only
    // saves it, makes it raw (cfmakeraw) and puts it back, so an opaque buffer is enough.
    public const int TermiosSize = 64;
    public const int TCSANOW = 0, TCSADRAIN = 1;
    public const nuint TIOCGWINSZ = 0x5413;

    [StructLayout(LayoutKind.Sequential)]
    public struct WinSize { public ushort Rows, Columns, XPixels, YPixels; }

    [LibraryImport(Lib, SetLastError = true)] public static partial int isatty(int fd);
    [LibraryImport(Lib, SetLastError = true)] public static partial int tcgetattr(int fd, byte* termios);
    [LibraryImport(Lib, SetLastError = true)] public static partial int tcsetattr(int fd, int optionalActions, byte* termios);
    [LibraryImport(Lib)] public static partial void cfmakeraw(byte* termios);
    [LibraryImport(Lib, SetLastError = true)] public static partial int ioctl(int fd, nuint request, WinSize* size);
}
