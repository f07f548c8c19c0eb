using Playground.Engine.Interop;
using static Playground.Engine.Interop.FileAt;
using static Playground.Engine.Interop.Openat2;

namespace Playground.Engine.Rootfs;

/// <summary>An archive entry the importer will not write; the message says why, for people.</summary>
internal sealed class EntryRefused(string reason, bool stopsImport = false) : Exception(reason)
{
    /// <summary>A budget ran out: the rest of the archive is not read.</summary>
    public bool StopsImport { get; } = stopsImport;
}

/// <summary>
/// The extraction root, opened once as a directory fd. Every directory below it is reached by
/// openat2(2) one component at a time with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
/// RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV, so the kernel, not a string check, refuses a walk
/// that would follow a symlink (planted by the archive or already there), cross into another
/// mount or leave the root; the last component is
/// then made with a *at call that does not follow it either. Directory fds are cached, so a
/// tarball of many small files costs one openat2 per new directory, not one per file.
/// Errno becomes an exception here and nowhere else: <see cref="EntryRefused"/> for what is
/// about one entry, <see cref="IOException"/> for what stops the import (a full disk).
/// </summary>
internal sealed class ImportRoot : IDisposable
{
    // NO_XDEV too: a mount inside the root (a bind mount of a running sandbox) leads elsewhere as surely as a symlink.
    const ulong Beneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    const int PathDir = Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC;
    // Well under the usual 1024-fd soft limit; an archive is mostly depth-first, so a cache
    // emptied when full is refilled by the next few entries.
    const int MaxCached = 256;

    readonly Dictionary<string, int> dirs = new(StringComparer.Ordinal);

    ImportRoot(int fd) => Fd = fd;

    /// <summary>The root itself (read-only directory fd, so its own metadata can be set).</summary>
    public int Fd { get; }

    public static ImportRoot Open(string root)
    {
        var fd = Libc.open(root, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Libc.Errno;
            throw errno == Errno.ENOENT
                ? new DirectoryNotFoundException($"the root {root} does not exist")
                : new IOException($"open({root}) failed with {Errno.Name(errno)} ({Errno.Describe(errno)}): the root must be a directory");
        }
        return new ImportRoot(fd);
    }

    /// <summary>Between entries: keep the number of open directory fds bounded.</summary>
    public void TrimCache()
    {
        if (dirs.Count >= MaxCached) ForgetDirectories();
    }

    void ForgetDirectories()
    {
        foreach (var fd in dirs.Values) Libc.close(fd);
        dirs.Clear();
    }

    /// <summary>
    /// An O_PATH fd for the directory <paramref name="path"/> ("" is the root), valid until the
    /// next entry. With <paramref name="create"/>, missing directories are made, as tar makes the
    /// parents an archive does not list (0755 less the umask; tar's 0777 less the umask is the
    /// same under the usual 022, and this is never world-writable); without, a missing one is refused.
    /// </summary>
    public int DirectoryFd(string path, bool create)
    {
        if (path.Length == 0) return Fd;
        if (dirs.TryGetValue(path, out var cached)) return cached;
        var slash = path.LastIndexOf('/');
        var up = DirectoryFd(slash < 0 ? "" : path[..slash], create);
        var name = path[(slash + 1)..];
        var fd = Openat2.Open(up, name, PathDir, Beneath);
        if (fd < 0 && Libc.Errno == Errno.ENOENT)
        {
            if (!create) throw new EntryRefused($"{path} is not in the root");
            if (mkdirat(up, name, 0x1ed) < 0 && Libc.Errno != Errno.EEXIST) throw Fail("mkdirat", path);
            fd = Openat2.Open(up, name, PathDir, Beneath);
        }
        if (fd < 0) throw Fail("openat2", path);
        dirs[path] = fd;
        return fd;
    }

    /// <summary>The file's type, mode and inode without following a symlink, or null when there is none.</summary>
    public unsafe Statx? Stat(int dir, string name, string path)
    {
        Statx st;
        if (statx(dir, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) == 0) return st;
        if (Libc.Errno == Errno.ENOENT) return null;
        throw Fail("statx", path);
    }

    /// <summary>A new regular file (0600 until its metadata is set), replacing what was there as tar does.</summary>
    public int CreateFile(int dir, string name, string path)
    {
        const int flags = Libc.O_WRONLY | Libc.O_CREAT | O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC;
        var fd = openat(dir, name, flags, 0x180);
        if (fd < 0 && Libc.Errno == Errno.EEXIST)
        {
            Clear(dir, name, path);
            fd = openat(dir, name, flags, 0x180);
        }
        return fd >= 0 ? fd : throw Fail("openat", path);
    }

    /// <summary>Makes the directory, or keeps one that is there (tar updates its metadata); anything else there is replaced.</summary>
    public void MakeDirectory(int dir, string name, string path)
    {
        if (mkdirat(dir, name, 0x1c0) == 0) return;
        if (Libc.Errno != Errno.EEXIST) throw Fail("mkdirat", path);
        if (Stat(dir, name, path) is { Type: S_IFDIR }) return;
        Clear(dir, name, path);
        if (mkdirat(dir, name, 0x1c0) < 0) throw Fail("mkdirat", path);
    }

