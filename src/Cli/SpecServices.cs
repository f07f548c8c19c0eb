using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Playground.Engine;
using Playground.Engine.Spec;

namespace Playground.Cli;

/// <summary>
/// The one place the CLI reaches the engine's spec services. They are being written
/// concurrently in Playground.Engine.Spec; these are small stand-ins with the same
/// behaviour the CLI relies on, so each swap is a one-line change.
/// </summary>
internal static class SpecServices
{
    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        IgnoreReadOnlyProperties = true, // computed views such as NamespaceSet.Enabled are not data
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    // TODO(lead): switch to Playground.Engine.Spec.SpecJson.Serialize
    public static string Serialize(SandboxSpec spec) => JsonSerializer.Serialize(spec, Json);

    // TODO(lead): switch to Playground.Engine.Spec.SpecJson.Deserialize
    public static SandboxSpec Deserialize(string json) =>
        JsonSerializer.Deserialize<SandboxSpec>(json, Json) ?? throw new JsonException("the spec is null");

    // TODO(lead): switch to Playground.Engine.Spec.Sizes.TryParse
    public static bool ParseSize(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim().ToLowerInvariant();
        if (s.EndsWith('b')) s = s[..^1];
        long unit = s.Length > 0 ? s[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, 't' => 1L << 40, _ => 1 } : 1;
        if (unit != 1) s = s[..^1];
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0) return false;
        try { bytes = checked(n * unit); return true; } catch (OverflowException) { return false; }
    }

    // setrlimit(2) resources in the order of their numbers on Linux (asm-generic/resource.h).
    static readonly string[] RlimitNames =
        ["cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile", "memlock", "as",
         "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime"];

    public static string RlimitAccepted => string.Join(", ", RlimitNames);

    // TODO(lead): switch to Playground.Engine.Spec.Rlimits.TryParse
    public static bool ParseRlimit(string name, out int resource)
    {
        var n = name.Trim().ToLowerInvariant();
        if (n.StartsWith("rlimit_", StringComparison.Ordinal)) n = n["rlimit_".Length..];
        resource = Array.IndexOf(RlimitNames, n);
        return resource >= 0;
    }

    // TODO(lead): switch to Playground.Engine.Spec.SpecValidator.ThrowIfInvalid
    public static void Validate(SandboxSpec spec)
    {
        var errors = new List<SpecError>();
        if (string.IsNullOrEmpty(spec.Rootfs))
            errors.Add(new("rootfs", "missing; give the directory that becomes the root (--rootfs DIR)"));
        else if (!Directory.Exists(spec.Rootfs))
            errors.Add(new("rootfs", $"{spec.Rootfs} is not a directory"));
        if (spec.Command.Count == 0 || string.IsNullOrEmpty(spec.Command[0]))
            errors.Add(new("command", "missing; give the program to run after the options (e.g. -- /bin/sh)"));
        if (errors.Count > 0) throw new SpecValidationException(errors);
    }

    // TODO(lead): switch to Playground.Engine.Spec.ShellCommandRenderer.Render
    public static string RenderShell(SandboxSpec spec)
    {
        var sb = new StringBuilder("unshare");
        var ns = spec.Namespaces;
        if (ns.User)
            sb.Append($" --user --map-users={spec.EffectiveUidMap[0].Outside},{spec.EffectiveUidMap[0].Inside},{spec.EffectiveUidMap[0].Count}")
              .Append($" --map-groups={spec.EffectiveGidMap[0].Outside},{spec.EffectiveGidMap[0].Inside},{spec.EffectiveGidMap[0].Count}")
              .Append(" --setuid 0 --setgid 0");
        foreach (var k in ns.Enabled.Where(k => k != NamespaceKind.User)) sb.Append(" --").Append(k.Name());
        if (ns.Pid) sb.Append(" --fork");
        sb.Append(" chroot ").Append(Quote(spec.Rootfs ?? "ROOTFS"));
        if (spec.Environment.Clear || spec.Environment.Set.Count > 0)
        {
            sb.Append(" env");
            if (spec.Environment.Clear) sb.Append(" -i");
            foreach (var e in spec.Environment.Set) sb.Append(' ').Append(Quote(e));
        }
        foreach (var a in spec.Command) sb.Append(' ').Append(Quote(a));
        return sb.ToString();
    }

    // TODO(lead): switch to Playground.Engine.Spec.OciConfigRenderer.Render
    public static string RenderOci(SandboxSpec spec) => JsonSerializer.Serialize(new
    {
        ociVersion = "1.0.2",
        process = new { terminal = spec.Terminal, args = spec.Command, cwd = spec.Cwd, noNewPrivileges = spec.NoNewPrivs },
        root = new { path = spec.Rootfs, @readonly = spec.ReadOnlyRoot },
        hostname = spec.Hostname,
        linux = new { namespaces = spec.Namespaces.Enabled.Select(k => new { type = k == NamespaceKind.Mount ? "mount" : k.Name() }) },
    }, Json);

    static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "/._-=:,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
