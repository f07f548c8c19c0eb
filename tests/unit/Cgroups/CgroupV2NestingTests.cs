using System.Diagnostics;
using Playground.Engine.Cgroups;
using Playground.Engine.Spec;

namespace Playground.Tests.Cgroups;

/// <summary>
/// cgroup v2's "no internal processes" rule, on a real cgroup2 tree: a sandbox's processes live in
/// its leaf, so a lab's cgroup can give controllers to sandboxes nested in it. These machines are
/// hybrid (their cgroup2 mount has only hugetlb), so the rule is exercised with hugetlb; a pure
/// v2 machine runs the same test on its root with memory, pids and cpu.
/// </summary>
[Collection(CgroupCollection.Name)]
public sealed class CgroupV2NestingTests
{
    static (string Root, string[] Controllers)? Tree()
    {
        foreach (var root in new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" })
        {
            var file = Path.Combine(root, "cgroup.controllers");
            if (!File.Exists(file)) continue;
            var available = File.ReadAllText(file).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            var wanted = available.Intersect(CgroupLayout.V2Controllers).ToArray();
            return (root, wanted.Length > 0 ? wanted : available.Take(1).ToArray());
        }
        return null;
    }

    [Fact]
    public void A_labs_processes_sit_in_its_leaf_so_limited_sandboxes_nest_beside_them()
    {
        var tree = Tree();
        Assert.True(tree is { Controllers.Length: > 0 }, "no cgroup2 mount with a controller on this machine");
        var (root, controllers) = tree!.Value;
        var manager = CgroupManager.ForV2(root, "playground-v2-tests", controllers);
        var lab = manager.Create(CgroupTestSupport.UniqueId("lab"), new ResourceLimits());
        using var outer = Process.Start("sleep", "300");
        using var inner = Process.Start("sleep", "300");
        try
        {
            lab.AddProcess(outer.Id);
            var labDir = lab.Paths.Single();
            Assert.Equal($"0::/playground-v2-tests/{lab.Id}/leaf", File.ReadAllLines($"/proc/{outer.Id}/cgroup").Single(l => l.StartsWith("0::")));
            Assert.All(controllers, c => Assert.Contains(c, File.ReadAllText(Path.Combine(labDir, "cgroup.subtree_control"))));
            // the rule itself: with controllers given to children, the lab's own cgroup takes no process
            var refused = Assert.ThrowsAny<Exception>(() => File.WriteAllText(Path.Combine(labDir, "cgroup.procs"), inner.Id.ToString()));
            Assert.Contains("busy", refused.Message, StringComparison.OrdinalIgnoreCase);

            var nested = manager.CreateNested(lab.Id, "inner", new ResourceLimits());
            nested.AddProcess(inner.Id);
            Assert.Equal($"0::/playground-v2-tests/{lab.Id}/inner/leaf", File.ReadAllLines($"/proc/{inner.Id}/cgroup").Single(l => l.StartsWith("0::")));
            Assert.All(controllers, c => Assert.Contains(c, File.ReadAllText(Path.Combine(labDir, "inner", "cgroup.controllers"))));
            Assert.Equal(new[] { outer.Id, inner.Id }.Order(), lab.Processes());

            lab.KillAll(TimeSpan.FromSeconds(10));
            Assert.True(outer.WaitForExit(5000) && inner.WaitForExit(5000));
            lab.Delete();
            Assert.False(Directory.Exists(labDir));
        }
        finally
        {
            foreach (var p in new[] { outer, inner }) if (!p.HasExited) p.Kill();
            lab.Delete();
        }
    }
}
