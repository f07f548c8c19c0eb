namespace Playground.Engine.Cgroups;

/// <summary>What a sandbox uses now and what it may use; null means "no limit" or "this kernel does not say".</summary>
public sealed record ResourceUsage(
    long MemoryBytes,
    long? MemoryMaxBytes,
    long PidsCurrent,
    long? PidsMax,
    long? OomKills,
    double? CpuSeconds = null, // cgroup v2's cpu.stat; on v1 (no cpuacct group is kept) its live processes' time
    long? PidsLimitHits = null, // pids.events "max": forks refused at pids.max
    bool CpuOfLiveProcesses = false) // CpuSeconds counts only the processes there now (and what they reaped)
{
    /// <summary>CPU time of these processes and of the children they reaped (utime, stime, cutime, cstime of /proc/PID/stat).</summary>
    public static double ProcessCpuSeconds(IEnumerable<int> pids)
    {
        long ticks = 0;
        foreach (var pid in pids)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += long.Parse(f[11]) + long.Parse(f[12]) + long.Parse(f[13]) + long.Parse(f[14]);
            }
            catch (Exception e) when (e is IOException or FormatException) { } // ended meanwhile
        }
        return ticks / 100.0; // USER_HZ
    }
}
