using System.Diagnostics;

namespace Playground.Engine.Labs;

/// <summary>
/// The one process that holds a lab: PID 1 of its pid namespace, it blocks every signal it can
/// and reaps whatever ends (orphans are reparented to it), nothing else. Built once with the
/// machine's gcc, statically, a few hundred bytes of logic; every lab maps the same binary.
/// Only SIGKILL from outside ends it, and with it every process of the lab. The same binary,
/// run as <c>reaper map LABPID PID UIDMAP GIDMAP</c>, writes a nested sandbox's id maps from
/// the lab's user namespace (one small exec instead of nsenter and a shell).
/// </summary>
internal static class Reaper
{
    const string Source =
        """
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <sched.h>
        #include <signal.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/wait.h>
        #include <unistd.h>

        /* reaper map LABPID PID UIDMAP GIDMAP: write a nested user namespace's id maps from the
           lab's user namespace (its parent: the only place they can be written from). */
        static int map(char **argv)
        {
            char path[64];
            snprintf(path, sizeof path, "/proc/%s/ns/user", argv[2]);
            int ns = open(path, O_RDONLY | O_CLOEXEC);
            if (ns < 0 || setns(ns, CLONE_NEWUSER) < 0) { perror("setns"); return 1; }
            const char *files[2] = { "uid_map", "gid_map" };
            for (int i = 0; i < 2; i++) {
                snprintf(path, sizeof path, "/proc/%s/%s", argv[3], files[i]);
                int fd = open(path, O_WRONLY | O_CLOEXEC);
                size_t n = strlen(argv[4 + i]);
                if (fd < 0 || write(fd, argv[4 + i], n) != (ssize_t)n) { perror(path); return 1; }
                close(fd);
            }
            return 0;
        }

        int main(int argc, char **argv)
        {
            if (argc == 6 && strcmp(argv[1], "map") == 0) return map(argv);
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
        // The name carries the source's version: a changed source builds a new binary.
        var path = Path.Combine(dir, $"reaper-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Source)))[..12]}");
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
