using Playground.Engine.Spec;

namespace Playground.Engine.Cgroups;

/// <summary>
/// What differs between cgroup v1 and v2 for one sandbox: which directories it has, how limits
/// are spelled, how it is frozen and how usage is read. Everything else is shared.
/// </summary>
internal abstract class CgroupHierarchy(string parent)
{
    public string Parent { get; } = parent;

    public abstract CgroupVersion Version { get; }

    /// <summary>The parent cgroup in every hierarchy we use (one on v2, one per distinct v1 mount).</summary>
    public abstract IReadOnlyList<string> ParentDirs { get; }

    public IReadOnlyList<string> DirsFor(string id) => ParentDirs.Select(p => Path.Combine(p, id)).ToList();

    /// <summary>Makes the parent cgroup(s) exist and able to hold limited children.</summary>
    public abstract void EnsureParent();

    public abstract void WriteLimits(string id, ResourceLimits limits);

    /// <summary>After the limits, before the first process: what the cgroup needs to hold processes and limited children.</summary>
    public virtual void MakeReadyForProcesses(string id) { }

    /// <summary>Where the processes of the cgroup at <paramref name="dir"/> are written (the cgroup itself, or a leaf of it).</summary>
    public virtual string ProcessDir(string dir) => dir;

    /// <summary>rmdir of the cgroup if it is empty (one syscall in the usual case); false otherwise.</summary>
    public virtual bool TryRemoveEmpty(string id) => CgroupFs.TryRemoveEmpty(DirsFor(id)[0]);

    /// <summary>Kills every process of the cgroup in one step if the kernel can (v2 cgroup.kill); false otherwise.</summary>
    public abstract bool TryKillAtOnce(string id);

    /// <summary>Stops every process of the cgroup so none can fork while we collect pids; waits until
    /// the kernel reports frozen or <paramref name="deadline"/>.</summary>
    public abstract void Freeze(string id, DateTime deadline);

    public abstract void Thaw(string id);

    public abstract ResourceUsage Usage(string id);

    /// <summary>cfs period we always use: 100 ms, the kernel's default.</summary>
    public const long CpuPeriodMicros = 100_000;

    public static long CpuQuotaMicros(double cpus) => (long)Math.Round(cpus * CpuPeriodMicros);

    protected static void WaitFor(Func<bool> done, DateTime deadline)
    {
        while (!done() && DateTime.UtcNow < deadline) Thread.Sleep(5);
    }
}
