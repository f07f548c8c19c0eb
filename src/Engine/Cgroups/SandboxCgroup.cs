using Playground.Engine.Spec;
using Playground.Engine.Interop;

namespace Playground.Engine.Cgroups;

/// <summary>
/// The cgroup(s) of one sandbox: one directory on v2, one per controller hierarchy on v1.
/// It is how the engine limits a sandbox and how it finds and kills every process of it,
/// including ones that escaped the process tree by double-forking.
/// </summary>
public sealed class SandboxCgroup : IDisposable
{
    readonly CgroupHierarchy hierarchy;

    internal SandboxCgroup(CgroupHierarchy hierarchy, string id)
    {
        this.hierarchy = hierarchy;
        Id = id;
        Paths = hierarchy.DirsFor(id);
    }

    public string Id { get; }

    public CgroupVersion Version => hierarchy.Version;

    /// <summary>Every directory of this cgroup (absolute paths).</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>The path below each hierarchy's mount, as /proc/PID/cgroup shows it, e.g. "/playground/ID".</summary>
    public string RelativePath => $"/{hierarchy.Parent}/{Id}";

    /// <summary>Moves <paramref name="pid"/> (and its threads) into this cgroup in every hierarchy.
    /// Children it forks afterwards start inside.</summary>
    public void AddProcess(int pid)
    {
        foreach (var dir in Paths)
            CgroupFs.Write(System.IO.Path.Combine(hierarchy.ProcessDir(dir), "cgroup.procs"), pid.ToString());
    }

    /// <summary>Sets the memory, pids and cpu limits (also while processes are inside).</summary>
    public void SetLimits(ResourceLimits limits)
    {
        CgroupArguments.CheckLimits(limits);
        hierarchy.WriteLimits(Id, limits);
    }

    /// <summary>Pids in this cgroup and the cgroups below it, in any of its hierarchies.</summary>
    public IReadOnlyList<int> Processes() =>
        Paths.SelectMany(CgroupFs.ReadProcsRecursive).Distinct().Order().ToList();

    /// <summary>
    /// SIGKILLs every process until the cgroup is empty. Freezing first means a fork bomb cannot
    /// make new pids between our reading cgroup.procs and our kills; we repeat because a
    /// process may have been mid-fork when frozen. Throws TimeoutException if pids remain.
    /// </summary>
    public void KillAll(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        if (Processes().Count == 0) return;

        if (hierarchy.TryKillAtOnce(Id) && WaitUntilEmpty(deadline)) return;

        while (true)
        {
            try
            {
                hierarchy.Freeze(Id, Min(deadline, DateTime.UtcNow.AddSeconds(1)));
                foreach (var pid in Processes()) Signals.Kill(pid, Signals.SIGKILL);   // ESRCH: already gone
            }
            finally
            {
                // v1 frozen tasks only act on SIGKILL once thawed; never leave a sandbox frozen.
                hierarchy.Thaw(Id);
            }
            if (WaitUntilEmpty(Min(deadline, DateTime.UtcNow.AddMilliseconds(200)))) return;
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException(
                    $"cgroup {RelativePath} still holds pids {string.Join(", ", Processes())} after {timeout.TotalSeconds:0.#} s of SIGKILL");
        }
    }

    /// <summary>Kills every process, then removes every directory. Safe to call again.</summary>
    public void Delete()
    {
        // rmdir succeeds only on an empty cgroup: the usual case after the sandbox ended costs
        // one syscall instead of reading every hierarchy's cgroup.procs.
        if (!hierarchy.TryRemoveEmpty(Id)) KillAll(TimeSpan.FromSeconds(10));
        // rmdir returns EBUSY until killed tasks have finished exiting.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        foreach (var dir in Paths) CgroupFs.RemoveTree(dir, deadline);
    }

    public void Dispose() => Delete();

    /// <summary>Its use now. CPU time comes from the cgroup where it keeps one (v2); on v1 from its
    /// processes, so time of processes that ended without being reaped in it is not counted.</summary>
    public ResourceUsage Usage()
    {
        var use = hierarchy.Usage(Id);
        return use.CpuSeconds is null ? use with { CpuSeconds = ResourceUsage.ProcessCpuSeconds(Processes()), CpuOfLiveProcesses = true } : use;
    }

    bool WaitUntilEmpty(DateTime deadline)
    {
        while (true)
        {
            if (Processes().Count == 0) return true;
            if (DateTime.UtcNow >= deadline) return false;
            Thread.Sleep(5);
        }
    }

    static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    public override string ToString() => RelativePath;
}
