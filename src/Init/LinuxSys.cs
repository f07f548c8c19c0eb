using System.Runtime.InteropServices;
using Playground.Engine.Interop;
using Playground.Engine.Launch.Protocol;
using static Playground.Init.Native;

namespace Playground.Init;

/// <summary>The real syscalls behind <see cref="ISys"/>.</summary>
internal sealed unsafe class LinuxSys(Channel channel) : ISys
{
    static void Check(int rc, string syscall, string detail = "")
    {
        if (rc < 0) throw new StepFailure(syscall, Libc.Errno, detail);
    }

    public void Mount(string source, string target, string fstype, ulong flags, string data) =>
        Check(mount(source.Length == 0 ? null : source, target, fstype.Length == 0 ? null : fstype, (nuint)flags,
            data.Length == 0 ? null : data), "mount", $"{source} on {target}");

    public void RemountReadOnly(string target)
    {
        // In a user namespace the kernel refuses a remount that would drop a flag it locked
        // (nosuid, nodev, noexec, atime flags), so carry the current ones over (statvfs(3)).
        var buf = stackalloc byte[128];
        Check(statvfs(target, buf), "statvfs", target);
        var st = *(ulong*)(buf + 72);
        ulong flags = 1 /*RDONLY*/ | 32 /*REMOUNT*/ | 4096 /*BIND*/;
        if ((st & 2) != 0) flags |= 2;             // ST_NOSUID
        if ((st & 4) != 0) flags |= 4;             // ST_NODEV
        if ((st & 8) != 0) flags |= 8;             // ST_NOEXEC
        if ((st & 1024) != 0) flags |= 1024;       // ST_NOATIME
        if ((st & 2048) != 0) flags |= 2048;       // ST_NODIRATIME
        if ((st & 4096) != 0) flags |= 1 << 21;    // ST_RELATIME
        Check(mount(null, target, null, (nuint)flags, null), "mount", $"remount {target} read-only");
    }

    public void Umount(string target, int flags) => Check(umount2(target, flags), "umount2", target);

    public void PivotRoot(string newRoot, string putOld)
    {
        var a = Marshal.StringToCoTaskMemUTF8(newRoot);
        var b = Marshal.StringToCoTaskMemUTF8(putOld);
        try { Check((int)syscall(SYS_pivot_root, a, b, 0), "pivot_root", newRoot); }
        finally { Marshal.FreeCoTaskMem(a); Marshal.FreeCoTaskMem(b); }
    }

    public void JoinMountNamespace(int fd)
    {
        // setns refuses a mount namespace to a task sharing its fs_struct (root, cwd) with
        // others, and the runtime has threads: give this one its own first. The exec'd
        // command keeps only this thread, and with it the joined namespace.
        Check(unshare(CLONE_FS), "unshare", "CLONE_FS");
        // Also moves our root and cwd to the namespace's root: the sandbox's pivoted root.
        Check(setns(fd, CLONE_NEWNS), "setns", "mount namespace");
        Libc.close(fd);
    }

    public void Chroot(string path) => Check(chroot(path), "chroot", path);
    public void Chdir(string path) => Check(chdir(path), "chdir", path);

