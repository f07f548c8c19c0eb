using System.Diagnostics;
using Playground.Engine.Spec;

namespace Playground.Tests.Spec;

public class ShellCommandRendererTests
{
    static readonly ShellRenderOptions BareNames = new() { ToolPath = name => name };

    /// <summary>The workshop's "Combining Things": env -i FOO=BAR unshare -n chroot toyfs …</summary>
    static SandboxSpec Workshop(string rootfs, params string[] command) => new()
    {
        Rootfs = rootfs, Command = command,
        Namespaces = NamespaceSet.None with { Net = true },
        Environment = new EnvironmentSpec { Clear = true, Set = ["FOO=BAR"] },
        Mounts = [], MinimalDev = false, MaskPaths = false, NoNewPrivs = false,
        Capabilities = new CapabilitySpec { Preset = CapabilityPresets.All },
        Seccomp = new SeccompSpec { Preset = SeccompPresets.Unconfined },
    };

    [Fact]
    public void WorkshopExampleIsOneMinimalLine() =>
        Assert.Equal("env -i FOO=BAR unshare --net chroot toyfs /bin/sh",
            ShellCommandRenderer.Render(Workshop("toyfs", "/bin/sh"), BareNames));

    [Fact]
    public void DefaultSpecUsesUnshareWithMapsAndMountProc()
    {
        var lines = ShellCommandRenderer.Render(SandboxSpec.Default("/srv/rootfs", "/bin/sh"), BareNames).Split('\n');
        Assert.Equal(
            "env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=xterm-256color " +
            "unshare --user --map-users=100000,0,65536 --map-groups=100000,0,65536 --setuid 0 --setgid 0 " +
            "--mount --uts --ipc --pid --fork --net --cgroup --mount-proc=/srv/rootfs/proc " +
            "setpriv --no-new-privs chroot /srv/rootfs /bin/sh", lines[^1]);
        Assert.Contains(lines, l => l.StartsWith("# capabilities: not expressed: preset docker-default") && l.Contains("net_raw"));
        Assert.Contains(lines, l => l.StartsWith("# seccomp: not expressed: preset docker-default"));
        Assert.Contains(lines, l => l.StartsWith("# minimalDev: not expressed"));
        Assert.Contains(lines, l => l.Contains("/proc/kcore"));
    }

    [Fact]
    public void EverythingElseIsScriptedOrNoted()
    {
        var spec = SandboxSpec.Default("/srv/root fs", "/bin/echo", "it's") with
        {
            ReadOnlyRoot = true, Hostname = "box", Uid = 1000, Gid = 100, SupplementaryGroups = [10],
            Namespaces = NamespaceSet.All, TimeOffsets = new() { MonotonicSeconds = 60 },
            Mounts = [MountSpec.Proc(), MountSpec.Bind("/srv/data", "/data", ro: true), MountSpec.Tmpfs("/tmp", 64 << 20)],
            Rlimits = [new("RLIMIT_NOFILE", 1024, Rlimits.Infinity)],
            Limits = new() { MemoryBytes = 64 << 20, PidsMax = 20, Cpus = 0.5 }, Cwd = "/tmp",
        };
        var lines = ShellCommandRenderer.Render(spec, BareNames).Split('\n');
        var cmd = lines[^1];
        Assert.Contains("--fork --net --cgroup --time --monotonic=60 sh -c '", cmd);
        Assert.Contains("mount -o bind,ro '\\''/srv/root fs'\\''", cmd);
        Assert.Contains("mount -t proc proc '\\''/srv/root fs/proc'\\''", cmd);
        Assert.Contains("mount -o bind,ro /srv/data '\\''/srv/root fs/data'\\''", cmd);
        Assert.Contains("mount -t tmpfs -o size=64m tmpfs", cmd);
        Assert.Contains("hostname box && exec setpriv --no-new-privs prlimit --nofile=1024:unlimited chroot --userspec=1000:100 --groups=10", cmd);
        Assert.Contains(lines, l => l.Contains("memory.max=64m (swap off), pids.max=20, cpu.max=\"50000 100000\""));
        Assert.Contains(lines, l => l == "# cwd: not expressed: /tmp (chroot starts the command in /)");
    }

    [Fact]
    public void QuotesForSh()
    {
        Assert.Equal("/bin/sh", ShellCommandRenderer.Quote("/bin/sh"));
        Assert.Equal("'a b'", ShellCommandRenderer.Quote("a b"));
        Assert.Equal("'it'\\''s'", ShellCommandRenderer.Quote("it's"));
        Assert.Equal("''", ShellCommandRenderer.Quote(""));
        Assert.Equal("'$FOO'", ShellCommandRenderer.Quote("$FOO"));
    }

    [Fact]
    public void PlainChrootRunsOnABusyboxRootfs()
    {
        if (!File.Exists("/bin/busybox") || Environment.UserName != "root") return; // needs busybox-static and root for chroot
        using var tmp = new TempRootfs();
        var bin = Directory.CreateDirectory(Path.Join(tmp.Rootfs, "bin")).FullName;
        File.Copy("/bin/busybox", Path.Join(bin, "busybox"));
        foreach (var applet in Run("/bin/busybox", "--list").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (applet != "busybox") File.CreateSymbolicLink(Path.Join(bin, applet), "busybox");

        var spec = Workshop(tmp.Rootfs, "/bin/sh", "-c", "echo \"hello $FOO ${HOME-nohome}\"; ls /")
            with { Namespaces = NamespaceSet.None };
        var command = ShellCommandRenderer.Render(spec);
        Assert.DoesNotContain("\n", command);

        var output = Run("/bin/sh", "-c", command);
        Assert.Equal(["hello BAR nohome", "bin", "etc", "proc"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {p.ExitCode}: {stderr}");
        return stdout;
    }
}
