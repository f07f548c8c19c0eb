using Playground.Engine.Spec;

namespace Playground.Tests.Launch;

[Collection("sandbox")]
public sealed class MountTests(SandboxFixture f)
{
    [Fact]
    public void Bind_mounts_share_files_and_read_only_ones_refuse_writes()
    {
        var data = Directory.CreateTempSubdirectory("playground-bind-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(data, "hello"), "world\n");
            Directory.CreateDirectory(Path.Combine(f.Rootfs, "mnt"));
            var spec = f.Spec("/bin/sh", "-c", "cat /data/hello; cat /ro/hello; echo new > /data/written; echo x > /ro/nope") with
            {
                Mounts = [MountSpec.Proc(), MountSpec.Bind(data, "/data"), MountSpec.Bind(data, "/ro", ro: true)],
                // host-owned files are nobody's in the user namespace: run as real root for the write
                Namespaces = NamespaceSet.AllButTime with { User = false },
            };
            var r = f.Run(spec);
            Assert.Equal("world\nworld\n", r.Out);
            Assert.Contains("Read-only file system", r.Err);
            Assert.Equal("new\n", File.ReadAllText(Path.Combine(data, "written")));
            Assert.False(File.Exists(Path.Combine(data, "nope")));
        }
        finally { Directory.Delete(data, true); }
    }

    [Fact]
    public void Tmpfs_sysfs_mqueue_and_devpts_are_mounted()
    {
        var spec = f.Spec("/bin/cat", "/proc/self/mounts") with
        {
            Mounts =
            [
                MountSpec.Proc(), MountSpec.Tmpfs("/tmp", 1 << 20),
                new MountSpec { Type = MountType.Sysfs, Destination = "/sys" },
                new MountSpec { Type = MountType.Mqueue, Destination = "/dev/mqueue" },
            ],
        };
        var r = f.Run(spec);
        Assert.True(r.Exit.Code == 0, r.Err + r.Story);
        var mounts = r.Out.Split('\n').Select(l => l.Split(' ')).Where(p => p.Length > 3).ToList();
        Assert.Contains(mounts, m => m[1] == "/tmp" && m[2] == "tmpfs" && m[3].Contains("size=1024k"));
        Assert.Contains(mounts, m => m[1] == "/sys" && m[2] == "sysfs");
        Assert.Contains(mounts, m => m[1] == "/dev/mqueue" && m[2] == "mqueue");
        Assert.Contains(mounts, m => m[1] == "/dev/pts" && m[2] == "devpts");
        // Docker's masked paths that exist on this kernel are covered
        foreach (var masked in DockerPaths.Masked.Where(p => p.StartsWith("/proc/") && Path.Exists(p)))
            Assert.Contains(mounts, m => m[1] == masked);
    }

    [Fact]
    public void Pivot_root_leaves_no_path_to_the_old_root()
    {
        var r = f.Run(f.Spec("/bin/sh", "-c", "cat /proc/self/mountinfo; ls /proc/1/root/../..; cd /..; pwd"));
        var mountPoints = r.Out.Split('\n').Select(l => l.Split(' ')).Where(p => p.Length > 5).Select(p => p[4]).ToList();
        Assert.Equal("/", mountPoints[0]);
        // Everything mounted lies under the sandbox's own /dev, /proc or /sys: no host mount stayed.
        Assert.All(mountPoints.Skip(1), m => Assert.Matches("^/(dev|proc|sys)(/|$)", m));
        Assert.DoesNotContain(mountPoints, m => m.StartsWith("/sys/fs/cgroup"));
        var hostOnly = Directory.GetDirectories("/").Select(Path.GetFileName).Except(Directory.GetDirectories(f.Rootfs).Select(Path.GetFileName));
        foreach (var name in hostOnly) Assert.DoesNotContain("\n" + name + "\n", "\n" + r.Out);
    }

    [Fact]
    public void Read_only_root_refuses_writes()
    {
        var r = f.Run(f.Spec("/bin/sh", "-c", "touch /tmp/x") with { ReadOnlyRoot = true, Namespaces = NamespaceSet.AllButTime with { User = false } });
        Assert.NotEqual(0, r.Exit.Code);
        Assert.Contains("Read-only file system", r.Err);
    }

    [Fact]
    public void Chroot_without_a_mount_namespace_is_the_workshops_first_lesson()
    {
        var spec = f.Spec("/bin/sh", "-c", "ls /; echo $$") with
        {
            Namespaces = NamespaceSet.None, Mounts = [], MinimalDev = false, MaskPaths = false,
        };
        var r = f.Run(spec);
        Assert.Equal(0, r.Exit.Code);
        Assert.Contains("bin", r.Out);
        Assert.Contains(r.Story, s => s.Step == "chroot" && s.Ok);
    }
}
