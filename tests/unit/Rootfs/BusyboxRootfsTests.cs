using System.Diagnostics;
using Playground.Engine.Rootfs;

namespace Playground.Tests.Rootfs;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BusyboxRootfsTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("pg-busybox-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Creates_the_tree()
    {
        BusyboxRootfs.Create(dir);

        foreach (var d in new[] { "bin", "dev", "proc", "sys", "tmp", "etc", "root", "usr/bin", "usr/sbin", "sbin", "var", "run", "home" })
            Assert.True(Directory.Exists(Path.Combine(dir, d)), d);
        Assert.Equal((UnixFileMode)Convert.ToInt32("1777", 8), File.GetUnixFileMode(Path.Combine(dir, "tmp")));
        Assert.Contains("root:x:0:0:", File.ReadAllText(Path.Combine(dir, "etc/passwd")));
        Assert.Contains("nobody:x:65534:", File.ReadAllText(Path.Combine(dir, "etc/group")));
        Assert.True(File.Exists(Path.Combine(dir, "etc/hostname")));
    }

    [Fact]
    public void Applets_link_to_busybox_but_busybox_is_the_binary()
    {
        BusyboxRootfs.Create(dir);

        var sh = new FileInfo(Path.Combine(dir, "bin/sh"));
        Assert.Equal("busybox", sh.LinkTarget);
        Assert.Equal(Path.Combine(dir, "bin/busybox"), sh.ResolveLinkTarget(returnFinalTarget: true)!.FullName);
        var busybox = new FileInfo(Path.Combine(dir, "bin/busybox"));
        Assert.Null(busybox.LinkTarget);
        Assert.Equal(new FileInfo("/bin/busybox").Length, busybox.Length);
        Assert.True(busybox.UnixFileMode.HasFlag(UnixFileMode.UserExecute));
    }

    [Fact]
    public void Is_idempotent()
    {
        BusyboxRootfs.Create(dir);
        var links = Directory.GetFiles(Path.Combine(dir, "bin")).Length;
        BusyboxRootfs.Create(dir);
        Assert.Equal(links, Directory.GetFiles(Path.Combine(dir, "bin")).Length);
    }

    [Fact]
    public void Chroot_runs_its_shell()
    {
        BusyboxRootfs.Create(dir);

        var psi = new ProcessStartInfo("chroot") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dir, "/bin/sh", "-c", "echo hi" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();

        Assert.True(p.ExitCode == 0, error);
        Assert.Equal("hi\n", output);
    }

    [Fact]
    public void Refuses_a_dynamically_linked_binary()
    {
        var e = Assert.Throws<InvalidOperationException>(() => BusyboxRootfs.Create(dir, "/bin/ls"));
        Assert.Contains("dynamically linked", e.Message);
        Assert.Contains("/bin/ls", e.Message);
    }

    [Fact]
    public void Reads_the_elf_interpreter()
    {
        Assert.Null(ElfFile.TryRead("/bin/busybox")!.Interpreter);
        Assert.StartsWith("/lib", ElfFile.TryRead("/bin/ls")!.Interpreter);
    }
}
