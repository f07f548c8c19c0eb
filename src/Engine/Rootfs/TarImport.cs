using System.Formats.Tar;
using Playground.Engine.Interop;
using static Playground.Engine.Interop.FileAt;

namespace Playground.Engine.Rootfs;

/// <summary>Limits and id mapping for <see cref="TarImport"/>.</summary>
public sealed record ImportOptions
{
    /// <summary>Budget of file bytes written (decompressed). An entry that would pass it is refused and the import stops.</summary>
    public long MaxBytes { get; init; } = 8L << 30;
    /// <summary>Budget of entries (inodes). The entry past it is refused and the import stops.</summary>
    public long MaxEntries { get; init; } = 2_000_000;
    /// <summary>Device nodes and fifos are refused unless this is set.</summary>
    public bool AllowDevices { get; init; }
    /// <summary>Archive uid to host uid; null keeps numeric ids (like <c>tar xpf</c> as root).</summary>
    public Func<int, int>? MapUid { get; init; }
    /// <summary>Archive gid to host gid; null keeps numeric ids.</summary>
    public Func<int, int>? MapGid { get; init; }
}

/// <summary>An entry that was not written: its name in the archive and why, in plain words.</summary>
public sealed record RefusedEntry(string Name, string Reason);

/// <summary>
/// What an import wrote. <paramref name="Files"/> counts regular files, and device nodes and
/// fifos when they were allowed; <paramref name="Bytes"/> is file data written.
/// </summary>
public sealed record ImportResult(long Files, long Directories, long Symlinks, long HardLinks, long Bytes, IReadOnlyList<RefusedEntry> Refused);

/// <summary>
/// Unpacks a tarball (tar, tar.gz, tar.xz or tar.zst, told apart by magic bytes) into a root
/// filesystem as <c>tar xpf</c> does as root: modes with setuid, setgid and sticky bits, numeric
/// owners, symlinks, hard links and mtimes, directories' mtimes set after their contents.
/// Unlike tar, it refuses an entry rather than writing anywhere but beneath the root: names
/// with a <c>..</c> component, hard links out of the root, through a symlink or to a directory,
/// any path through a symlink, devices unless allowed, and whatever passes the budgets. The
/// kernel enforces it (see <see cref="ImportRoot"/>). A leading <c>/</c> is stripped, as GNU tar
/// does: in a root filesystem's tarball <c>/etc/passwd</c> means the root's etc/passwd.
/// Symlink targets are written as they are: an absolute one is normal in a distro root and
/// resolves inside the root once it is the sandbox's /; the importer itself never follows one.
/// </summary>
public static class TarImport
{
    /// <summary>Extracts <paramref name="archive"/> into the existing directory <paramref name="root"/>.</summary>
    /// <exception cref="InvalidDataException">Not an accepted format, or a corrupt archive.</exception>
    /// <exception cref="IOException">The root cannot be opened, or a write failed for a reason that is not the entry's (a full disk).</exception>
    public static ImportResult Extract(Stream archive, string root, ImportOptions options)
    {
        using var tar = TarCompression.Open(archive);
        using var target = ImportRoot.Open(root);
        using var reader = new TarReader(tar, leaveOpen: true);
        var extraction = new Extraction(target, options);
        var result = extraction.Run(reader);
        if (!extraction.Stopped)
            try { TarCompression.ReadToEnd(tar); }
            catch (Exception e) when (TarCompression.IsBadData(e))
            {
                throw new InvalidDataException($"the archive is corrupt: its check at the end failed ({e.Message}), so what was written from it may be damaged", e);
            }
        return result;
    }

    /// <summary>Extracts the archive file at <paramref name="archivePath"/>.</summary>
    public static ImportResult ExtractFile(string archivePath, string root, ImportOptions options)
    {
        using var file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Extract(file, root, options);
    }

