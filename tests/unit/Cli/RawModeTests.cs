using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Playground.Cli.Terminal;

namespace Playground.Tests.Cli;

/// <summary>Raw mode on a real terminal: a fresh PTY pair, so the test never touches the caller's terminal.</summary>
public sealed unsafe partial class RawModeTests : IDisposable
{
    const int O_RDWR = 2, O_NOCTTY = 0x100, O_CLOEXEC = 0x80000;
    const uint ECHO = 0x8, ICANON = 0x2; // c_lflag bits (termios.h)
    readonly int master, slave;

    public RawModeTests()
    {
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        Assert.True(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
        slave = open(Marshal.PtrToStringUTF8(ptsname(master))!, O_RDWR | O_NOCTTY | O_CLOEXEC);
        Assert.True(slave >= 0);
    }

    public void Dispose() { close(slave); close(master); }

    uint LocalFlags()
    {
        var t = stackalloc byte[LibC.TermiosSize];
        Assert.Equal(0, LibC.tcgetattr(slave, t));
        return ((uint*)t)[3]; // c_iflag, c_oflag, c_cflag, c_lflag
    }

    [Fact]
    public void Enter_makes_raw_and_dispose_restores()
    {
        Assert.True(Tty.IsTerminal(slave));
        var before = LocalFlags();
        Assert.Equal(ECHO | ICANON, before & (ECHO | ICANON));

        using (var raw = RawMode.Enter(slave))
        {
            Assert.NotNull(raw);
            Assert.Equal(0u, LocalFlags() & (ECHO | ICANON));
        }
        Assert.Equal(before, LocalFlags());
    }

    [Fact]
    public void A_FileStream_on_a_terminal_fd_passes_bytes_untouched_in_raw_mode()
    {
        // AttachedRun copies through FileStreams on fds 0 and 1, bypassing System.Console.
        using var raw = RawMode.Enter(slave);
        using var toSlave = new FileStream(new SafeFileHandle(master, false), FileAccess.Write, 0);
        using var fromSlave = new FileStream(new SafeFileHandle(slave, false), FileAccess.Read, 0);
        toSlave.Write("a\u0003b"u8); // Ctrl-C between: raw mode passes it on as a byte
        var buffer = new byte[8];
        int n = 0;
        while (n < 3) n += fromSlave.Read(buffer, n, buffer.Length - n);
        Assert.Equal("a\u0003b"u8.ToArray(), buffer[..n]);
    }

    [Fact]
    public void A_pipe_is_not_a_terminal()
    {
        Assert.False(Tty.IsTerminal(-1));
        Assert.Null(RawMode.Enter(-1));
    }

    [LibraryImport("libc")] private static partial int posix_openpt(int flags);
    [LibraryImport("libc")] private static partial int grantpt(int fd);
    [LibraryImport("libc")] private static partial int unlockpt(int fd);
    [LibraryImport("libc")] private static partial nint ptsname(int fd);
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)] private static partial int open(string path, int flags);
    [LibraryImport("libc")] private static partial int close(int fd);
}