    public void Symlink(string target, int dir, string name, string path)
    {
        if (symlinkat(target, dir, name) == 0) return;
        if (Libc.Errno != Errno.EEXIST) throw Fail("symlinkat", path);
        Clear(dir, name, path);
        if (symlinkat(target, dir, name) < 0) throw Fail("symlinkat", path);
    }

    /// <summary>A hard link; flags 0, so a symlink as the target is linked itself, never followed.</summary>
    public void Link(int targetDir, string targetName, int dir, string name, string path)
    {
        if (linkat(targetDir, targetName, dir, name, 0) == 0) return;
        if (Libc.Errno != Errno.EEXIST) throw Fail("linkat", path);
        Clear(dir, name, path);
        if (linkat(targetDir, targetName, dir, name, 0) < 0) throw Fail("linkat", path);
    }

    public void MakeNode(int dir, string name, int mode, ulong dev, string path)
    {
        if (mknodat(dir, name, mode, dev) == 0) return;
        if (Libc.Errno != Errno.EEXIST) throw Fail("mknodat", path);
        Clear(dir, name, path);
        if (mknodat(dir, name, mode, dev) < 0) throw Fail("mknodat", path);
    }

    /// <summary>Removes what is in the way, as tar does before it creates: a file or link is unlinked, an empty directory removed.</summary>
    void Clear(int dir, string name, string path)
    {
        if (Stat(dir, name, path) is { Type: S_IFDIR })
        {
            if (unlinkat(dir, name, AT_REMOVEDIR) == 0) { ForgetDirectories(); return; }
            if (Libc.Errno is Errno.ENOTEMPTY or Errno.EEXIST)
                throw new EntryRefused($"a directory {path} that is not empty is already there");
            throw Fail("unlinkat", path);
        }
        if (unlinkat(dir, name, 0) < 0 && Libc.Errno != Errno.ENOENT) throw Fail("unlinkat", path);
    }

    /// <summary>Best effort, for a partial file that must not stay.</summary>
    public void Remove(int dir, string name) => unlinkat(dir, name, 0);

    public unsafe void Write(int fd, ReadOnlySpan<byte> data, string path)
    {
        fixed (byte* p = data)
            for (var done = 0; done < data.Length;)
            {
                var n = Libc.write(fd, p + done, data.Length - done);
                if (n < 0 && Libc.Errno == Errno.EINTR) continue;
                if (n < 0) throw Fail("write", path);
                done += (int)n;
            }
    }

    /// <summary>Owner, then mode (chown clears setuid and setgid), then times, on an open file.</summary>
    public unsafe void SetMetadata(int fd, int? uid, int? gid, int mode, Timespec mtime, string path)
    {
        if (uid is { } u && gid is { } g && fchown(fd, u, g) < 0) throw Fail("fchown", path);
        if (fchmod(fd, mode) < 0) throw Fail("fchmod", path);
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Nsec = UTIME_OMIT };
        times[1] = mtime;
        if (futimens(fd, times) < 0) throw Fail("futimens", path);
    }

    /// <summary>The same by name without following a final symlink; <paramref name="mode"/> null for a symlink (its mode means nothing).</summary>
    public unsafe void SetMetadataAt(int dir, string name, int? uid, int? gid, int? mode, Timespec mtime, string path)
    {
        if (uid is { } u && gid is { } g && fchownat(dir, name, u, g, AT_SYMLINK_NOFOLLOW) < 0) throw Fail("fchownat", path);
        if (mode is { } m && fchmodat2(dir, name, m, AT_SYMLINK_NOFOLLOW) < 0)
        {
            // Before Linux 6.6: plain fchmodat follows a final symlink, but what we chmod by name
            // is a node or fifo we have just made in a directory fd we hold.
            if (Libc.Errno != Errno.ENOSYS || fchmodat(dir, name, m, 0) < 0) throw Fail("fchmodat", path);
        }
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Nsec = UTIME_OMIT };
        times[1] = mtime;
        if (utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) < 0) throw Fail("utimensat", path);
    }

    /// <summary>A readable fd for a directory already made (or the root for ""), or -1 when it is gone or is no longer a directory.</summary>
    public int OpenDirectory(string path) => path.Length == 0
        ? Libc.fcntl(Fd, F_DUPFD_CLOEXEC, 0)
        : Openat2.Open(Fd, path, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, Beneath);

    const int F_DUPFD_CLOEXEC = 1030;

    /// <summary>The one place errno becomes an exception.</summary>
    static Exception Fail(string syscall, string path)
    {
        var errno = Libc.Errno;
        var detail = $"{syscall}({path}) failed with {Errno.Name(errno)} ({Errno.Describe(errno)})";
        return errno switch
        {
            Errno.ENOSPC or EDQUOT or Errno.EROFS or Errno.EIO or Errno.ENOMEM or Errno.EMFILE or Errno.ENFILE
                or Errno.EBADF or Errno.ENOSYS => new IOException($"import stopped: {detail}"),
            Errno.ELOOP => new EntryRefused($"{path} is a symlink, and the importer never goes through one"),
            Errno.EXDEV => new EntryRefused($"{path} is outside the root or on another mount, and the importer stays on the root's"),
            Errno.ENOTDIR => new EntryRefused($"{path} is not a directory"),
            _ => new EntryRefused(detail),
        };
    }

    const int EDQUOT = 122;

    public void Dispose()
    {
        ForgetDirectories();
        Libc.close(Fd);
    }
}
