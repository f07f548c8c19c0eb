using Playground.Engine.Spec;

namespace Playground.Tests.Spec;

public class RootfsPathsTests : IDisposable
{
    readonly TempRootfs tmp = new();
    string R => tmp.Rootfs;
    public void Dispose() => tmp.Dispose();

    [Fact]
    public void PlainPathsJoin() => Assert.Equal(R + "/proc", RootfsPaths.ResolveInside(R, "/proc"));

    [Fact]
    public void MissingTailIsKept() => Assert.Equal(R + "/srv/data/x", RootfsPaths.ResolveInside(R, "/srv/data/x"));

    [Fact]
    public void RootItself() => Assert.Equal(R, RootfsPaths.ResolveInside(R, "/"));

    [Fact]
    public void AbsoluteSymlinkIsRerootedAtTheRootfs()
    {
        File.CreateSymbolicLink(Path.Join(R, "data"), "/etc");
        Assert.Equal(R + "/etc/x", RootfsPaths.ResolveInside(R, "/data/x"));
    }

    [Fact]
    public void DotDotNeverClimbsAboveTheRoot()
    {
        File.CreateSymbolicLink(Path.Join(R, "up"), "../../../../etc");
        Assert.Equal(R + "/etc", RootfsPaths.ResolveInside(R, "/up"));
        Assert.Equal(R + "/etc", RootfsPaths.ResolveInside(R, "/../../etc"));
    }

    [Fact]
    public void RelativeSymlinkResolvesFromItsDirectory()
    {
        Directory.CreateDirectory(Path.Join(R, "usr", "lib"));
        File.CreateSymbolicLink(Path.Join(R, "lib"), "usr/lib");
        Assert.Equal(R + "/usr/lib/modules", RootfsPaths.ResolveInside(R, "/lib/modules"));
    }

    [Fact]
    public void DanglingSymlinkIsFollowedInside()
    {
        File.CreateSymbolicLink(Path.Join(R, "mnt"), "/nowhere/deep");
        Assert.Equal(R + "/nowhere/deep", RootfsPaths.ResolveInside(R, "/mnt"));
    }

    [Fact]
    public void LoopIsAnError()
    {
        File.CreateSymbolicLink(Path.Join(R, "a"), "/b");
        File.CreateSymbolicLink(Path.Join(R, "b"), "/a");
        var ex = Assert.Throws<IOException>(() => RootfsPaths.ResolveInside(R, "/a/x"));
        Assert.Contains("ELOOP", ex.Message);
    }
}
