using System.Text.RegularExpressions;
using Playground.Engine.Rootfs;

namespace Playground.Tests.Rootfs.Elf;

/// <summary>ElfFile against what file(1) and size(1) say about the same files.</summary>
public sealed partial class ElfFileTests : IDisposable
{
    readonly string dir = HostTools.TempDir("pg-elffile-");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public static TheoryData<string> HostFiles =>
    [
        "/bin/bash", "/usr/bin/ls", "/bin/busybox",
        "/lib64/ld-linux-x86-64.so.2", // a symlink: file -L and TryRead follow it
        "/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libtinfo.so.6",
        "/usr/lib/x86_64-linux-gnu/crt1.o",
    ];

    [Theory]
    [MemberData(nameof(HostFiles))]
    public void Agrees_with_file_and_size(string path) => AssertLikeFileAndSize(path);

    [Fact]
    public void Agrees_on_static_static_pie_and_dynamic_builds()
    {
        var src = Path.Combine(dir, "hello.c");
        File.WriteAllText(src, HostTools.HelloC);
        foreach (var (name, flags) in new[] { ("dynamic", ""), ("static", "-static"), ("static-pie", "-static-pie") })
        {
            var output = Path.Combine(dir, name);
            HostTools.Ok("gcc", [.. flags.Split(' ', StringSplitOptions.RemoveEmptyEntries), "-o", output, src]);
            var e = AssertLikeFileAndSize(output);
            Assert.Equal(name != "dynamic", e.IsStatic);
        }
    }

    [Fact]
    public void Reads_a_32_bit_i386_file()
    {
        // binutils' own 32-bit mode: no multilib gcc needed.
        var asm = Path.Combine(dir, "exit.s");
        File.WriteAllText(asm, ".globl _start\n_start:\n movl $1,%eax\n xorl %ebx,%ebx\n int $0x80\n");
        HostTools.Ok("as", "--32", "-o", Path.Combine(dir, "exit.o"), asm);
        HostTools.Ok("ld", "-m", "elf_i386", "-o", Path.Combine(dir, "exit32"), Path.Combine(dir, "exit.o"));

        var e = AssertLikeFileAndSize(Path.Combine(dir, "exit32"));
        Assert.Equal(32, e.Bits);
        Assert.Equal("Intel 80386", e.Machine);
    }

    [Fact]
    public void Reads_the_dynamic_section_through_program_headers_when_section_headers_are_gone()
    {
        // What sstrip does: e_shoff, e_shnum and e_shstrndx zeroed. ld.so never reads section headers.
        var copy = Path.Combine(dir, "bash");
        File.Copy("/bin/bash", copy);
        using (var f = File.OpenWrite(copy))
        {
            f.Position = 0x28; f.Write(new byte[8]);
            f.Position = 0x3c; f.Write(new byte[4]);
        }
        var stripped = ElfFile.TryRead(copy)!;
        var original = ElfFile.TryRead("/bin/bash")!;
        Assert.Equal(original.Needed, stripped.Needed);
        Assert.Equal(original.Interpreter, stripped.Interpreter);
        Assert.Empty(stripped.Sections);
    }

    [Fact]
    public void Not_elf_is_null()
    {
        Assert.Null(ElfFile.TryRead("/etc/passwd"));
        Assert.Null(ElfFile.TryRead(Path.Combine(dir, "nothing-here")));
        var shortFile = Path.Combine(dir, "short");
        File.WriteAllBytes(shortFile, [0x7f, (byte)'E', (byte)'L', (byte)'F', 2]);
        Assert.Null(ElfFile.TryRead(shortFile));
    }

    [Fact]
    public void Reads_needed_soname_and_runpath()
    {
        var bash = ElfFile.TryRead("/bin/bash")!;
        Assert.Equal(["libtinfo.so.6", "libc.so.6"], bash.Needed);
        Assert.Null(bash.Soname);
        Assert.Equal("libc.so.6", ElfFile.TryRead("/lib/x86_64-linux-gnu/libc.so.6")!.Soname);

        var src = Path.Combine(dir, "lib.c");
        File.WriteAllText(src, "int f(void) { return 1; }\n");
        var lib = Path.Combine(dir, "libf.so");
        HostTools.Ok("gcc", "-shared", "-fPIC", "-Wl,-soname,libf.so.1", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/a:/opt/b", "-o", lib, src);
        var e = ElfFile.TryRead(lib)!;
        Assert.Equal("libf.so.1", e.Soname);
        Assert.Equal(["$ORIGIN/a", "/opt/b"], e.RunPath);
        Assert.Empty(e.RPath);
        HostTools.Ok("gcc", "-shared", "-fPIC", "-Wl,--disable-new-dtags,-rpath,/opt/c", "-o", lib, src);
        Assert.Equal(["/opt/c"], ElfFile.TryRead(lib)!.RPath);
    }

    /// <summary>Bits, machine, type, linkage and interpreter as file -L prints them; text, data and bss as size does.</summary>
    static ElfInfo AssertLikeFileAndSize(string path)
    {
        var e = ElfFile.TryRead(path);
        Assert.NotNull(e);
        var file = HostTools.Ok("file", "-L", "-b", path).Trim();
        var m = FileLine().Match(file);
        Assert.True(m.Success, file);
        Assert.Equal(int.Parse(m.Groups["bits"].Value), e.Bits);
        Assert.Equal(m.Groups["type"].Value, e.Type == "core" ? "core file" : e.Type);
        Assert.Equal(m.Groups["machine"].Value, e.Machine);
        Assert.Equal(file.Contains("statically linked") || file.Contains("static-pie linked"), e.IsStatic);
        if (e.Type != "relocatable") Assert.Equal(file.Contains("dynamically linked"), !e.IsStatic);
        Assert.Equal(Interpreter().Match(file) is { Success: true } i ? i.Groups[1].Value : null, e.Interpreter);

        // Every part of Describe is a part of file's line (file says more: version, BuildID, ABI).
        var parts = file.Split(", ");
        Assert.All(ElfFile.Describe(e).Split(", "), p => Assert.Contains(p, parts));

        var size = HostTools.Ok("size", "-B", path).Split('\n')[1].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal((long.Parse(size[0]), long.Parse(size[1]), long.Parse(size[2])), (e.Text, e.Data, e.Bss));
        return e;
    }

    [GeneratedRegex(@"^ELF (?<bits>32|64)-bit [LM]SB (?<type>[a-z -]+?), (?<machine>[^,]+),")]
    private static partial Regex FileLine();

    [GeneratedRegex(@"interpreter ([^,]+)")]
    private static partial Regex Interpreter();
}
