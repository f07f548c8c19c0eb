namespace Playground.Engine.Cgroups;

/// <summary>What a sandbox uses now and what it may use; null means "no limit" or "this kernel does not say".</summary>
public sealed record ResourceUsage(
    long MemoryBytes,
    long? MemoryMaxBytes,
    long PidsCurrent,
    long? PidsMax,
    long? OomKills,
    double? CpuSeconds = null, // cgroup v2's cpu.stat; null on v1, where no cpuacct group is kept
    long? PidsLimitHits = null); // pids.events "max": forks refused at pids.max
