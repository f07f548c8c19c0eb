using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using ELFSharp.ELF.Segments;

namespace Playground.Engine.Rootfs;

/// <summary>
/// What <c>file</c> and <c>size</c> would say about an ELF file, and what the dynamic linker
/// reads from it: the interpreter (PT_INTERP) and the dynamic section's DT_NEEDED, DT_RUNPATH,
/// DT_RPATH and DT_SONAME (elf(5)).
/// </summary>
/// <param name="Type">"executable", "pie executable", "shared object", "relocatable" or "core", as file(1) words it.</param>
/// <param name="IsStatic">file(1)'s "statically linked" or "static-pie linked": nothing has to be loaded beside it.</param>
/// <param name="RPath">Empty when the file also has a RUNPATH: glibc then ignores DT_RPATH.</param>
/// <param name="Text">The three numbers <c>size</c> prints (Berkeley format).</param>
public sealed record ElfInfo(
    string Path, int Bits, string Machine, string Type,
    bool IsStatic, string? Interpreter, IReadOnlyList<string> Needed, IReadOnlyList<string> RunPath, IReadOnlyList<string> RPath, string? Soname,
    long Text, long Data, long Bss, IReadOnlyList<ElfSection> Sections)
{
    /// <summary>"LSB" or "MSB", as file(1) prints the byte order.</summary>
    public string ByteOrder { get; init; } = "LSB";

    /// <summary>e_machine, for matching a library to the object that needs it.</summary>
    internal int MachineCode { get; init; }

    /// <summary>DF_1_NODEFLIB: the linker must not search the cache or the default directories for its needs.</summary>
    internal bool NoDefaultLib { get; init; }

    /// <summary>Whether a library of <paramref name="other"/>'s class and machine could be loaded beside this one.</summary>
    internal bool SameAbi(ElfInfo other) => Bits == other.Bits && MachineCode == other.MachineCode && ByteOrder == other.ByteOrder;
}

public sealed record ElfSection(string Name, long Size);

public static class ElfFile
{
    // Dynamic tags and flags (elf(5), <elf.h>).
    const ulong DtFlags1 = 0x6ffffffb, Df1NoDefLib = 0x800, Df1Pie = 0x08000000;
    const ulong DtNeeded = 1, DtStrTab = 5, DtSoname = 14, DtRPath = 15, DtRunPath = 29;
    const uint ShfWrite = 0x1, ShfAlloc = 0x2, ShfExecInstr = 0x4;

