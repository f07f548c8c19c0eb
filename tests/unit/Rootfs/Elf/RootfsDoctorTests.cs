using Playground.Engine.Rootfs;
using Playground.Engine.Spec;
using Playground.Tests.Launch;

namespace Playground.Tests.Rootfs.Elf;

/// <summary>A rootfs built from bash's closure, run by the engine; broken, examined and mended.</summary>
[Collection("sandbox")]
public sealed class RootfsDoctorTests(SandboxFixture f)
{
    string NewRoot(string name)
    {
        var root = Path.Combine(f.Dir, $"{name}-{Guid.NewGuid():N}");
        RootfsFiles.CopyInto(root, ElfClosure.Of("/bin/bash").Files);
        return root;
    }

    SandboxFixture.RunResult Bash(string root) =>
        f.Run(SandboxSpec.Default(root, "/bin/bash", "-c", "echo $((6*7))"));

    [Fact]
    public void Bash_closure_runs_under_the_engine()
    {
        var root = NewRoot("bash");
        Assert.Empty(RootfsDoctor.Examine(root));

        var r = Bash(root);
        Assert.True(r.Exit.Code == 0, r.Err);
        Assert.Equal("42\n", r.Out);
    }

    [Fact]
    public void Finds_exactly_the_removed_library_and_fix_mends_it()
    {
        var root = NewRoot("broken");
        var view = new RootView(root);
        // The name the linker asks for (a symlink to libtinfo.so.6.4, which stays).
        File.Delete(view.Host("/lib/x86_64-linux-gnu/libtinfo.so.6"));
        var broken = Bash(root);
        Assert.Equal(127, broken.Exit.Code);
        Assert.Contains("libtinfo.so.6", broken.Err);

        var finding = Assert.Single(RootfsDoctor.Examine(root));
        Assert.Equal("/usr/bin/bash", finding.File); // /bin is a link to usr/bin, as on the host
        Assert.Null(finding.MissingInterpreter);
        Assert.Equal(["libtinfo.so.6"], finding.MissingLibraries);
        Assert.Contains("libtinfo.so.6", finding.Explanation);
        Assert.Contains("error while loading shared libraries", finding.Explanation);

        var copied = RootfsDoctor.Fix(root);
        Assert.Equal(["/usr/lib/x86_64-linux-gnu/libtinfo.so.6"], copied);
        Assert.Empty(RootfsDoctor.Examine(root));
        var r = Bash(root);
        Assert.True(r.Exit.Code == 0, r.Err);
        Assert.Equal("42\n", r.Out);
    }

    [Fact]
    public void Missing_interpreter_is_named_and_explained()
    {
        var root = NewRoot("nointerp");
        File.Delete(new RootView(root).Resolve("/lib64/ld-linux-x86-64.so.2")!);

        var finding = Assert.Single(RootfsDoctor.Examine(root), x => x.File == "/usr/bin/bash");
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", finding.MissingInterpreter);
        Assert.Contains("No such file or directory", finding.Explanation);
        // libc.so.6 names the linker as a library too: it is reported for libc, and for bash through libc.
        Assert.Contains(RootfsDoctor.Examine(root), x => x.File == "/usr/lib/x86_64-linux-gnu/libc.so.6");

        RootfsDoctor.Fix(root);
        Assert.Empty(RootfsDoctor.Examine(root));
        Assert.Equal("42\n", Bash(root).Out);
    }

    [Fact]
    public void Fix_takes_the_files_from_another_root()
    {
        // hostRoot need not be "/". The source's libtinfo.so.6 is a plain file, not the host's
        // symlink: what lands in the target shows where it came from.
        var source = NewRoot("source");
        const string tinfo = "/usr/lib/x86_64-linux-gnu/libtinfo.so.6", real = "/usr/lib/x86_64-linux-gnu/libtinfo.so.6.4";
        File.Delete(source + tinfo);
        File.Move(source + real, source + tinfo);
        var root = NewRoot("target");
        File.Delete(root + tinfo);
        File.Delete(root + real);

        var copied = RootfsDoctor.Fix(root, source);

        Assert.Equal([tinfo], copied);
        Assert.Null(new FileInfo(root + tinfo).LinkTarget);
        Assert.NotNull(new FileInfo(tinfo).LinkTarget);
        Assert.Empty(RootfsDoctor.Examine(root));
    }
}
