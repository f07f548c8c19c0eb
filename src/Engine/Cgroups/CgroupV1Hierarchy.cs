using Playground.Engine.Spec;

namespace Playground.Engine.Cgroups;

/// <summary>cgroup v1: one directory per controller hierarchy (memory, pids, cpu, freezer).</summary>
internal sealed class CgroupV1Hierarchy(CgroupLayout layout, string parent) : CgroupHierarchy(parent)
{
    // memory.limit_in_bytes reads back PAGE_COUNTER_MAX pages when unlimited.
    const long V1Unlimited = 0x7FFFFFFFFFFFF000;

    public override CgroupVersion Version => CgroupVersion.V1;

    public override IReadOnlyList<string> ParentDirs =>
        layout.ControllerMounts.Values.Distinct().Select(m => Path.Combine(m, Parent)).ToList();

    string Dir(string controller, string id) => Path.Combine(layout.ControllerMounts[controller], Parent, id);

    public override void EnsureParent()
    {
        foreach (var dir in ParentDirs) CgroupFs.MakeDir(dir);
    }

    public override void WriteLimits(string id, ResourceLimits limits)
    {
        if (limits.MemoryBytes is { } mem)
        {
            var memory = Dir("memory", id);
            CgroupFs.Write(Path.Combine(memory, "memory.limit_in_bytes"), mem.ToString());
            // memsw is memory+swap; the same value means no swap at all. It exists only
            // when the kernel accounts swap (swapaccount=1).
            var memsw = Path.Combine(memory, "memory.memsw.limit_in_bytes");
            if (File.Exists(memsw)) CgroupFs.Write(memsw, mem.ToString());
        }
        if (limits.PidsMax is { } pids)
            CgroupFs.Write(Path.Combine(Dir("pids", id), "pids.max"), pids.ToString());
        if (limits.Cpus is { } cpus)
        {
            var cpu = Dir("cpu", id);
            CgroupFs.Write(Path.Combine(cpu, "cpu.cfs_period_us"), CpuPeriodMicros.ToString());
            CgroupFs.Write(Path.Combine(cpu, "cpu.cfs_quota_us"), CpuQuotaMicros(cpus).ToString());
        }
    }

    public override bool TryKillAtOnce(string id) => false;

    public override void Freeze(string id, DateTime deadline)
    {
        var state = Path.Combine(Dir("freezer", id), "freezer.state");
        CgroupFs.Write(state, "FROZEN");
        // FREEZING lasts while a task is in an uninterruptible sleep; we kill anyway after the deadline.
        WaitFor(() => CgroupFs.Read(state).Trim() == "FROZEN", deadline);
    }

    public override void Thaw(string id) =>
        CgroupFs.Write(Path.Combine(Dir("freezer", id), "freezer.state"), "THAWED");

    public override ResourceUsage Usage(string id)
    {
        var memory = Dir("memory", id);
        var pids = Dir("pids", id);
        var max = CgroupFs.ReadLong(Path.Combine(memory, "memory.limit_in_bytes"));
        return new ResourceUsage(
            MemoryBytes: CgroupFs.ReadLong(Path.Combine(memory, "memory.usage_in_bytes")),
            MemoryMaxBytes: max >= V1Unlimited ? null : max,
            PidsCurrent: CgroupFs.ReadLong(Path.Combine(pids, "pids.current")),
            PidsMax: CgroupFs.ReadLimit(Path.Combine(pids, "pids.max")),
            OomKills: CgroupFs.ReadKey(Path.Combine(memory, "memory.oom_control"), "oom_kill"),
            PidsLimitHits: CgroupFs.ReadKey(Path.Combine(pids, "pids.events"), "max"));
    }
}
