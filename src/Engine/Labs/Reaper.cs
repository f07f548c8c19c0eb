using System.Diagnostics;

namespace Playground.Engine.Labs;

/// <summary>
/// The one process that holds a lab: PID 1 of its pid namespace, it blocks every signal it can
/// and reaps whatever ends (orphans are reparented to it), nothing else. Built once with the
/// machine's gcc, statically, a few hundred bytes of logic; every lab maps the same binary.
/// Only SIGKILL from outside ends it, and with it every process of the lab.
/// </summary>
internal static class Reaper
{
    const string Source =
        """
        #include <signal.h>
        #include <sys/wait.h>
        int main(void)
        {
            sigset_t all;
            sigfillset(&all);
            sigprocmask(SIG_BLOCK, &all, 0);
            for (;;) {
                int sig;
                if (sigwait(&all, &sig) == 0 && sig == SIGCHLD)
                    while (waitpid(-1, 0, WNOHANG) > 0) { }
            }
        }
        """;

    static readonly object Lock = new();

    /// <summary>The reaper binary in <paramref name="dir"/>, built there if missing (0755, readable by every lab).</summary>
    public static string Ensure(string dir)
    {
        var path = Path.Combine(dir, "reaper");
        lock (Lock)
        {
            if (File.Exists(path)) return path;
            Directory.CreateDirectory(dir);
            var work = Directory.CreateTempSubdirectory("playground-reaper-").FullName;
            try
            {
                var c = Path.Combine(work, "reaper.c");
                File.WriteAllText(c, Source);
                var built = Path.Combine(work, "reaper");
                var gcc = Process.Start(new ProcessStartInfo("gcc", ["-static", "-Os", "-s", "-o", built, c]) { RedirectStandardError = true })!;
                var err = gcc.StandardError.ReadToEnd();
                gcc.WaitForExit();
                if (gcc.ExitCode != 0) throw new InvalidOperationException($"building the lab reaper with gcc failed (apt-get install gcc libc6-dev): {err}");
                File.SetUnixFileMode(built, (UnixFileMode)0x1ed);
                File.Move(built, path + ".tmp", overwrite: true);
                File.Move(path + ".tmp", path, overwrite: true);
            }
            finally { Directory.Delete(work, recursive: true); }
            return path;
        }
    }
}
