using System.Text.RegularExpressions;
using Playground.Engine.Spec;

namespace Playground.Engine.Cgroups;

/// <summary>Checks of what a caller passes in, before anything is created; each message names the field.</summary>
internal static partial class CgroupArguments
{
    [GeneratedRegex("^[a-z0-9-]{1,64}$")]
    private static partial Regex NamePattern();

    /// <summary>Ids become directory names: no '/', '.', or '..' can reach another cgroup.</summary>
    public static void CheckName(string? value, string field)
    {
        if (value is null || !NamePattern().IsMatch(value))
            throw new ArgumentException(
                $"{field}: '{value}' is not accepted; use 1 to 64 characters from a-z, 0-9 and '-'", field);
    }

    public static void CheckLimits(ResourceLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.MemoryBytes is <= 0)
            throw new ArgumentException(
                $"limits.MemoryBytes: {limits.MemoryBytes} is not accepted; give a positive number of bytes or null for no limit", "limits");
        if (limits.PidsMax is <= 0)
            throw new ArgumentException(
                $"limits.PidsMax: {limits.PidsMax} is not accepted; give at least 1 or null for no limit", "limits");
        // The kernel refuses a cfs quota under 1 ms (sched(7)); 0.01 CPU of a 100 ms period is that minimum.
        if (limits.Cpus is { } cpus && (!double.IsFinite(cpus) || cpus < 0.01 || cpus * CgroupHierarchy.CpuPeriodMicros >= long.MaxValue))
            throw new ArgumentException(
                $"limits.Cpus: {cpus} is not accepted; give a fraction of one CPU of at least 0.01 (0.5 = half a core) or null for no limit", "limits");
    }
}
