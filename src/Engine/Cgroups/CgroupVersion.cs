namespace Playground.Engine.Cgroups;

/// <summary>Which cgroup interface the host offers: v1 (one hierarchy per controller) or v2 (one unified tree).</summary>
public enum CgroupVersion { V1, V2 }
