using Playground.Engine.Spec;

namespace Playground.Engine.Cgroups;

/// <summary>
/// Entry point: finds the host's cgroup layout, keeps a parent cgroup ("playground") for all
/// sandboxes and makes one child per sandbox.
/// </summary>
public sealed class CgroupManager
{
    readonly CgroupHierarchy hierarchy;

    CgroupManager(CgroupHierarchy hierarchy) => this.hierarchy = hierarchy;

    /// <summary>A v2 tree at <paramref name="root"/> with these controllers (tests: the hybrid machines' cgroup2 mount has only hugetlb).</summary>
    internal static CgroupManager ForV2(string root, string parent, IReadOnlyList<string> controllers)
    {
        var hierarchy = new CgroupV2Hierarchy(root, parent, controllers);
        hierarchy.EnsureParent();
        return new CgroupManager(hierarchy);
    }

    public CgroupVersion Version => hierarchy.Version;

    /// <summary>The parent cgroup's directories, one per hierarchy used.</summary>
    public IReadOnlyList<string> ParentPaths => hierarchy.ParentDirs;

    /// <summary>
    /// Reads /proc/self/mountinfo to choose v2 (cgroup2 mounted at <paramref name="root"/>) or v1
    /// (memory, pids, cpu, freezer hierarchies under it), then makes sure the parent cgroup exists
    /// (on v2 with memory, pids and cpu enabled for its children).
    /// </summary>
    public static CgroupManager Detect(string root = "/sys/fs/cgroup", string parent = "playground")
    {
        CgroupArguments.CheckName(parent, nameof(parent));
        var layout = CgroupLayout.Find(CgroupMounts.Read(), root);
        CgroupHierarchy hierarchy = layout.Version == CgroupVersion.V2
            ? new CgroupV2Hierarchy(layout.Root, parent)
            : new CgroupV1Hierarchy(layout, parent);
        hierarchy.EnsureParent();
        return new CgroupManager(hierarchy);
    }

    /// <summary>
    /// Makes the sandbox's cgroup(s) and writes its limits. Always makes them, limits or not:
    /// the cgroup is how every process of the sandbox is found and killed. On any failure,
    /// what was made is removed and a <see cref="CgroupException"/> names the file and errno.
    /// </summary>
    public SandboxCgroup Create(string id, ResourceLimits limits) => Create(id, limits, checkName: true);

    SandboxCgroup Create(string id, ResourceLimits limits, bool checkName)
    {
        if (checkName) CgroupArguments.CheckName(id, nameof(id));
        CgroupArguments.CheckLimits(limits);
        var made = new List<string>();
        try
        {
            foreach (var dir in hierarchy.DirsFor(id))
            {
                CgroupFs.MakeDirExclusive(dir);
                made.Add(dir);
            }
            hierarchy.WriteLimits(id, limits);
            hierarchy.MakeReadyForProcesses(id);
            return new SandboxCgroup(hierarchy, id);
        }
        catch
        {
            // Nothing half-made: the directories are new and empty, so rmdir succeeds. A failure
            // here must not hide the original error, which says why Create failed.
            foreach (var dir in Enumerable.Reverse(made))
                try { CgroupFs.RemoveTree(dir, DateTime.UtcNow.AddSeconds(1)); } catch (CgroupException) { }
            throw;
        }
    }

    /// <summary>A cgroup inside another sandbox's (a lab's): whatever it holds counts against both.</summary>
    public SandboxCgroup CreateNested(string parentId, string id, ResourceLimits limits)
    {
        CgroupArguments.CheckName(parentId, nameof(parentId));
        CgroupArguments.CheckName(id, nameof(id));
        return Create($"{parentId}/{id}", limits, checkName: false);
    }

    /// <summary>A sandbox cgroup made earlier (by this process or another), by its id.</summary>
    public SandboxCgroup Open(string id)
    {
        CgroupArguments.CheckName(id, nameof(id));
        return new SandboxCgroup(hierarchy, id);
    }

    /// <summary>
    /// Kills and removes every child of the parent cgroup left by an earlier run (a crash, a
    /// killed server, a failed test). Returns the names removed.
    /// </summary>
    public IReadOnlyList<string> RemoveOrphans()
    {
        var names = hierarchy.ParentDirs
            .SelectMany(CgroupFs.SafeSubdirectories)
            .Select(dir => System.IO.Path.GetFileName(dir))
            .Distinct().Order().ToList();
        foreach (var name in names) new SandboxCgroup(hierarchy, name).Delete();
        return names;
    }
}
