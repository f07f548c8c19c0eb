namespace Playground.Init;

/// <summary>
/// The syscalls init makes, behind one seam so a unit test can record their order without
/// root (youki's approach). Each returns 0 or throws <see cref="StepFailure"/> with the errno.
/// </summary>
public interface ISys
{
    void Mount(string source, string target, string fstype, ulong flags, string data);
    /// <summary>Remount read-only, keeping the flags the kernel locked (nosuid, nodev, noexec, atime).</summary>
    void RemountReadOnly(string target);
    void Umount(string target, int flags);
    void PivotRoot(string newRoot, string putOld);
    /// <summary>setns into a running sandbox's mount namespace (the fd the engine passed), which also moves us to its root.</summary>
    void JoinMountNamespace(int fd);
    void Chroot(string path);
    void Chdir(string path);
    void MkdirAll(string path, int mode);
    void CreateFile(string path);
    void Symlink(string target, string linkPath);
    /// <summary>Kind of the path without following a final symlink: 'd', 'f', or '\0' when missing.</summary>
    char Kind(string path);
    void UnshareCgroup();
    void SetHostname(string name);
    void SetRlimit(int resource, ulong soft, ulong hard);
    void BecomeRoot();
    void DropBounding(ulong keep, int lastCap);
    void SetIds(uint uid, uint gid, IReadOnlyList<uint> groups);
    void SetCapabilities(ulong effective, ulong permitted, ulong inheritable, ulong ambient, int lastCap);
    void SetNoNewPrivs();
    /// <summary>Loads a seccomp filter; with <paramref name="listener"/>, returns its listener's fd
    /// (SECCOMP_FILTER_FLAG_NEW_LISTENER, close-on-exec), otherwise -1.</summary>
    int InstallSeccomp(byte[] bpf, bool listener);
    /// <summary>Opens the terminal: a new pty in the sandbox's devpts, or the peer of the engine's master (fd 4).</summary>
    void OpenTerminal(string devptsDir, ushort cols, ushort rows);
    /// <summary>PATH lookup inside the (new) root, like execvp.</summary>
    string ResolveCommand(string name, IReadOnlyList<string> env);
    /// <summary>execve; returns only by throwing.</summary>
    void Exec(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env);
    /// <summary>PID 1: spawn the command in its own process group, reap until it exits; returns its wait status.</summary>
    int SpawnAndReap(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, bool terminal, Action started);
}

/// <summary>A step failed: which syscall, the errno, and what it was doing.</summary>
public sealed class StepFailure(string syscall, int errno, string detail) : Exception($"{syscall}: errno {errno} {detail}")
{
    public string Syscall { get; } = syscall;
    public int Errno { get; } = errno;
    public string Detail { get; } = detail;
}
