using Playground.Engine.Spec;

namespace Playground.Engine.Cgroups;

/// <summary>
/// cgroup v2: one directory per sandbox in the unified tree, its limits there and its processes
/// in a leaf below it, <c>ID/leaf</c>. v2 lets a cgroup give controllers to children only while
/// it holds no process itself (cgroups(7), "no internal processes"), so with the processes in a
/// leaf a sandbox (a lab) can have limited sandboxes of its own, <c>ID/CHILD</c>, beside the leaf;
/// its limits, use, freezing and cgroup.kill cover them all.
/// </summary>
internal sealed class CgroupV2Hierarchy(string root, string parent, IReadOnlyList<string>? controllers = null) : CgroupHierarchy(parent)
{
    /// <summary>The leaf of a sandbox's cgroup that holds its processes.</summary>
    public const string Leaf = "leaf";

    readonly IReadOnlyList<string> _controllers = controllers ?? CgroupLayout.V2Controllers;

    public override CgroupVersion Version => CgroupVersion.V2;

    string ParentDir => Path.Combine(root, Parent);

    public override IReadOnlyList<string> ParentDirs => [ParentDir];

    string Dir(string id) => Path.Combine(ParentDir, id);

    public override void EnsureParent()
    {
        // A child only gets a controller's files when its parent lists the controller in
        // cgroup.subtree_control, so enable them on the root and on our parent (cgroups(7)).
        EnableControllers(root);
        CgroupFs.MakeDir(ParentDir);
        EnableControllers(ParentDir);
    }

    void EnableControllers(string dir)
    {
        var available = CgroupFs.Read(Path.Combine(dir, "cgroup.controllers")).Split(' ', '\n');
        var enabled = CgroupFs.Read(Path.Combine(dir, "cgroup.subtree_control")).Split(' ', '\n');
        foreach (var controller in _controllers)
        {
            if (enabled.Contains(controller)) continue;
            if (!available.Contains(controller))
                throw new CgroupException("enable controller " + controller + " in", Path.Combine(dir, "cgroup.subtree_control"), 0,
                    hint: $"{controller} is not in {dir}/cgroup.controllers; the parent must delegate it");
            // One controller per write so an error names the one the kernel refused.
            CgroupFs.Write(Path.Combine(dir, "cgroup.subtree_control"), "+" + controller);
        }
    }

    public override void WriteLimits(string id, ResourceLimits limits)
    {
        var dir = Dir(id);
        if (limits.MemoryBytes is { } mem)
        {
            CgroupFs.Write(Path.Combine(dir, "memory.max"), mem.ToString());
            // Absent when the kernel has no swap accounting; then there is no swap to limit.
            var swap = Path.Combine(dir, "memory.swap.max");
            if (File.Exists(swap)) CgroupFs.Write(swap, "0");
        }
        if (limits.PidsMax is { } pids)
            CgroupFs.Write(Path.Combine(dir, "pids.max"), pids.ToString());
        if (limits.Cpus is { } cpus)
            CgroupFs.Write(Path.Combine(dir, "cpu.max"), $"{CpuQuotaMicros(cpus)} {CpuPeriodMicros}");
    }

    public override void MakeReadyForProcesses(string id)
    {
        EnableControllers(Dir(id));
        CgroupFs.MakeDir(Path.Combine(Dir(id), Leaf));
    }

    public override string ProcessDir(string dir) => Path.Combine(dir, Leaf);

    public override bool TryRemoveEmpty(string id) =>
        CgroupFs.TryRemoveEmpty(Path.Combine(Dir(id), Leaf)) && CgroupFs.TryRemoveEmpty(Dir(id));

    public override bool TryKillAtOnce(string id)
    {
        // cgroup.kill (Linux 5.14) SIGKILLs the whole subtree atomically, forks included.
        var kill = Path.Combine(Dir(id), "cgroup.kill");
        if (!File.Exists(kill)) return false;
        CgroupFs.Write(kill, "1");
        return true;
    }

    public override void Freeze(string id, DateTime deadline)
    {
        CgroupFs.Write(Path.Combine(Dir(id), "cgroup.freeze"), "1");
        var events = Path.Combine(Dir(id), "cgroup.events");
        WaitFor(() => CgroupFs.ReadKey(events, "frozen") == 1, deadline);
    }

    public override void Thaw(string id) => CgroupFs.Write(Path.Combine(Dir(id), "cgroup.freeze"), "0");

    public override ResourceUsage Usage(string id)
    {
        var dir = Dir(id);
        return new ResourceUsage(
            MemoryBytes: CgroupFs.ReadLong(Path.Combine(dir, "memory.current")),
            MemoryMaxBytes: CgroupFs.ReadLimit(Path.Combine(dir, "memory.max")),
            PidsCurrent: CgroupFs.ReadLong(Path.Combine(dir, "pids.current")),
            PidsMax: CgroupFs.ReadLimit(Path.Combine(dir, "pids.max")),
            OomKills: CgroupFs.ReadKey(Path.Combine(dir, "memory.events"), "oom_kill"),
            CpuSeconds: CgroupFs.ReadKey(Path.Combine(dir, "cpu.stat"), "usage_usec") / 1e6,
            PidsLimitHits: CgroupFs.ReadKey(Path.Combine(dir, "pids.events"), "max"));
    }
}