    /// <summary>
    /// The path an entry name stands for below the root: components joined by '/', "" for the
    /// root itself; empty and "." components dropped and leading slashes stripped (GNU tar's
    /// "Removing leading '/'"). Null, with the reason, for a name that is refused.
    /// </summary>
    internal static string? RelativePath(string name, out string? refusal)
    {
        refusal = null;
        if (name.Contains('\0')) { refusal = "the name contains a NUL byte"; return null; }
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..") { refusal = "the name has a '..' component, which could climb out of the root"; return null; }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>One import's state; single-threaded, as a tar stream is.</summary>
    sealed class Extraction(ImportRoot root, ImportOptions options)
    {
        const int BufferSize = 1 << 20;
        readonly byte[] buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
        readonly List<RefusedEntry> refused = [];
        // Directories' metadata waits until their contents are in, as tar's delayed set_stat:
        // a later entry would change the mtime, and a read-only mode would stop an unprivileged import.
        readonly Dictionary<string, (string Name, int? Uid, int? Gid, int Mode, Timespec Mtime)> directories = new(StringComparer.Ordinal);
        readonly bool chown = geteuid() == 0;   // as tar: only root keeps owners
        long entries, files, dirs, symlinks, hardLinks, bytes;

        /// <summary>A budget ran out: the rest of the archive was left unread.</summary>
        public bool Stopped { get; private set; }

        public ImportResult Run(TarReader reader)
        {
            string? current = null;
            try
            {
                while (reader.GetNextEntry() is { } entry)
                {
                    current = entry.Name;
                    if (entry.EntryType == TarEntryType.GlobalExtendedAttributes) continue;   // pax defaults, not a file
                    root.TrimCache();
                    try
                    {
                        if (++entries > options.MaxEntries)
                            throw new EntryRefused($"the archive has more than {options.MaxEntries} entries (MaxEntries); the rest was not read", stopsImport: true);
                        One(entry);
                    }
                    catch (EntryRefused r)
                    {
                        refused.Add(new RefusedEntry(entry.Name, r.Message));
                        if (r.StopsImport) { Stopped = true; break; }
                    }
                }
            }
            catch (Exception e) when (TarCompression.IsBadData(e))
            {
                // As tar: what was written keeps its directories' metadata.
                try { SetDirectoryMetadata(); } catch (IOException) { }
                var at = current is null ? "before its first entry" : $"after the header of {current}";
                throw new InvalidDataException($"the archive is truncated or corrupt {at}: {e.Message}", e);
            }
            SetDirectoryMetadata();
            return new ImportResult(files, dirs, symlinks, hardLinks, bytes, refused);
        }

        void One(TarEntry e)
        {
            var path = RelativePath(e.Name, out var why) ?? throw new EntryRefused(why!);
            switch (e.EntryType)
            {
                case TarEntryType.Directory:
                    MakeDirectory(path, e);
                    return;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    WriteFile(path, e);
                    return;
                case TarEntryType.SymbolicLink:
                    MakeSymlink(path, e);
                    return;
                case TarEntryType.HardLink:
                    MakeHardLink(path, e);
                    return;
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                    if (!options.AllowDevices)
                        throw new EntryRefused($"it is a {Kind(e.EntryType)}; device nodes and fifos are refused unless AllowDevices is set");
                    MakeNode(path, e);
                    return;
                default:
                    throw new EntryRefused($"entry type {e.EntryType} is not supported (only files, directories, symlinks, hard links, devices and fifos)");
            }
        }

        static string Kind(TarEntryType t) => t switch
        {
            TarEntryType.CharacterDevice => "character device",
            TarEntryType.BlockDevice => "block device",
            _ => "fifo",
        };

        (int Dir, string Name) Parent(string path, bool create = true)
        {
            if (path.Length == 0) throw new EntryRefused("it names the root directory itself, which only a directory entry may");
            var slash = path.LastIndexOf('/');
            return (root.DirectoryFd(slash < 0 ? "" : path[..slash], create), path[(slash + 1)..]);
        }

        void MakeDirectory(string path, TarEntry e)
        {
            if (path.Length > 0)
            {
                var (dir, name) = Parent(path);
                root.MakeDirectory(dir, name, path);
            }
            directories[path] = (e.Name, Uid(e), Gid(e), Mode(e), Mtime(e));
            dirs++;
        }

        void WriteFile(string path, TarEntry e)
        {
            if (bytes + e.Length > options.MaxBytes) throw OverBudget(e.Length);   // refused before a byte is written
            var (dir, name) = Parent(path);
            var fd = root.CreateFile(dir, name, path);
            try
            {
                long written = 0;
                if (e.DataStream is { } data)
                    for (int n; (n = data.Read(buffer)) > 0;)
                    {
                        written += n;
                        if (bytes + written > options.MaxBytes) throw OverBudget(written);   // a header that lied
                        root.Write(fd, buffer.AsSpan(0, n), path);
                    }
                if (written != e.Length) throw new EndOfStreamException($"{path} has {written} of its {e.Length} bytes");
                root.SetMetadata(fd, Uid(e), Gid(e), Mode(e), Mtime(e), path);
                bytes += written;
                files++;
            }
            catch
            {
                root.Remove(dir, name);   // no partial file stays
                throw;
            }
            finally
            {
                Libc.close(fd);
            }
        }

        EntryRefused OverBudget(long size) => new(
            $"its {size} bytes would take the import past {options.MaxBytes} bytes (MaxBytes); the rest of the archive was not read",
            stopsImport: true);

        void MakeSymlink(string path, TarEntry e)
        {
            var target = e.LinkName;
            if (target.Length == 0) throw new EntryRefused("the symlink has an empty target");
            if (target.Contains('\0')) throw new EntryRefused("the symlink target contains a NUL byte");
            var (dir, name) = Parent(path);
            root.Symlink(target, dir, name, path);
            root.SetMetadataAt(dir, name, Uid(e), Gid(e), null, Mtime(e), path);
            symlinks++;
        }

        void MakeHardLink(string path, TarEntry e)
        {
            // Link names are member names: stripped and checked the same way.
            var target = RelativePath(e.LinkName, out var why)
                ?? throw new EntryRefused($"its hard link target {e.LinkName}: {why}");
            if (target.Length == 0) throw new EntryRefused("its hard link target is the root directory, which cannot be hard linked");
            (int Dir, string Name) t;
            try { t = Parent(target, create: false); }
            catch (EntryRefused r) { throw new EntryRefused($"its hard link target {e.LinkName} cannot be reached: {r.Message}"); }
            var (targetDir, targetName) = t;
            var st = root.Stat(targetDir, targetName, target)
                ?? throw new EntryRefused($"its hard link target {target} is not in the root");
            if (st.Type == S_IFDIR) throw new EntryRefused($"its hard link target {target} is a directory, which cannot be hard linked");
            if (target == path) return;   // a link to itself: already so
            var (dir, name) = Parent(path);
            root.Link(targetDir, targetName, dir, name, path);
            hardLinks++;
        }

        void MakeNode(string path, TarEntry e)
        {
            var (major, minor) = e is PosixTarEntry p ? (p.DeviceMajor, p.DeviceMinor) : (0, 0);
            var type = e.EntryType switch
            {
                TarEntryType.CharacterDevice => S_IFCHR,
                TarEntryType.BlockDevice => S_IFBLK,
                _ => S_IFIFO,
            };
            var (dir, name) = Parent(path);
            root.MakeNode(dir, name, type | 0x180, MakeDev((uint)major, (uint)minor), path);
            root.SetMetadataAt(dir, name, Uid(e), Gid(e), Mode(e), Mtime(e), path);
            files++;
        }

        void SetDirectoryMetadata()
        {
            foreach (var (path, m) in directories)
            {
                var fd = root.OpenDirectory(path);
                if (fd < 0) continue;   // replaced by a later entry
                try { root.SetMetadata(fd, m.Uid, m.Gid, m.Mode, m.Mtime, path.Length == 0 ? "." : path); }
                catch (EntryRefused r) { refused.Add(new RefusedEntry(m.Name, r.Message)); }
                finally { Libc.close(fd); }
            }
        }

        int? Uid(TarEntry e) => chown ? options.MapUid?.Invoke(e.Uid) ?? e.Uid : null;
        int? Gid(TarEntry e) => chown ? options.MapGid?.Invoke(e.Gid) ?? e.Gid : null;
        static int Mode(TarEntry e) => (int)e.Mode & 0xfff;

        static Timespec Mtime(TarEntry e)
        {
            var ticks = e.ModificationTime.UtcTicks - DateTime.UnixEpoch.Ticks;
            return new Timespec
            {
                Sec = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest) - (rest < 0 ? 1 : 0),
                Nsec = (rest < 0 ? rest + TimeSpan.TicksPerSecond : rest) * 100,
            };
        }
    }
}
