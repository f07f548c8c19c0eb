using System.Globalization;

namespace Playground.WebBench;

/// <summary>
/// A CPU limit like a sandbox's, for the peer: a cgroup of its own (v1 cpu controller or v2
/// cpu.max), removed at the end. Made from the limit the sandbox's shell really has.
/// </summary>
sealed class CpuLimit : IDisposable
{
    const long Period = 100_000;
    readonly string _dir;

    CpuLimit(string dir, double cpus)
    {
        _dir = dir;
        Cpus = cpus;
    }

    public double Cpus { get; }
    /// <summary>Write a pid here to put that process in the cgroup.</summary>
    public string Procs => Path.Combine(_dir, "cgroup.procs");

    /// <summary>The CPU limit of the cgroup <paramref name="pid"/> is in, in CPUs; null for none.</summary>
    public static double? Of(int pid)
    {
        foreach (var line in File.ReadAllLines($"/proc/{pid}/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts[1].Split(',').Contains("cpu"))
            {
                var dir = Path.Combine("/sys/fs/cgroup", parts[1], parts[2].TrimStart('/'));
                var quota = long.Parse(File.ReadAllText(Path.Combine(dir, "cpu.cfs_quota_us")).Trim(), CultureInfo.InvariantCulture);
                var period = long.Parse(File.ReadAllText(Path.Combine(dir, "cpu.cfs_period_us")).Trim(), CultureInfo.InvariantCulture);
                return quota < 0 ? null : (double)quota / period;
            }
            if (parts[0] == "0" && parts[1] == "" && File.Exists("/sys/fs/cgroup/cgroup.controllers"))
            {
                var max = File.ReadAllText(Path.Combine("/sys/fs/cgroup", parts[2].TrimStart('/'), "cpu.max")).Trim().Split(' ');
                return max[0] == "max" ? null : double.Parse(max[0], CultureInfo.InvariantCulture) / double.Parse(max[1], CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    public static CpuLimit Create(double cpus)
    {
        var quota = ((long)(cpus * Period)).ToString(CultureInfo.InvariantCulture);
        var name = $"webbench-peer-{Environment.ProcessId}";
        if (File.Exists("/sys/fs/cgroup/cgroup.controllers"))
        {
            var dir = Directory.CreateDirectory(Path.Combine("/sys/fs/cgroup", name)).FullName;
            File.WriteAllText(Path.Combine(dir, "cpu.max"), $"{quota} {Period}");
            return new CpuLimit(dir, cpus);
        }
        var v1 = Directory.CreateDirectory(Path.Combine("/sys/fs/cgroup/cpu", name)).FullName;
        File.WriteAllText(Path.Combine(v1, "cpu.cfs_period_us"), Period.ToString(CultureInfo.InvariantCulture));
        File.WriteAllText(Path.Combine(v1, "cpu.cfs_quota_us"), quota);
        return new CpuLimit(v1, cpus);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir); } catch (IOException) { } // still has a process: the kernel frees it when it ends
    }
}
