using Playground.Engine.Rootfs;

namespace Playground.Tests.Rootfs.Elf;

/// <summary>ElfClosure against ldd (the dynamic linker itself, in list mode) and against chroot.</summary>
public sealed class ElfClosureTests : IDisposable
{
    readonly string dir = HostTools.TempDir("pg-closure-");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("/bin/bash")]
    [InlineData("/usr/bin/ls")]
    public void Host_program_closure_is_what_ldd_prints(string program)
    {
        var closure = ElfClosure.Of(program);

        Assert.Equal(program, closure.Files[0]);
        Assert.Equal(HostTools.Ldd(program), new SortedSet<string>(closure.Files.Skip(1), StringComparer.Ordinal));
        Assert.Empty(closure.Missing);
        Assert.Equal(closure.Files.Count, closure.Files.Distinct().Count());
        // The interpreter is named as PT_INTERP names it, the symlink ldd prints too.
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", closure.Files[1]);
    }

    /// <summary>
    /// prog needs liba, liba needs libb, both in deps/. DT_RPATH of the program is inherited by
    /// liba's search; DT_RUNPATH is not (it serves the program's own needs only) unless liba has
    /// its own. ldd decides what is right.
    /// </summary>
    [Theory]
    [InlineData("rpath", true)]
    [InlineData("runpath", false)]
    [InlineData("runpath-and-lib-runpath", true)]
    public void Rpath_is_inherited_and_runpath_is_not(string kind, bool libbFound)
    {
        var deps = Path.Combine(dir, "deps");
        Directory.CreateDirectory(deps);
        File.WriteAllText(Path.Combine(dir, "b.c"), "int b(void) { return 2; }\n");
        File.WriteAllText(Path.Combine(dir, "a.c"), "int b(void);\nint a(void) { return b() + 1; }\n");
        File.WriteAllText(Path.Combine(dir, "main.c"), "int a(void);\nint main(void) { return a() == 3 ? 0 : 1; }\n");
        HostTools.Ok("gcc", "-shared", "-fPIC", "-o", Path.Combine(deps, "libb.so"), Path.Combine(dir, "b.c"));
        string[] libRunpath = kind == "runpath-and-lib-runpath" ? ["-Wl,--enable-new-dtags,-rpath,$ORIGIN"] : [];
        HostTools.Ok("gcc", ["-shared", "-fPIC", "-o", Path.Combine(deps, "liba.so"), Path.Combine(dir, "a.c"), $"-L{deps}", "-lb", .. libRunpath]);
        var tags = kind == "rpath" ? $"-Wl,--disable-new-dtags,-rpath,{deps}" : "-Wl,--enable-new-dtags,-rpath,$ORIGIN/deps";
        var prog = Path.Combine(dir, "prog");
        HostTools.Ok("gcc", "-o", prog, Path.Combine(dir, "main.c"), $"-L{deps}", "-la", tags, $"-Wl,-rpath-link,{deps}");

        var closure = ElfClosure.Of(prog);
        var ldd = HostTools.Ldd(prog);
        var mine = new SortedSet<string>(closure.Files.Skip(1).Concat(closure.Missing.Select(m => "not found:" + m)), StringComparer.Ordinal);

        Assert.Equal(ldd, mine);
        Assert.Equal(libbFound, closure.Files.Contains(Path.Combine(deps, "libb.so")));
        Assert.Equal(!libbFound, closure.Missing.Contains("libb.so"));
        Assert.Equal(libbFound ? 0 : 127, HostTools.Run(prog).Exit);
    }

    [Fact]
    public void A_library_of_another_class_is_passed_over()
    {
        // A 32-bit "libc.so.6" first in the program's RUNPATH: ld.so skips it for the 64-bit one.
        var lib32 = Path.Combine(dir, "lib32");
        Directory.CreateDirectory(lib32);
        File.WriteAllText(Path.Combine(dir, "x.s"), ".globl f\nf:\n ret\n");
        HostTools.Ok("as", "--32", "-o", Path.Combine(dir, "x.o"), Path.Combine(dir, "x.s"));
        HostTools.Ok("ld", "-m", "elf_i386", "-shared", "-soname", "libc.so.6", "-o", Path.Combine(lib32, "libc.so.6"), Path.Combine(dir, "x.o"));
        File.WriteAllText(Path.Combine(dir, "hello.c"), HostTools.HelloC);
        var prog = Path.Combine(dir, "hello");
        HostTools.Ok("gcc", "-o", prog, Path.Combine(dir, "hello.c"), "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib32");

        var closure = ElfClosure.Of(prog);

        Assert.DoesNotContain(Path.Combine(lib32, "libc.so.6"), closure.Files);
        Assert.Equal(HostTools.Ldd(prog), new SortedSet<string>(closure.Files.Skip(1), StringComparer.Ordinal));
    }

    [Fact]
    public void Resolves_inside_a_rootfs_without_leaving_it()
    {
        var root = Path.Combine(dir, "root");
        var host = ElfClosure.Of("/bin/bash");
        RootfsFiles.CopyInto(root, host.Files);

        var inside = ElfClosure.Of("/bin/bash", root);
        Assert.Equal(host.Files.Select(f => root + f), inside.Files);
        Assert.Empty(inside.Missing);

        // /lib64/ld-linux-x86-64.so.2 is an absolute link to /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2:
        // without its target in the rootfs it is missing, although the host has that path.
        var interpTarget = new RootView(root).Resolve("/lib64/ld-linux-x86-64.so.2")!;
        Assert.StartsWith(root + "/", interpTarget);
        File.Delete(interpTarget);
        Assert.True(File.Exists(new FileInfo("/lib64/ld-linux-x86-64.so.2").LinkTarget ?? "/lib64/ld-linux-x86-64.so.2"));
        var broken = ElfClosure.Of("/bin/bash", root);
        // libc.so.6 needs the linker by its soname, which is then nowhere either.
        Assert.Equal(["/lib64/ld-linux-x86-64.so.2", "ld-linux-x86-64.so.2"], broken.Missing);
        Assert.Null(broken.Tree.Children[0].Path);
        Assert.True(broken.Tree.Children[0].IsInterpreter);

        // And an absolute link the host could not follow is followed inside the rootfs.
        var libc = new RootView(root).Resolve("/lib/x86_64-linux-gnu/libc.so.6")!;
        var moved = Path.Combine(Path.GetDirectoryName(libc)!, "libc-only-in-this-root.so");
        File.Move(libc, moved);
        File.CreateSymbolicLink(libc, "/" + Path.GetRelativePath(root, moved));
        Assert.Contains(root + "/lib/x86_64-linux-gnu/libc.so.6", ElfClosure.Of("/bin/bash", root).Files);
    }

    [Fact]
    public void Uses_the_ld_so_cache_of_the_root()
    {
        // libtinfo moved to a directory only the cache knows: ldconfig -r writes the rootfs's cache.
        var root = Path.Combine(dir, "root");
        RootfsFiles.CopyInto(root, ElfClosure.Of("/bin/bash").Files);
        var view = new RootView(root);
        var tinfo = view.Resolve("/lib/x86_64-linux-gnu/libtinfo.so.6")!;
        Directory.CreateDirectory(Path.Combine(root, "opt/tinfo"));
        File.Move(tinfo, Path.Combine(root, "opt/tinfo/libtinfo.so.6"));
        File.Delete(view.Host("/lib/x86_64-linux-gnu/libtinfo.so.6"));
        Assert.Equal(["libtinfo.so.6"], ElfClosure.Of("/bin/bash", root).Missing);
        Assert.Equal(127, HostTools.Run("/usr/sbin/chroot", root, "/bin/bash", "-c", "echo $((6*7))").Exit);

        Directory.CreateDirectory(Path.Combine(root, "etc"));
        File.WriteAllText(Path.Combine(root, "etc/ld.so.conf"), "/opt/tinfo\n");
        HostTools.Ok("/sbin/ldconfig", "-r", root);

        var closure = ElfClosure.Of("/bin/bash", root);
        Assert.Empty(closure.Missing);
        Assert.Contains(root + "/opt/tinfo/libtinfo.so.6", closure.Files);
        Assert.Equal("42\n", HostTools.Ok("/usr/sbin/chroot", root, "/bin/bash", "-c", "echo $((6*7))"));
    }

    [Fact]
    public void Reads_the_hosts_ld_so_cache_as_ldconfig_prints_it()
    {
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in HostTools.Ok("/sbin/ldconfig", "-p").Split('\n').Skip(1))
        {
            var arrow = line.IndexOf(" => ", StringComparison.Ordinal);
            if (arrow < 0) continue;
            expected.Add($"{line.Trim().Split(' ')[0]} {line[(arrow + 4)..].Trim()}");
        }
        var cache = LdSoCache.Load("/etc/ld.so.cache");

        Assert.NotEmpty(expected);
        Assert.Equal(expected, new SortedSet<string>(cache.Entries.Select(e => $"{e.Name} {e.Path}"), StringComparer.Ordinal));
        Assert.All(cache.Entries.Where(e => e.Path.Contains("x86_64-linux-gnu")), e => Assert.Equal(0x0303, e.Flags));
    }

    [Fact]
    public void Renders_one_line_per_object_indented()
    {
        var text = ElfClosure.Render(ElfClosure.Of("/bin/bash").Tree);
        Assert.Equal(
            """
            /bin/bash
              /lib64/ld-linux-x86-64.so.2 (interpreter)
              libtinfo.so.6 → /lib/x86_64-linux-gnu/libtinfo.so.6
                libc.so.6 → /lib/x86_64-linux-gnu/libc.so.6
                  ld-linux-x86-64.so.2 → /lib64/ld-linux-x86-64.so.2 (above)
              libc.so.6 → /lib/x86_64-linux-gnu/libc.so.6 (above)

            """, text);

        var missing = new ClosureNode("/foo", "/foo", [new ClosureNode("libnope.so.1", null, [])]);
        Assert.Equal("/foo\n  libnope.so.1 → not found\n", ElfClosure.Render(missing));
    }

    [Fact]
    public void Refuses_a_missing_program_and_one_that_is_not_elf()
    {
        Assert.Throws<FileNotFoundException>(() => ElfClosure.Of(Path.Combine(dir, "nothing")));
        Assert.Throws<FileNotFoundException>(() => ElfClosure.Of("/bin/bash", dir));
        Assert.Throws<InvalidDataException>(() => ElfClosure.Of("/etc/passwd"));
    }
}
