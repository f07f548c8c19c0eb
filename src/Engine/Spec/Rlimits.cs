namespace Playground.Engine.Spec;

/// <summary>Resource limits by name (setrlimit(2), prlimit(1)) with their Linux x86_64 RLIMIT_* numbers.</summary>
public static class Rlimits
{
    /// <summary>RLIM_INFINITY: a soft or hard value of "unlimited".</summary>
    public const ulong Infinity = ulong.MaxValue;

    // Order is the kernel's numbering (asm-generic/resource.h, which x86_64 uses unchanged).
    public static IReadOnlyList<string> Names { get; } =
    [
        "cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile",
        "memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime",
    ];

    public static string Accepted => string.Join(", ", Names) + " (or RLIMIT_NOFILE style)";

    /// <summary>Accepts <c>nofile</c>, <c>NOFILE</c> or <c>RLIMIT_NOFILE</c>.</summary>
    public static bool TryParse(string? name, out int resource)
    {
        resource = -1;
        if (string.IsNullOrWhiteSpace(name)) return false;
        var n = name.Trim().ToLowerInvariant();
        if (n.StartsWith("rlimit_", StringComparison.Ordinal)) n = n["rlimit_".Length..];
        for (int i = 0; i < Names.Count; i++)
            if (Names[i] == n) { resource = i; return true; }
        return false;
    }

    /// <summary>The kernel's constant name, e.g. 7 → "RLIMIT_NOFILE" (OCI config.json spells them so).</summary>
    public static string ConstantName(int resource) => "RLIMIT_" + Names[resource].ToUpperInvariant();
}
