using System.Globalization;
using Playground.Engine.Interop;
using Playground.Engine.Seccomp;
using Playground.Engine.Spec;

namespace Playground.Cli;

/// <summary>
/// Turns the text of one option into spec values. Each parser returns null on success or
/// a message naming what would be accepted; the caller prefixes the option's name.
/// </summary>
internal static class OptionValues
{
    public static string? Namespaces(string text, out NamespaceSet set)
    {
        set = NamespaceSet.None;
        var t = text.Trim().ToLowerInvariant();
        if (t == "all") { set = NamespaceSet.All; return null; }
        if (t is "none" or "") { set = NamespaceSet.None; return null; }
        foreach (var name in t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!NamespaceKinds.TryParse(name, out var kind))
                return $"'{name}' is not a namespace; use a comma list of {NamespaceKinds.Accepted}, or all, or none";
            set = set.With(kind, true);
        }
        return null;
    }

    public static string? Env(string text) =>
        text.IndexOf('=') > 0 ? null : $"'{text}' is not KEY=VALUE";

    /// <summary>UID[:GID]. Without a GID the group is 0, as with <c>docker run --user 1000</c> in an image without /etc/passwd.</summary>
    public static string? User(string text, out uint uid, out uint gid)
    {
        uid = gid = 0;
        var parts = text.Split(':');
        if (parts.Length > 2 || !uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out uid) ||
            (parts.Length == 2 && !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out gid)))
            return $"'{text}' is not UID[:GID]; use numbers, e.g. 1000 or 1000:1000";
        return null;
    }

    /// <summary>A capability name in the form the spec stores (CAP_CHOWN).</summary>
    public static string? Capability(string text, out string name)
    {
        name = "";
        if (!Engine.Spec.Capability.TryParse(text, out var info))
            return $"'{text}' is not a capability; use a name from capabilities(7) such as CHOWN or CAP_NET_ADMIN";
        name = info.Name;
        return null;
    }

    /// <summary>SYSCALL[:ERRNO]; the errno defaults to EPERM, as Docker's profile answers.</summary>
    public static string? SeccompDeny(string text, out SeccompRule rule)
    {
        rule = null!;
        var parts = text.Split(':');
        var errno = Errno.EPERM;
        if (parts.Length > 2) return $"'{text}' is not SYSCALL[:ERRNO]";
        if (!Syscalls.IsKnown(parts[0])) return $"'{parts[0]}' is not a system call known to libseccomp on this machine";
        if (parts.Length == 2 && !Errno.TryParse(parts[1], out errno))
            return $"'{parts[1]}' is not an errno; use a name such as EPERM or EACCES, or a number";
        rule = new SeccompRule(parts[0], new SeccompAction(SeccompActionKind.Errno, errno));
        return null;
    }

    /// <summary>NAME=SOFT[:HARD]; "unlimited" is RLIM_INFINITY; the hard limit defaults to the soft one.</summary>
    public static string? Rlimit(string text, out RlimitSpec limit)
    {
        limit = null!;
        var eq = text.IndexOf('=');
        if (eq <= 0) return $"'{text}' is not NAME=SOFT[:HARD] (e.g. nofile=1024:4096)";
        var name = text[..eq].Trim().ToLowerInvariant();
        if (!Rlimits.TryParse(name, out _))
            return $"'{name}' is not a resource limit; use one of {Rlimits.Accepted}";
        if (name.StartsWith("rlimit_", StringComparison.Ordinal)) name = name["rlimit_".Length..];
        var values = text[(eq + 1)..].Split(':');
        if (values.Length > 2 || !RlimitValue(values[0], out var soft) ||
            !RlimitValue(values.Length == 2 ? values[1] : values[0], out var hard))
            return $"'{text[(eq + 1)..]}' is not SOFT[:HARD]; use numbers or unlimited";
        if (soft > hard) return $"the soft limit {values[0]} is above the hard limit {values[1]}";
        limit = new RlimitSpec(name, soft, hard);
        return null;
    }

    static bool RlimitValue(string s, out ulong value)
    {
        if (s.Trim().Equals("unlimited", StringComparison.OrdinalIgnoreCase)) { value = ulong.MaxValue; return true; }
        return ulong.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    public static string? Size(string text, out long bytes) =>
        Sizes.TryParse(text, out bytes) && bytes > 0 ? null : $"'{text}' is not a size; use bytes or a number with k, m, g or t (e.g. 64m)";

    public static string? Pids(string text, out long n) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n) && n > 0 ? null : $"'{text}' is not a positive number of processes";

    public static string? Cpus(string text, out double cpus) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out cpus) && cpus > 0 && double.IsFinite(cpus)
            ? null : $"'{text}' is not a positive fraction of CPUs (e.g. 0.5 or 2)";

    public static string? OneOf(string text, IReadOnlyList<string> accepted, out string value)
    {
        value = text.Trim().ToLowerInvariant();
        return accepted.Contains(value) ? null : $"'{text}' is not accepted; use one of {string.Join(", ", accepted)}";
    }
}
