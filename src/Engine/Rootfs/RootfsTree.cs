using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Playground.Engine.Interop;

namespace Playground.Engine.Rootfs;

/// <summary>One entry of a directory in a root filesystem, as <c>ls -l</c> shows it (never followed).</summary>
/// <param name="Type">'d' directory, '-' file, 'l' symlink, 'c'/'b' device, 'p' fifo, 's' socket.</param>
public sealed record TreeEntry(string Name, char Type, int Mode, uint Uid, uint Gid, long Size, DateTime Modified, string? LinkTarget)
{
    /// <summary>"drwxr-xr-x", "-rwsr-xr-x", as ls prints the type and permissions.</summary>
    public string ModeString
    {
        get
        {
            var m = Mode;
            Span<char> s = [Type, R(0x100), W(0x80), X(0x40, 0x800, 's'), R(0x20), W(0x10), X(0x8, 0x400, 's'), R(0x4), W(0x2), X(0x1, 0x200, 't')];
            return new string(s);
            char R(int bit) => (m & bit) != 0 ? 'r' : '-';
            char W(int bit) => (m & bit) != 0 ? 'w' : '-';
            char X(int bit, int special, char c) => (m & special) != 0 ? ((m & bit) != 0 ? c : char.ToUpperInvariant(c)) : (m & bit) != 0 ? 'x' : '-';
        }
    }
}

/// <summary>
/// Reading a root filesystem that its owner (a sandbox, a person) may be changing while we read,
/// as the server's root, without ever being led out of it: every directory is opened beneath the
/// root with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), every file by name in an open
/// directory with O_NOFOLLOW. A symlink is shown as what it is, never followed.
/// </summary>
public static class RootfsTree
{
    const ulong Resolve = Openat2.RESOLVE_BENEATH | Openat2.RESOLVE_NO_SYMLINKS | Openat2.RESOLVE_NO_MAGICLINKS;

    /// <summary>The entries of directory <paramref name="path"/> ("/" or "/usr/bin"), directories first, then by name.</summary>
    public static IReadOnlyList<TreeEntry> List(string root, string path)
    {
        using var dir = OpenDirectory(root, path);
        var result = new List<TreeEntry>();
        foreach (var name in Names(dir))
            if (Stat(dir, name) is { } e) result.Add(e);
        return result.OrderBy(e => e.Type == 'd' ? 0 : 1).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>A regular file of the root, opened for reading; refused if it is anything else or a link is on the way.</summary>
    public static FileStream OpenRead(string root, string path)
    {
        var (parent, name) = Split(path);
        if (name.Length == 0) throw new ArgumentException($"path: {path} is a directory");
        using var dir = OpenDirectory(root, parent, shown: path);
        var fd = FileAt.openat(Fd(dir), name, Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NOFOLLOW | Libc.O_NONBLOCK, 0);
        if (fd < 0) throw Error(path, "open");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        FileAt.Statx st;
        unsafe { if (FileAt.statx(fd, "", FileAt.AT_EMPTY_PATH, FileAt.STATX_BASIC_STATS, &st) < 0) { handle.Dispose(); throw Error(path, "statx"); } }
        if (st.Type != FileAt.S_IFREG) { handle.Dispose(); throw new ArgumentException($"path: {path} is not a regular file"); }
        return new FileStream(handle, FileAccess.Read, 1 << 16);
    }

    /// <summary>
    /// The whole root as a gzip-compressed tarball (PAX), ids mapped back through
    /// <paramref name="mapUid"/>/<paramref name="mapGid"/> (e.g. host 100000 → 0 inside).
    /// </summary>
    public static void WriteTarGz(string root, Stream output, Func<uint, uint> mapUid, Func<uint, uint> mapGid)
    {
        using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
        WriteTar(root, gzip, mapUid, mapGid);
    }

    /// <summary>The whole root as a plain tarball (PAX), ids through <paramref name="mapUid"/>/<paramref name="mapGid"/>.</summary>
    public static void WriteTar(string root, Stream output, Func<uint, uint> mapUid, Func<uint, uint> mapGid)
    {
        using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        var seen = new Dictionary<(uint, uint, ulong), string>(); // hard links: (device, inode) → the first name
        using var top = OpenDirectory(root, "/");
        Walk(top, "");

        void Walk(SafeFileHandle dir, string prefix)
        {
            foreach (var name in Names(dir).Order(StringComparer.Ordinal))
            {
                var e = Stat(dir, name, out var st);
                if (e is null) continue;
                var entryName = prefix + name;
                TarEntry entry;
                if (e.Type != 'd' && st.Nlink > 1 && seen.TryGetValue((st.DevMajor, st.DevMinor, st.Ino), out var first))
                    entry = new PaxTarEntry(TarEntryType.HardLink, entryName) { LinkName = first };
                else
                {
                    entry = e.Type switch
                    {
                        'd' => new PaxTarEntry(TarEntryType.Directory, entryName + "/"),
                        'l' => new PaxTarEntry(TarEntryType.SymbolicLink, entryName) { LinkName = e.LinkTarget ?? "" },
                        'c' => new PaxTarEntry(TarEntryType.CharacterDevice, entryName) { DeviceMajor = (int)st.RdevMajor, DeviceMinor = (int)st.RdevMinor },
                        'b' => new PaxTarEntry(TarEntryType.BlockDevice, entryName) { DeviceMajor = (int)st.RdevMajor, DeviceMinor = (int)st.RdevMinor },
                        'p' => new PaxTarEntry(TarEntryType.Fifo, entryName),
                        '-' => new PaxTarEntry(TarEntryType.RegularFile, entryName),
                        _ => null!, // sockets are not archived (tar skips them too)
                    };
                    if (entry is null) continue;
                    if (e.Type != 'd' && st.Nlink > 1) seen[(st.DevMajor, st.DevMinor, st.Ino)] = entryName;
                }
                entry.Mode = (UnixFileMode)(e.Mode & 0xfff);
                entry.Uid = (int)mapUid(e.Uid);
                entry.Gid = (int)mapGid(e.Gid);
                entry.ModificationTime = e.Modified;
                if (entry.EntryType == TarEntryType.RegularFile)
                {
                    var fd = FileAt.openat(Fd(dir), name, Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NOFOLLOW | Libc.O_NONBLOCK, 0);
                    if (fd < 0) throw Error(entryName, "open");
                    using var data = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1 << 16);
                    entry.DataStream = data;
                    tar.WriteEntry(entry);
                }
                else tar.WriteEntry(entry);
                if (e.Type == 'd')
                {
                    using var sub = OpenBeneath(dir, name, entryName);
                    Walk(sub, entryName + "/");
                }
            }
        }
    }

