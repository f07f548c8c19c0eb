using System.Diagnostics;
using Playground.Engine.Cgroups;
using Playground.Engine.Spec;
using static Playground.Tests.Cgroups.CgroupTestSupport;

namespace Playground.Tests.Cgroups;

/// <summary>Leftovers of a crashed run are found and removed, processes and all.</summary>
[Collection(CgroupCollection.Name)]
public sealed class RemoveOrphansTests
{
    [Fact]
    public void RemoveOrphans_kills_and_removes_leftover_cgroups()
    {
        // A parent of its own, so the sweep cannot touch cgroups of the real server or other tests.
        var parent = UniqueId("orphan-test");
        var first = CgroupManager.Detect(parent: parent);
        using var sleep = Process.Start("sleep", "1000");
        try
        {
            // "Crash": make two sandboxes, one busy, and forget them without Delete.
            var busy = first.Create("busy", new ResourceLimits { PidsMax = 10 });
            var idle = first.Create("idle", new ResourceLimits());
            busy.AddProcess(sleep.Id);

            var restarted = CgroupManager.Detect(parent: parent);
            var removed = restarted.RemoveOrphans();

            Assert.Equal(["busy", "idle"], removed);
            Assert.True(sleep.WaitForExit(5000), "the leftover's process survived");
            Assert.All(busy.Paths.Concat(idle.Paths), p => Assert.False(Directory.Exists(p), p));
            Assert.Empty(restarted.RemoveOrphans());
        }
        finally
        {
            if (!sleep.HasExited) sleep.Kill();
            first.RemoveOrphans();
            foreach (var dir in first.ParentPaths) Directory.Delete(dir);
        }
    }
}
