using System.Buffers.Binary;
using System.Text;

namespace Playground.Engine.Rootfs;

/// <summary>
/// glibc's /etc/ld.so.cache, the list ldconfig(8) writes of "soname → path" for every library in
/// the trusted directories and those of /etc/ld.so.conf. Only the format glibc has written since
/// 2.32 ("glibc-ld.so.cache1.1", possibly after an old "ld.so-1.7.0" part) is read; an older or
/// damaged cache reads as empty, as the dynamic linker then also falls back to its default directories.
/// </summary>
internal sealed class LdSoCache
{
    /// <summary>One library. <paramref name="Flags"/> says for which ABI it is (FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 …).</summary>
    internal sealed record Entry(int Flags, string Name, string Path, ulong Hwcap);

    const string NewMagic = "glibc-ld.so.cache1.1", OldMagic = "ld.so-1.7.0";
    const int NewHeaderSize = 48, NewEntrySize = 24, OldHeaderSize = 16, OldEntrySize = 12;
    // glibc's sysdeps/generic/ldconfig.h: the low byte is the kind of library, the next the ABI.
    const int FlagElf = 0x0001, FlagElfLibc6 = 0x0003;
    // dl-cache.h: an entry for a glibc-hwcaps subdirectory (e.g. x86-64-v3) rather than the base directory.
    const ulong HwcapExtension = 1UL << 62;

    public static LdSoCache Empty { get; } = new([]);

    public IReadOnlyList<Entry> Entries { get; }
    readonly ILookup<string, Entry> byName;

    LdSoCache(IReadOnlyList<Entry> entries)
    {
        Entries = entries;
        byName = entries.ToLookup(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>Reads the cache at <paramref name="hostPath"/>; <see cref="Empty"/> when it is missing or not one we can read.</summary>
    public static LdSoCache Load(string hostPath)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(hostPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Empty; }
        return Parse(bytes);
    }

    public static LdSoCache Parse(ReadOnlySpan<byte> file)
    {
        int start = 0;
        if (StartsWith(file, OldMagic))
        {
            // The old table comes first; the new one follows it, aligned to 8 (dl-cache.c, ALIGN_CACHE).
            if (file.Length < OldHeaderSize) return Empty;
            long old = BinaryPrimitives.ReadUInt32LittleEndian(file[12..]);
            long end = OldHeaderSize + old * OldEntrySize;
            start = (int)Math.Min((end + 7) & ~7L, file.Length);
        }
        var cache = file[start..];
        if (!StartsWith(cache, NewMagic) || cache.Length < NewHeaderSize) return Empty;

        // The header says its byte order (cache_file_new_flags_endian_*): 2 little, 3 big, 0 "as this machine".
        bool big = cache[28] == 3;
        uint U32(ReadOnlySpan<byte> s) => big ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
        ulong U64(ReadOnlySpan<byte> s) => big ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s);

        long count = U32(cache[20..]);
        if (NewHeaderSize + count * NewEntrySize > cache.Length) return Empty;
        var entries = new List<Entry>((int)count);
        for (int i = 0; i < count; i++)
        {
            var e = cache.Slice(NewHeaderSize + i * NewEntrySize, NewEntrySize);
            // Key and value are offsets of NUL-terminated strings from the start of the new header.
            var name = CString(cache, U32(e[4..]));
            var path = CString(cache, U32(e[8..]));
            if (name is null || path is null) return Empty;
            entries.Add(new Entry((int)U32(e), name, path, U64(e[16..])));
        }
        return new LdSoCache(entries);
    }

    /// <summary>
    /// The paths the cache gives for <paramref name="name"/> for an object of <paramref name="abi"/>, best first.
    /// Entries for glibc-hwcaps subdirectories come last: which of them ld.so takes depends on the CPU.
    /// </summary>
    public IEnumerable<string> Lookup(string name, ElfInfo abi)
    {
        var wanted = CacheId(abi);
        return byName[name]
            .Where(e => wanted is { } id ? e.Flags == id || e.Flags == FlagElf : (e.Flags & 0xff) is FlagElf or FlagElfLibc6)
            .OrderBy(e => (e.Hwcap & HwcapExtension) != 0)
            .Select(e => e.Path);
    }

    /// <summary>
    /// _DL_CACHE_DEFAULT_ID of the dynamic linker that loads an object of this class and machine
    /// (sysdeps/*/dl-cache.h), or null when we do not know it: then every ELF entry is a candidate
    /// and the class/machine check on the file decides.
    /// </summary>
    static int? CacheId(ElfInfo abi) => (abi.MachineCode, abi.Bits) switch
    {
        (62, 64) => 0x0303,  // x86-64: FLAG_X8664_LIB64
        (62, 32) => 0x0803,  // x32: FLAG_X8664_LIBX32
        (3, 32) => 0x0003,   // i386: no ABI flag
        (183, 64) => 0x0a03, // aarch64: FLAG_AARCH64_LIB64
        _ => null,
    };

    static bool StartsWith(ReadOnlySpan<byte> s, string magic) =>
        s.Length >= magic.Length && s[..magic.Length].SequenceEqual(Encoding.ASCII.GetBytes(magic));

    static string? CString(ReadOnlySpan<byte> s, uint offset)
    {
        if (offset >= s.Length) return null;
        var rest = s[(int)offset..];
        int end = rest.IndexOf((byte)0);
        return end < 0 ? null : Encoding.UTF8.GetString(rest[..end]);
    }
}
