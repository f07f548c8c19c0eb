using System.Runtime.InteropServices;

namespace Playground.Engine.Interop;

/// <summary>kill(2). The cgroup code signals pids it read from cgroup.procs, which
/// System.Diagnostics.Process cannot do for processes it did not start.</summary>
internal static partial class Signals
{
    public const string Library = "libc";
    public const int SIGKILL = 9;

    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int sig);

    /// <summary>Sends <paramref name="signal"/>; returns 0 or the errno (ESRCH when the process is already gone).</summary>
    public static int Kill(int pid, int signal) =>
        KillNative(pid, signal) == 0 ? 0 : Marshal.GetLastPInvokeError();
}
