using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Playground.Engine.Interop;

namespace Playground.Engine.Launch;

/// <summary>
/// posix_spawn(3) from the threaded engine: the only way our children start (no fork of a
/// .NET process). The child gets exactly the fds in <paramref name="fds"/> (index = fd number),
/// its own session, default signal handling and an empty signal mask.
/// </summary>
internal static unsafe class Spawner
{
    public static int Spawn(IReadOnlyList<string> argv, IReadOnlyList<SafeHandle?> fds, IReadOnlyList<string> env)
    {
        var attr = stackalloc byte[Libc.SpawnAttrSize];
        var fa = stackalloc byte[Libc.FileActionsSize];
        Libc.SpawnDefaults(attr, fa, Libc.POSIX_SPAWN_SETSID);
        var path = (byte*)Marshal.StringToCoTaskMemUTF8(Which(argv[0]));
        var a = Libc.StringArray(argv);
        var e = Libc.StringArray(env);
        var added = new List<SafeHandle>();
        try
        {
            for (var target = 0; target < fds.Count; target++)
            {
                if (fds[target] is not { } h) continue;
                var ok = false;
                h.DangerousAddRef(ref ok);
                added.Add(h);
                // dup2 clears close-on-exec on the copy: this is how an fd crosses on purpose.
                Libc.posix_spawn_file_actions_adddup2(fa, (int)h.DangerousGetHandle(), target);
            }
            int pid;
            var rc = Libc.posix_spawn(&pid, path, fa, attr, a, e);
            if (rc != 0)
                throw new SandboxException("spawn", $"posix_spawn({argv[0]})", rc,
                    rc == Errno.ENOENT ? $"{argv[0]} is not installed (util-linux provides unshare and nsenter)" : "");
            return pid;
        }
        finally
        {
            foreach (var h in added) h.DangerousRelease();
            Libc.FreeStringArray(a); Libc.FreeStringArray(e); Marshal.FreeCoTaskMem((nint)path);
            Libc.posix_spawn_file_actions_destroy(fa);
            Libc.posix_spawnattr_destroy(attr);
        }
    }

    /// <summary>posix_spawn does not search PATH: find util-linux's tools ourselves (once each).</summary>
    static string Which(string program)
    {
        if (program.Contains('/')) return program;
        return Found.GetOrAdd(program, p =>
            (System.Environment.GetEnvironmentVariable("PATH") + ":/usr/sbin:/usr/bin:/sbin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(d => Path.Combine(d, p)).FirstOrDefault(File.Exists) ?? p);
    }

    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Found = new();

    public static (SafeFileHandle Read, SafeFileHandle Write) Pipe()
    {
        var fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) < 0) throw new IOException($"pipe2: {Errno.Name(Libc.Errno)}");
        return (new SafeFileHandle(fds[0], true), new SafeFileHandle(fds[1], true));
    }

    public static SafeFileHandle OpenNull(int flags) =>
        new(Libc.open("/dev/null", flags | Libc.O_CLOEXEC, 0), true);
}
