using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Playground.Engine.Interop;

namespace Playground.Tests.Rootfs.Import;

/// <summary>
/// A fresh temp dir holding the extraction root and, beside it, sentinels a hostile archive
/// would aim at: <c>secret</c>, <c>passwd</c>, <c>outside/keep</c>. <see cref="Outside"/> lists
/// everything in the temp dir except the root's subtree, to compare before and after.
/// </summary>
public sealed class Enclosure : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("pg-import-").FullName;
    public string Root => Path.Combine(Dir, "root");
    public string OutsideDir => Path.Combine(Dir, "outside");

    public Enclosure()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(OutsideDir);
        File.WriteAllText(Path.Combine(Dir, "secret"), "secret\n");
        File.WriteAllText(Path.Combine(Dir, "passwd"), "root:x:0:0::/root:/bin/sh\n");
        File.WriteAllText(Path.Combine(OutsideDir, "keep"), "keep\n");
    }

    public IReadOnlyList<string> Outside() => Tree.List(Dir, skip: Root);

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

/// <summary>A whole tree as lines (type, mode, owner, size, mtime, link target, content hash), without following symlinks.</summary>
public static class Tree
{
    public sealed record Node(string Path, int Type, int Mode, uint Uid, uint Gid, ulong Size, long MtimeSec, uint MtimeNsec,
        ulong Ino, uint Nlink, uint RdevMajor, uint RdevMinor, string? LinkTarget, string? Sha256);

    public static unsafe Node? Stat(string path, string rel)
    {
        FileAt.Statx st;
        if (FileAt.statx(-100, path, FileAt.AT_SYMLINK_NOFOLLOW, FileAt.STATX_BASIC_STATS, &st) < 0) return null;
        var type = st.Type;
        return new Node(rel, type, st.Mode & 0xfff, st.Uid, st.Gid, type == FileAt.S_IFDIR ? 0 : st.Size, st.MtimeSec, st.MtimeNsec,
            st.Ino, st.Nlink, st.RdevMajor, st.RdevMinor,
            type == FileAt.S_IFLNK ? new FileInfo(path).LinkTarget : null,
            type == FileAt.S_IFREG ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) : null);
    }

    /// <summary>Every node under <paramref name="dir"/> (itself as "."), sorted by path.</summary>
    public static List<Node> Nodes(string dir, string? skip = null)
    {
        var nodes = new List<Node>();
        void Walk(string full, string rel)
        {
            if (skip is not null && full == skip) return;
            var n = Stat(full, rel)!;
            nodes.Add(n);
            if (n.Type != FileAt.S_IFDIR) return;
            foreach (var child in Directory.GetFileSystemEntries(full).Order(StringComparer.Ordinal))
                Walk(child, rel == "." ? Path.GetFileName(child) : rel + "/" + Path.GetFileName(child));
        }
        Walk(dir, ".");
        return nodes.OrderBy(n => n.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>Lines to compare; inode numbers left out (they differ between two trees), link counts kept.</summary>
    public static List<string> List(string dir, string? skip = null) =>
        Nodes(dir, skip).Select(n => n with { Ino = 0 }).Select(n => n.ToString()).ToList();
}

/// <summary>Archives built by the tests: TarWriter for what it writes, header bytes by hand for what it will not.</summary>
public static class Archive
{
    public static readonly DateTimeOffset Mtime = new(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);

    public static byte[] Tar(Action<TarWriter> write, TarEntryFormat format = TarEntryFormat.Pax)
    {
        var ms = new MemoryStream();
        using (var w = new TarWriter(ms, format, leaveOpen: true)) write(w);
        return ms.ToArray();
    }

    public static PaxTarEntry File(string name, string content = "x\n", int mode = 0x1a4, int uid = 0, int gid = 0) =>
        File(name, Encoding.UTF8.GetBytes(content), mode, uid, gid);

    public static PaxTarEntry File(string name, byte[] content, int mode = 0x1a4, int uid = 0, int gid = 0) =>
        new(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(content), Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = Mtime,
        };

    public static PaxTarEntry Dir(string name, int mode = 0x1ed, int uid = 0, int gid = 0) =>
        new(TarEntryType.Directory, name) { Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = Mtime };

    public static PaxTarEntry Symlink(string name, string target) =>
        new(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0x1ff, ModificationTime = Mtime };

    public static PaxTarEntry HardLink(string name, string target) =>
        new(TarEntryType.HardLink, name) { LinkName = target, Mode = (UnixFileMode)0x1a4, ModificationTime = Mtime };

    public static void Write(this TarWriter w, params TarEntry[] entries)
    {
        foreach (var e in entries) w.WriteEntry(e);
    }

    /// <summary>
    /// A ustar header written byte by byte: for sizes TarWriter would want a real stream of
    /// (a decompression bomb's gigabyte of zeros) or types it does not write.
    /// </summary>
    public static byte[] UstarHeader(string name, long size, char type = '0', int mode = 0x1a4)
    {
        var h = new byte[512];
        void Put(int at, int len, string s) => Encoding.ASCII.GetBytes(s).AsSpan(0, Math.Min(len, s.Length)).CopyTo(h.AsSpan(at));
        void Octal(int at, int len, long v) => Put(at, len, Convert.ToString(v, 8).PadLeft(len - 1, '0') + "\0");
        Put(0, 100, name);
        Octal(100, 8, mode);
        Octal(108, 8, 0);
        Octal(116, 8, 0);
        Octal(124, 12, size);
        Octal(136, 12, Mtime.ToUnixTimeSeconds());
        h[156] = (byte)type;
        Put(257, 6, "ustar\0");
        Put(263, 2, "00");
        "        "u8.CopyTo(h.AsSpan(148));
        var sum = h.Sum(b => (long)b);
        Put(148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        return h;
    }
}

/// <summary>Programs the tests compare with or compress with; a missing one fails the test, naming the package.</summary>
public static class Tools
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, byte[]? stdin = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"{file} is not installed: scripts/install-deps.sh installs it (Debian: tar, xz-utils, zstd)");
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (stdin is not null) p.StandardInput.BaseStream.Write(stdin);
            p.StandardInput.Close();
            p.WaitForExit();
            return (p.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>The bytes a compressor writes for <paramref name="data"/> (e.g. <c>xz -c</c>).</summary>
    public static byte[] Compress(string tool, byte[] data)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"{tool} is not installed: scripts/install-deps.sh installs it (Debian: gzip, xz-utils, zstd)");
        }
        using (p)
        {
            var output = new MemoryStream();
            var copy = p.StandardOutput.BaseStream.CopyToAsync(output);
            p.StandardInput.BaseStream.Write(data);
            p.StandardInput.Close();
            copy.Wait();
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            return output.ToArray();
        }
    }

    /// <summary>GNU tar extracting as root (<c>tar -xpf</c>); its exit code and stderr.</summary>
    public static (int ExitCode, string Stderr) GnuTarExtract(byte[] tar, string dir, bool mustSucceed = true)
    {
        var file = Path.Combine(Path.GetTempPath(), $"pg-import-{Guid.NewGuid():N}.tar");
        System.IO.File.WriteAllBytes(file, tar);
        try
        {
            var (code, _, err) = Run("tar", ["-xpf", file, "-C", dir]);
            if (mustSucceed) Assert.True(code == 0, $"tar -xpf: {err}");
            return (code, err);
        }
        finally { System.IO.File.Delete(file); }
    }
}