    public void MkdirAll(string path, int mode)
    {
        if (Kind(path) == 'd') return;
        var parent = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(parent) && parent != path) MkdirAll(parent, mode);
        if (mkdir(path, mode) < 0 && Libc.Errno != Errno.EEXIST) throw new StepFailure("mkdir", Libc.Errno, path);
    }

    public void CreateFile(string path)
    {
        var parent = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(parent)) MkdirAll(parent, 0x1ed);
        var fd = Libc.open(path, Libc.O_CREAT | Libc.O_WRONLY | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0x1a4);
        Check(fd, "open", path);
        Libc.close(fd);
    }

    public void Symlink(string target, string linkPath) => Check(symlink(target, linkPath), "symlink", linkPath);

    public char Kind(string path)
    {
        var buf = stackalloc byte[256];
        if (lstat(path, buf) < 0) return '\0';
        return (*(uint*)(buf + 24) & S_IFMT) == S_IFDIR ? 'd' : 'f';
    }

    public void UnshareCgroup() => Check(unshare(CLONE_NEWCGROUP), "unshare", "CLONE_NEWCGROUP");

    public void SetHostname(string name)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(name);
        fixed (byte* p = bytes) Check(sethostname(p, bytes.Length), "sethostname", name);
    }

    public void SetRlimit(int resource, ulong soft, ulong hard)
    {
        var lim = stackalloc ulong[2] { soft, hard };
        Check(prlimit(0, resource, lim, null), "prlimit", $"resource {resource}");
    }

    public void BecomeRoot()
    {
        // unshare(1) --keep-caps gave us every capability in the new namespace as ambient
        // ones; now that uid and gid 0 are mapped, take them (LINUX-NOTES: ids before execve).
        Check(setresgid(0, 0, 0), "setresgid", "0");
        Check(setresuid(0, 0, 0), "setresuid", "0");
    }

    public void DropBounding(ulong keep, int lastCap)
    {
        for (var cap = 0; cap <= lastCap; cap++)
            if ((keep & (1UL << cap)) == 0)
                Check(prctl(PR_CAPBSET_DROP, (nuint)cap, 0, 0, 0), "prctl", $"PR_CAPBSET_DROP {cap}");
    }

    public void SetIds(uint uid, uint gid, IReadOnlyList<uint> groups)
    {
        // Keep the permitted set across the uid change; the capability step sets it exactly.
        Check(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl", "PR_SET_KEEPCAPS");
        var list = groups.ToArray();
        fixed (uint* g = list) Check(setgroups(list.Length, g), "setgroups", string.Join(',', list));
        Check(setresgid(gid, gid, gid), "setresgid", gid.ToString());
        Check(setresuid(uid, uid, uid), "setresuid", uid.ToString());
    }

    public void SetCapabilities(ulong effective, ulong permitted, ulong inheritable, ulong ambient, int lastCap)
    {
        var header = stackalloc uint[2] { 0x20080522, 0 }; // _LINUX_CAPABILITY_VERSION_3
        var data = stackalloc uint[6]
        {
            (uint)effective, (uint)permitted, (uint)inheritable,
            (uint)(effective >> 32), (uint)(permitted >> 32), (uint)(inheritable >> 32),
        };
        Check((int)syscall(SYS_capset, (nint)header, (nint)data, 0), "capset", "");
        Check(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl", "PR_CAP_AMBIENT_CLEAR_ALL");
        for (var cap = 0; cap <= lastCap; cap++)
            if ((ambient & (1UL << cap)) != 0)
                Check(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (nuint)cap, 0, 0), "prctl", $"PR_CAP_AMBIENT_RAISE {cap}");
    }

    public void SetNoNewPrivs() => Check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "PR_SET_NO_NEW_PRIVS");

    public int InstallSeccomp(byte[] bpf, bool listener)
    {
        fixed (byte* f = bpf)
        {
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            var prog = stackalloc nint[2];
            prog[0] = bpf.Length / 8;
            prog[1] = (nint)f;
            var rc = (int)syscall(SYS_seccomp, 1 /*SECCOMP_SET_MODE_FILTER*/, listener ? 8 /*SECCOMP_FILTER_FLAG_NEW_LISTENER*/ : 0, (nint)prog);
            Check(rc, "seccomp", listener ? "SECCOMP_SET_MODE_FILTER with a listener" : "SECCOMP_SET_MODE_FILTER");
            return listener ? rc : -1;
        }
    }

    public void OpenTerminal(string devptsDir, ushort cols, ushort rows)
    {
        int master;
        if (devptsDir.Length > 0)
        {
            master = Libc.open(devptsDir + "/ptmx", Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC, 0);
            Check(master, "open", devptsDir + "/ptmx");
            var unlock = 0;
            Check(Libc.ioctl(master, Libc.TIOCSPTLCK, &unlock), "ioctl", "TIOCSPTLCK");
            var ws = new Libc.WinSize { Cols = cols, Rows = rows };
            Check(Libc.ioctl(master, Libc.TIOCSWINSZ, &ws), "ioctl", "TIOCSWINSZ");
        }
        else master = InheritedFds.EngineTerminal;
        var slave = Libc.ioctl(master, Libc.TIOCGPTPEER, (nint)(Libc.O_RDWR | Libc.O_NOCTTY));
        Check(slave, "ioctl", "TIOCGPTPEER");
        if (devptsDir.Length > 0) channel.SendTerminal(master);
        Libc.close(master);
        // A session of our own whose controlling terminal is the slave (setsid fails with
        // EPERM when we already lead one, which is just as good).
        Libc.setsid();
        Check(Libc.ioctl(slave, Libc.TIOCSCTTY, 0), "ioctl", "TIOCSCTTY");
        for (var fd = 0; fd <= 2; fd++) Check(Libc.dup2(slave, fd), "dup2", fd.ToString());
        if (slave > 2) Libc.close(slave);
    }

    public string ResolveCommand(string name, IReadOnlyList<string> env)
    {
        if (name.Contains('/')) return name;
        var path = env.FirstOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..]
                   ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = dir.TrimEnd('/') + "/" + name;
            if (access(candidate, 1 /*X_OK*/) == 0 && Kind(candidate) != 'd') return candidate;
        }
        throw new StepFailure("execvp", Errno.ENOENT, $"{name} not found in PATH={path}");
    }

    public void Exec(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env)
    {
        PrepareForExec();
        var p = (byte*)Marshal.StringToCoTaskMemUTF8(path);
        var a = Libc.StringArray(argv);
        var e = Libc.StringArray(env);
        execve(p, a, e);
        var errno = Libc.Errno;
        Libc.FreeStringArray(a); Libc.FreeStringArray(e); Marshal.FreeCoTaskMem((nint)p);
        throw new StepFailure("execve", errno, path);
    }

    public int SpawnAndReap(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, bool terminal, Action started)
    {
        // Only fds 0-2 may reach the command: everything else of ours closes at exec.
        syscall(SYS_close_range, 3, -1, 4 /*CLOSE_RANGE_CLOEXEC*/);
        var attr = stackalloc byte[Libc.SpawnAttrSize];
        var fa = stackalloc byte[Libc.FileActionsSize];
        // Own process group, made the terminal's foreground group, so Ctrl-C reaches the
        // command and its jobs.
        Libc.SpawnDefaults(attr, fa, Libc.POSIX_SPAWN_SETPGROUP);
        Libc.posix_spawnattr_setpgroup(attr, 0);
        if (terminal) Libc.posix_spawn_file_actions_addtcsetpgrp_np(fa, 0);
        var p = (byte*)Marshal.StringToCoTaskMemUTF8(path);
        var a = Libc.StringArray(argv);
        var e = Libc.StringArray(env);
        int child;
        var rc = Libc.posix_spawn(&child, p, fa, attr, a, e);
        Libc.FreeStringArray(a); Libc.FreeStringArray(e); Marshal.FreeCoTaskMem((nint)p);
        Libc.posix_spawn_file_actions_destroy(fa);
        Libc.posix_spawnattr_destroy(attr);
        if (rc != 0) throw new StepFailure("execve", rc, path);
        started();
        // Reap every orphan the namespace hands us; when the command itself ends, so do we
        // (and with PID 1, the kernel ends the rest of the namespace).
        while (true)
        {
            int status;
            var pid = Libc.waitpid(-1, &status, Libc.__WALL);
            if (pid == child) return status;
            if (pid < 0 && Libc.Errno != Errno.EINTR) return 127 << 8;
        }
    }

    static void PrepareForExec()
    {
        // Ignored signals stay ignored across execve; the runtime ignores SIGPIPE.
        for (var sig = 1; sig < 32; sig++) if (sig != 9 && sig != 19) signal(sig, 0);
        var none = stackalloc byte[Libc.SigSetSize];
        Libc.sigemptyset(none);
        sigprocmask(2 /*SIG_SETMASK*/, none, null);
        syscall(SYS_close_range, 3, -1, 4 /*CLOSE_RANGE_CLOEXEC*/);
    }
}
