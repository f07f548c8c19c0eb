namespace Playground.Engine.Spec;

/// <summary>
/// Docker's masked and read-only paths (moby's default Linux spec): what <see cref="SandboxSpec.MaskPaths"/>
/// hides. The launcher and the OCI renderer use these same lists.
/// </summary>
public static class DockerPaths
{
    /// <summary>Hidden: /dev/null is bound over files, an empty read-only tmpfs over directories.
    /// They leak host details (kernel memory, keys, timers) or offer knobs a container should not turn.</summary>
    public static IReadOnlyList<string> Masked { get; } =
    [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    /// <summary>Bound read-only onto themselves: readable, but writes (e.g. to /proc/sys) get EROFS.</summary>
    public static IReadOnlyList<string> ReadOnly { get; } =
    [
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    ];
}
