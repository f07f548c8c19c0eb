namespace Playground.E2E.Support;

/// <summary>What the machine has left (benches print it beside their figures).</summary>
public static class Machine
{
    /// <summary>MemAvailable of /proc/meminfo, in MiB.</summary>
    public static double MemAvailableMiB() =>
        long.Parse(File.ReadAllLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
}