    /// <summary>The ELF facts about <paramref name="path"/> (symlinks followed), or null when it is not an ELF file.</summary>
    public static ElfInfo? TryRead(string path)
    {
        if (!HasElfMagic(path)) return null;
        try
        {
            if (!ELFReader.TryLoad(path, out var elf)) return null;
            using (elf)
                return elf switch
                {
                    ELF<ulong> e64 => Read(path, e64, 64),
                    ELF<uint> e32 => Read(path, e32, 32),
                    _ => null,
                };
        }
        // ELFSharp reports a damaged file with whatever its reader hit; to us it is "not ELF we can read".
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException
                                      or InvalidOperationException or IndexOutOfRangeException or ArithmeticException
                                      or KeyNotFoundException or NotSupportedException or NullReferenceException)
        {
            return null;
        }
    }

    /// <summary>A line in the words of file(1), e.g. "ELF 64-bit LSB pie executable, x86-64, dynamically linked, interpreter /lib64/ld-linux-x86-64.so.2, stripped".</summary>
    public static string Describe(ElfInfo e)
    {
        var parts = new List<string> { $"ELF {e.Bits}-bit {e.ByteOrder} {(e.Type == "core" ? "core file" : e.Type)}", e.Machine };
        if (e.Type is not ("relocatable" or "core"))
        {
            parts.Add(Linkage(e));
            if (e.Interpreter is not null) parts.Add($"interpreter {e.Interpreter}");
        }
        if (e.Type != "core") parts.Add(e.Sections.Any(s => s.Name == ".symtab") ? "not stripped" : "stripped");
        return string.Join(", ", parts);
    }

    static string Linkage(ElfInfo e) =>
        !e.IsStatic ? "dynamically linked" : e.Type == "pie executable" ? "static-pie linked" : "statically linked";

    static bool HasElfMagic(string path)
    {
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            Span<byte> magic = stackalloc byte[4];
            return f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("\u007fELF"u8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    static ElfInfo Read<T>(string path, ELF<T> elf, int bits) where T : struct
    {
        var segments = elf.Segments;
        string? interpreter = segments.FirstOrDefault(s => s.Type == SegmentType.Interpreter) is { } interp
            ? System.Text.Encoding.ASCII.GetString(interp.GetFileContents()).TrimEnd('\0')
            : null;
        bool hasDynamic = segments.Any(s => s.Type == SegmentType.Dynamic);
        var dynamic = DynamicEntries(elf);

        var needed = new List<string>();
        var runPath = new List<string>();
        var rPath = new List<string>();
        string? soname = null;
        ulong flags1 = 0;
        foreach (var (tag, value) in dynamic.Entries)
        {
            switch (tag)
            {
                case DtNeeded: needed.Add(dynamic.String(value)); break;
                case DtSoname: soname = dynamic.String(value); break;
                case DtRunPath: runPath.AddRange(SplitPath(dynamic.String(value))); break;
                case DtRPath: rPath.AddRange(SplitPath(dynamic.String(value))); break;
                case DtFlags1: flags1 = value; break;
            }
        }
        // "If both DT_RUNPATH and DT_RPATH are present, DT_RPATH is ignored" (ld.so(8), glibc's get-dynamic-info.h).
        if (runPath.Count > 0) rPath.Clear();

        bool pie = (flags1 & Df1Pie) != 0;
        var type = elf.Type switch
        {
            FileType.Executable => "executable",
            FileType.SharedObject => pie ? "pie executable" : "shared object",
            FileType.Relocatable => "relocatable",
            FileType.Core => "core",
            _ => $"type {(int)elf.Type}",
        };
        // As file(1): no PT_DYNAMIC is "statically linked"; a PIE with PT_DYNAMIC but no interpreter relocates itself ("static-pie").
        bool isStatic = elf.Type is FileType.Executable or FileType.SharedObject && (!hasDynamic || (pie && interpreter is null));

        var sections = new List<ElfSection>();
        long text = 0, data = 0, bss = 0;
        // ELFSharp reads section headers even at offset 0; without e_shoff there are none.
        foreach (var s in elf.HasSectionHeader ? elf.Sections : [])
        {
            if (s.Type == SectionType.Null) continue;
            long size = Convert.ToInt64(s.Size);
            ulong raw = Convert.ToUInt64(s.RawFlags);
            sections.Add(new ElfSection(s.Name, size));
            // size(1)'s Berkeley sums over allocated sections: code or read-only is text, what has
            // file contents is data, the rest (SHT_NOBITS) bss.
            if ((raw & ShfAlloc) == 0) continue;
            if ((raw & ShfExecInstr) != 0 || (raw & ShfWrite) == 0) text += size;
            else if (s.Type != SectionType.NoBits) data += size;
            else bss += size;
        }

        return new ElfInfo(path, bits, MachineName((int)elf.Machine), type, isStatic, interpreter,
            needed, runPath, rPath, soname, text, data, bss, sections)
        {
            ByteOrder = elf.Endianess == ELFSharp.Endianess.BigEndian ? "MSB" : "LSB",
            MachineCode = (int)elf.Machine,
            NoDefaultLib = (flags1 & Df1NoDefLib) != 0,
        };
    }

    /// <summary>DT_* entries and a way to read their strings.</summary>
    sealed record Dynamic(IReadOnlyList<(ulong Tag, ulong Value)> Entries, Func<ulong, string> String);

    static Dynamic DynamicEntries<T>(ELF<T> elf) where T : struct
    {
        var section = elf.HasSectionHeader ? elf.GetSections<DynamicSection<T>>().FirstOrDefault() : null;
        if (section is not null && elf.TryGetSection(".dynstr", out var s) && s is StringTable<T> strings)
        {
            var entries = section.Entries.Select(e => ((ulong)e.Tag, Convert.ToUInt64(e.Value))).ToList();
            return new Dynamic(entries, offset => strings[(long)offset]);
        }
        return DynamicFromSegments(elf);
    }

    /// <summary>
    /// The dynamic entries as the loader finds them, through PT_DYNAMIC and DT_STRTAB, for a file
    /// whose section headers were stripped (sstrip): ld.so never reads section headers.
    /// </summary>
    static Dynamic DynamicFromSegments<T>(ELF<T> elf) where T : struct
    {
        var segment = elf.Segments.FirstOrDefault(s => s.Type == SegmentType.Dynamic);
        if (segment is null) return new Dynamic([], _ => "");
        var bytes = segment.GetFileContents();
        bool is64 = elf.Class == Class.Bit64, big = elf.Endianess == ELFSharp.Endianess.BigEndian;
        int word = is64 ? 8 : 4;
        ulong Word(byte[] b, int at) => (is64, big) switch
        {
            (true, false) => System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at)),
            (true, true) => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(at)),
            (false, false) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at)),
            (false, true) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at)),
        };
        var entries = new List<(ulong, ulong)>();
        for (int at = 0; at + 2 * word <= bytes.Length; at += 2 * word)
        {
            var tag = Word(bytes, at);
            if (tag == 0) break; // DT_NULL ends the array
            entries.Add((tag, Word(bytes, at + word)));
        }
        // DT_STRTAB is an address: find the PT_LOAD that maps it to learn its place in the file.
        var strtab = entries.FirstOrDefault(e => e.Item1 == DtStrTab).Item2;
        var load = elf.Segments.FirstOrDefault(s => s.Type == SegmentType.Load &&
            Convert.ToUInt64(s.Address) <= strtab && strtab < Convert.ToUInt64(s.Address) + (ulong)s.FileSize);
        if (load is null) return new Dynamic(entries, _ => "");
        var image = load.GetFileContents();
        var start = (long)(strtab - Convert.ToUInt64(load.Address));
        return new Dynamic(entries, offset =>
        {
            long from = start + (long)offset, end = from;
            while (end < image.Length && image[end] != 0) end++;
            return from < image.Length ? System.Text.Encoding.UTF8.GetString(image, (int)from, (int)(end - from)) : "";
        });
    }

    /// <summary>A search path as the linker splits it: on ':', dropping empty elements (ld.so reads those as the working directory).</summary>
    static IEnumerable<string> SplitPath(string path) => path.Split(':', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>e_machine in file(1)'s words (its magic/Magdir/elf), for the machines a playground meets.</summary>
    internal static string MachineName(int machine) => machine switch
    {
        3 => "Intel 80386",
        8 => "MIPS",
        20 => "PowerPC or cisco 4500",
        21 => "64-bit PowerPC or cisco 7500",
        22 => "IBM S/390",
        40 => "ARM",
        43 => "SPARC V9",
        50 => "IA-64",
        62 => "x86-64",
        183 => "ARM aarch64",
        243 => "UCB RISC-V",
        258 => "LoongArch",
        _ => $"machine {machine}",
    };
}