    static SafeFileHandle OpenDirectory(string root, string path, string? shown = null)
    {
        var rootFd = Libc.open(root, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (rootFd < 0) throw Error(root, "open");
        using var rootHandle = new SafeFileHandle(rootFd, ownsHandle: true);
        var relative = Relative(path);
        return relative.Length == 0 ? OpenBeneath(rootHandle, ".", shown ?? "/") : OpenBeneath(rootHandle, relative, shown ?? path);
    }

    static SafeFileHandle OpenBeneath(SafeFileHandle dir, string relative, string shown)
    {
        var fd = Openat2.Open(Fd(dir), relative, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, Resolve);
        if (fd < 0) throw Error(shown, "open");
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>The names in an open directory (through its /proc/self/fd link: the very directory opened).</summary>
    static IEnumerable<string> Names(SafeFileHandle dir) =>
        new DirectoryInfo($"/proc/self/fd/{Fd(dir)}").EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false })
            .Select(i => i.Name).ToList();

    static TreeEntry? Stat(SafeFileHandle dir, string name) => Stat(dir, name, out _);

    static unsafe TreeEntry? Stat(SafeFileHandle dir, string name, out FileAt.Statx st)
    {
        FileAt.Statx s;
        if (FileAt.statx(Fd(dir), name, FileAt.AT_SYMLINK_NOFOLLOW, FileAt.STATX_BASIC_STATS, &s) < 0) { st = default; return null; } // gone meanwhile
        st = s;
        var type = s.Type switch
        {
            FileAt.S_IFDIR => 'd', FileAt.S_IFLNK => 'l', FileAt.S_IFCHR => 'c', FileAt.S_IFBLK => 'b',
            FileAt.S_IFIFO => 'p', FileAt.S_IFREG => '-', _ => 's',
        };
        return new TreeEntry(name, type, s.Mode & 0xfff, s.Uid, s.Gid, (long)s.Size,
            DateTimeOffset.FromUnixTimeSeconds(s.MtimeSec).UtcDateTime, type == 'l' ? FileAt.readlinkat(Fd(dir), name) : null);
    }

    /// <summary>"/usr/bin/" → "usr/bin"; "..", "." and empty components are refused, not resolved.</summary>
    static string Relative(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Any(p => p is "." or "..")) throw new ArgumentException($"path: {path} has . or .. in it; give a path from the root like /usr/bin");
        return string.Join('/', parts);
    }

    static (string Parent, string Name) Split(string path)
    {
        var relative = Relative(path);
        var slash = relative.LastIndexOf('/');
        return slash < 0 ? ("/", relative) : (relative[..slash], relative[(slash + 1)..]);
    }

    static int Fd(SafeFileHandle h) => (int)h.DangerousGetHandle();

    static IOException Error(string path, string call)
    {
        var errno = Marshal.GetLastPInvokeError();
        var why = errno switch
        {
            40 => "a symlink is on the way (links are shown, not followed)",
            18 => "it leads out of the root",
            2 => "it does not exist",
            20 => "a part of it is not a directory",
            _ => Errno.Describe(errno),
        };
        return new IOException($"{path}: {call} failed: {why}");
    }
}
