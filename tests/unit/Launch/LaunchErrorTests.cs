using System.Diagnostics;
using Playground.Engine;
using Playground.Engine.Interop;
using Playground.Engine.Spec;

namespace Playground.Tests.Launch;

[Collection("sandbox")]
public sealed class LaunchErrorTests(SandboxFixture f)
{
    /// <summary>The workshop's first error: a dynamically linked /foo in a root without its libraries.</summary>
    [Fact]
    public void Missing_elf_interpreter_is_explained()
    {
        var root = Path.Combine(f.Dir, "workshop-rootfs");
        Directory.CreateDirectory(root);
        var src = Path.Combine(f.Dir, "foo.c");
        File.WriteAllText(src, "#include <stdio.h>\nint main(void) { printf(\"hello\\n\"); return 0; }\n");
        using (var gcc = Process.Start("gcc", ["-o", Path.Combine(root, "foo"), src])!) { gcc.WaitForExit(); Assert.Equal(0, gcc.ExitCode); }

        var spec = SandboxSpec.Default(root, "/foo") with
        {
            Namespaces = NamespaceSet.None, Mounts = [], MinimalDev = false, MaskPaths = false,
        };
        var e = Assert.Throws<SandboxException>(() => f.Engine.Launch(spec));
        Assert.Equal("execve", e.Step);
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains("ELF interpreter /lib64/ld-linux-x86-64.so.2 is missing", e.Message);
        Assert.Contains("ENOENT", e.Message);
        Assert.Contains(e.Story!, s => s.Step == "execve" && !s.Ok);
    }

    [Fact]
    public void Missing_command_and_bad_cwd_name_the_step()
    {
        var e = Assert.Throws<SandboxException>(() => f.Engine.Launch(f.Spec("nosuchprogram")));
        Assert.Contains("not in any PATH directory", e.Message);
        var cwd = Assert.Throws<SandboxException>(() => f.Engine.Launch(f.Spec("/bin/true") with { Cwd = "/nowhere" }));
        Assert.Equal("working directory", cwd.Step);
        Assert.Equal("chdir", cwd.Syscall);
    }

    [Fact]
    public void Invalid_spec_is_refused_before_anything_is_made()
    {
        var before = f.Engine.Cgroups.ParentPaths.Sum(p => Directory.GetDirectories(p).Length);
        var e = Assert.Throws<SpecValidationException>(() => f.Engine.Launch(f.Spec("/bin/true") with
        {
            Hostname = "box", Namespaces = NamespaceSet.AllButTime with { Uts = false },
        }));
        Assert.Contains(e.Errors, x => x.Field == "hostname");
        Assert.Equal(before, f.Engine.Cgroups.ParentPaths.Sum(p => Directory.GetDirectories(p).Length));
    }
}
