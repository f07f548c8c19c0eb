using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Playground.Engine.Interop;
using static Playground.Engine.Interop.FileAt;

namespace Playground.Engine.Rootfs;

/// <summary>
/// Writes into a root filesystem by path inside it, as the server's root, while the root's owner
/// may be changing it: each parent directory is opened with openat2(RESOLVE_IN_ROOT), so the
/// root's own symlinks are followed as they would be after a chroot (an absolute link, "..")
/// and the kernel never lets the walk leave the root; the last component is made with the *at
/// calls and never followed.
/// </summary>
internal sealed class RootWriter : IDisposable
{
    const ulong InRoot = Openat2.RESOLVE_IN_ROOT | Openat2.RESOLVE_NO_MAGICLINKS;
    readonly SafeFileHandle _root;
    readonly (uint Uid, uint Gid)? _owner;

    /// <param name="owner">Who owns what is made (directories, links, files); null: whoever runs this.</param>
    public RootWriter(string root, (uint Uid, uint Gid)? owner = null)
    {
        _owner = owner;
        var fd = Libc.open(root, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw Error(root, "open");
        _root = new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>The symlink target at <paramref name="path"/>, or null when it is not a symlink (or absent).</summary>
    public string? LinkTarget(string path) => At(path, (dir, name) => readlinkat(dir, name));

    /// <summary>Whether something (a link included) is at <paramref name="path"/>, and whether it is a directory.</summary>
    public unsafe (bool Exists, bool IsDirectory) Kind(string path) => At(path, (dir, name) =>
    {
        Statx st;
        return statx(dir, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) < 0 ? (false, false) : (true, st.Type == S_IFDIR);
    });

    public void MakeDirectory(string path, UnixFileMode mode) => At(path, (dir, name) =>
    {
        if (mkdirat(dir, name, (int)mode) < 0 && Marshal.GetLastPInvokeError() != 17 /* EEXIST */) throw Error(path, "mkdirat");
        // mkdirat applies the umask: set the mode meant, on the directory just made (never through a link).
        if (fchmodat2(dir, name, (int)mode, AT_SYMLINK_NOFOLLOW) < 0) throw Error(path, "fchmodat2");
        Own(dir, name, path);
        return 0;
    });

    /// <summary>Gives what was just made at (dir, name) to the owner, the name itself (never a link's target).</summary>
    void Own(int dir, string name, string path)
    {
        if (_owner is { } o && fchownat(dir, name, (int)o.Uid, (int)o.Gid, AT_SYMLINK_NOFOLLOW) < 0) throw Error(path, "fchownat");
    }

    /// <summary>
    /// mkdir -p inside the root (each missing directory 0755). A link on the way is followed
    /// inside the root; a dangling one (bin → /usr/bin where usr/bin is not there yet) gets its
    /// target made, as the link means.
    /// </summary>
    public void MakeDirectories(string path) => MakeDirectories(path, 0);

    void MakeDirectories(string path, int depth)
    {
        if (depth > Spec.RootfsPaths.MaxSymlinks) throw new IOException($"{path}: too many levels of symbolic links (ELOOP)");
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 1; i <= parts.Length; i++)
        {
            var prefix = "/" + string.Join('/', parts[..i]);
            if (LinkTarget(prefix) is { } link)
            {
                if (IsDirectory(prefix)) continue;
                var parent = "/" + string.Join('/', parts[..(i - 1)]);
                MakeDirectories(link.StartsWith('/') ? link : parent.TrimEnd('/') + "/" + link, depth + 1);
                continue;
            }
            if (!Kind(prefix).Exists) MakeDirectory(prefix, (UnixFileMode)0x1ed);
        }
    }

    /// <summary>Whether <paramref name="path"/>, links followed inside the root, is a directory.</summary>
    bool IsDirectory(string path)
    {
        var fd = Openat2.Open((int)_root.DangerousGetHandle(), path.TrimStart('/'), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, InRoot);
        if (fd < 0) return false;
        Libc.close(fd);
        return true;
    }

    /// <summary>An empty file (0644), made only if nothing is there; never through a link.</summary>
    public void MakeFile(string path) => At(path, (dir, name) =>
    {
        var fd = openat(dir, name, Libc.O_WRONLY | Libc.O_CREAT | O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0x1a4);
        if (fd < 0)
        {
            if (Marshal.GetLastPInvokeError() == 17 /* EEXIST */) return 0;
            throw Error(path, "openat");
        }
        Libc.close(fd);
        Own(dir, name, path);
        return 0;
    });

    public void MakeSymlink(string path, string target) => At(path, (dir, name) =>
    {
        if (symlinkat(target, dir, name) < 0) throw Error(path, "symlinkat");
        Own(dir, name, path);
        return 0;
    });

    /// <summary>
    /// Copies the host file <paramref name="source"/> to <paramref name="path"/>: a new file under a
    /// temporary name beside it (O_EXCL|O_NOFOLLOW), then renamed over the old one (a program still
    /// running from it keeps its copy: no ETXTBSY). Keeps the source's mode and mtime. False when
    /// the file there already has the same contents.
    /// </summary>
    public bool CopyFile(string source, string path) => At(path, (dir, name) =>
    {
        if (SameContents(source, dir, name)) return false;
        var tmp = $".{name}.playground-{Environment.ProcessId}.tmp";
        unlinkat(dir, tmp, 0);
        var fd = openat(dir, tmp, Libc.O_WRONLY | Libc.O_CREAT | O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0x180);
        if (fd < 0) throw Error(path, "openat");
        try
        {
            using (var output = new FileStream(new SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, 1 << 16))
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
                input.CopyTo(output);
            if (_owner is { } o && fchown(fd, (int)o.Uid, (int)o.Gid) < 0) throw Error(path, "fchown");
            if (fchmod(fd, (int)File.GetUnixFileMode(source)) < 0) throw Error(path, "fchmod"); // after fchown, which clears setuid
            var mtime = new DateTimeOffset(File.GetLastWriteTimeUtc(source)).ToUnixTimeMilliseconds();
            unsafe
            {
                var times = stackalloc Timespec[2];
                times[0] = new Timespec { Sec = 0, Nsec = UTIME_OMIT };
                times[1] = new Timespec { Sec = mtime / 1000, Nsec = mtime % 1000 * 1_000_000 };
                futimens(fd, times);
            }
        }
        catch
        {
            unlinkat(dir, tmp, 0);
            throw;
        }
        finally { Libc.close(fd); }
        if (renameat(dir, tmp, dir, name) < 0)
        {
            var e = Error(path, "renameat");
            unlinkat(dir, tmp, 0);
            throw e;
        }
        return true;
    });

    unsafe bool SameContents(string source, int dir, string name)
    {
        Statx st;
        if (statx(dir, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) < 0) return false;
        if (st.Type == S_IFDIR) throw new IOException($"{name}: a directory is in the way of a file");
        if (st.Type != S_IFREG || (long)st.Size != new FileInfo(source).Length) return false;
        var fd = openat(dir, name, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        if (fd < 0) return false;
        using var there = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1 << 16);
        using var here = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var a = new byte[1 << 16];
        var b = new byte[1 << 16];
        int n;
        while ((n = here.ReadAtLeast(a, a.Length, throwOnEndOfStream: false)) > 0)
            if (there.ReadAtLeast(b, n, throwOnEndOfStream: false) != n || !a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, n))) return false;
        return true;
    }

    /// <summary>Runs <paramref name="action"/> on (the parent's fd, the last name) of a path inside the root.</summary>
    T At<T>(string path, Func<int, string, T> action)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[^1] is "." or "..") throw new ArgumentException($"{path}: not a name inside the root");
        var parent = parts.Length == 1 ? "." : string.Join('/', parts[..^1]);
        var dir = Openat2.Open((int)_root.DangerousGetHandle(), parent, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, InRoot);
        if (dir < 0) throw Error(path, "openat2");
        try { return action(dir, parts[^1]); }
        finally { Libc.close(dir); }
    }

    static IOException Error(string path, string call)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{path}: {call} failed: {Errno.Describe(errno)}");
    }

    public void Dispose() => _root.Dispose();
}
