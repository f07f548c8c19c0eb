using Playground.Engine;
using Playground.Engine.Interop;
using Playground.Engine.Rootfs;
using Playground.Engine.Spec;
using Playground.Tests.Launch;

namespace Playground.Tests.Rootfs.Elf;

/// <summary>The workshop's hello.c: static it runs in an empty root; dynamic it fails until the doctor copies its interpreter and libc.</summary>
[Collection("sandbox")]
public sealed class RootfsCompilerTests(SandboxFixture f)
{
    (string Root, string Source) Empty(string name)
    {
        var root = Path.Combine(f.Dir, $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var source = Path.Combine(f.Dir, $"{name}-{Guid.NewGuid():N}.c");
        File.WriteAllText(source, HostTools.HelloC);
        return (root, source);
    }

    [Fact]
    public void Static_hello_runs_in_an_otherwise_empty_rootfs()
    {
        var (root, source) = Empty("static");

        var result = RootfsCompiler.Compile(root, source, isStatic: true);

        Assert.True(result.Ok, result.Diagnostics);
        Assert.Equal("/hello", result.OutputPath);
        Assert.Equal(["hello"], Directory.GetFileSystemEntries(root).Select(Path.GetFileName));
        Assert.True(ElfFile.TryRead(Path.Combine(root, "hello"))!.IsStatic);
        var r = f.Run(SandboxSpec.Default(root, "/hello"));
        Assert.True(r.Exit.Code == 0, r.Err);
        Assert.Equal("Hello, World!\n", r.Out);
    }

    [Fact]
    public void Dynamic_hello_fails_under_chroot_and_the_engine_until_fixed()
    {
        var (root, source) = Empty("dynamic");

        var result = RootfsCompiler.Compile(root, source, isStatic: false);
        Assert.True(result.Ok, result.Diagnostics);

        // The workshop's "Foiled!": the kernel cannot find the interpreter, and says the program is missing.
        var chroot = HostTools.Run("/usr/sbin/chroot", root, "/hello");
        Assert.Equal(127, chroot.Exit);
        Assert.Contains("No such file or directory", chroot.Err);
        var e = Assert.Throws<SandboxException>(() => f.Engine.Launch(SandboxSpec.Default(root, "/hello")));
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains("ELF interpreter /lib64/ld-linux-x86-64.so.2 is missing", e.Message);

        var finding = Assert.Single(RootfsDoctor.Examine(root));
        Assert.Equal("/hello", finding.File);
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", finding.MissingInterpreter);
        Assert.Equal(["libc.so.6"], finding.MissingLibraries);

        Assert.NotEmpty(RootfsDoctor.Fix(root));
        Assert.Equal("Hello, World!\n", HostTools.Ok("/usr/sbin/chroot", root, "/hello"));
        var r = f.Run(SandboxSpec.Default(root, "/hello"));
        Assert.True(r.Exit.Code == 0, r.Err);
        Assert.Equal("Hello, World!\n", r.Out);
    }

    [Fact]
    public void Compile_errors_come_back_as_gccs_diagnostics()
    {
        var (root, source) = Empty("broken");
        File.WriteAllText(source, "int main(void) { return undeclared; }\n");

        var result = RootfsCompiler.Compile(root, source, isStatic: false, output: "/usr/local/bin/broken");

        Assert.False(result.Ok);
        Assert.Contains("undeclared", result.Diagnostics);
        Assert.Contains("error", result.Diagnostics);
        Assert.Empty(Directory.GetFiles(root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Output_follows_the_rootfs_links_and_stays_inside()
    {
        var (root, source) = Empty("links");
        File.CreateSymbolicLink(Path.Combine(root, "bin"), "/usr/bin"); // absolute: the rootfs's /usr/bin
        var result = RootfsCompiler.Compile(root, source, isStatic: true, output: "/bin/hello");

        Assert.True(result.Ok, result.Diagnostics);
        Assert.True(File.Exists(Path.Combine(root, "usr/bin/hello")));
        Assert.Throws<ArgumentException>(() => RootfsCompiler.Compile(root, source, true, "relative"));
        Assert.Throws<FileNotFoundException>(() => RootfsCompiler.Compile(root, source + ".nope", true));
        Assert.Throws<DirectoryNotFoundException>(() => RootfsCompiler.Compile(root + "-nope", source, true));
    }
}
