namespace Playground.Engine.Cgroups;

/// <summary>
/// Where the controllers we need are mounted. v2 when cgroup2 is mounted at the root itself;
/// v1 when memory, pids, cpu and freezer each have a v1 hierarchy under the root. A hybrid host
/// (v1 controllers plus a cgroup2 mount at root/unified holding only hugetlb) is v1 for us.
/// </summary>
internal sealed record CgroupLayout(CgroupVersion Version, string Root, IReadOnlyDictionary<string, string> ControllerMounts)
{
    /// <summary>The controllers a sandbox's limits and kill need.</summary>
    public static readonly IReadOnlyList<string> V1Controllers = ["memory", "pids", "cpu", "freezer"];
    public static readonly IReadOnlyList<string> V2Controllers = ["memory", "pids", "cpu"];

    public static CgroupLayout Find(IReadOnlyList<CgroupMount> mounts, string root)
    {
        root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        if (mounts.Any(m => m.IsV2 && m.MountPoint == root))
            return new CgroupLayout(CgroupVersion.V2, root, new Dictionary<string, string>());

        var found = new Dictionary<string, string>();
        var missing = new List<string>();
        foreach (var controller in V1Controllers)
        {
            // Follow the mount rather than guess the directory name: cpu is often
            // co-mounted as "cpu,cpuacct", with "cpu" only a symlink to it.
            var mount = mounts.FirstOrDefault(m => m.HasV1Controller(controller) && IsUnder(m.MountPoint, root));
            if (mount is null) missing.Add(controller);
            else found[controller] = mount.MountPoint;
        }
        if (missing.Count > 0)
            throw new NotSupportedException(
                $"no cgroup2 mount at {root} and no cgroup v1 hierarchy under it for {string.Join(", ", missing)} " +
                "(see /proc/self/mountinfo); mount cgroup2 at the root or the v1 controllers to run sandboxes with limits");
        return new CgroupLayout(CgroupVersion.V1, root, found);
    }

    static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root + "/", StringComparison.Ordinal);
}
