using System.Globalization;

namespace Playground.Engine.Spec;

/// <summary>
/// Byte sizes as people type them for memory limits and tmpfs sizes: <c>100</c>, <c>512k</c>,
/// <c>64m</c>, <c>64M</c>, <c>64MiB</c>, <c>1g</c>, <c>1.5G</c>. Units are binary (1k = 1024), as in
/// docker's <c>--memory 64m</c> and tmpfs's <c>size=64m</c>, so <c>64MB</c> means 64 MiB too.
/// </summary>
public static class Sizes
{
    public const long KiB = 1L << 10, MiB = 1L << 20, GiB = 1L << 30, TiB = 1L << 40;

    static readonly (string Unit, long Bytes)[] Units = [("T", TiB), ("G", GiB), ("M", MiB), ("K", KiB)];

    public const string Accepted = "a number of bytes with an optional unit k, m, g or t (binary: 64m = 64 MiB), e.g. 512k, 64m, 1g";

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        int end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.')) end++;
        if (end == 0) return false;
        if (!decimal.TryParse(s[..end], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            return false;
        if (!TryUnit(s[end..].Trim(), out var multiplier)) return false;
        try
        {
            var value = number * multiplier;
            if (value > long.MaxValue) return false;
            bytes = (long)decimal.Floor(value);
            return true;
        }
        catch (OverflowException) { return false; }
    }

    /// <summary>Like <see cref="TryParse"/>, but throws <see cref="FormatException"/> naming what is accepted.</summary>
    public static long Parse(string text) =>
        TryParse(text, out var bytes) ? bytes : throw new FormatException($"'{text}' is not a size: give {Accepted}");

    static bool TryUnit(string unit, out long multiplier)
    {
        multiplier = 1;
        var u = unit.ToUpperInvariant();
        if (u is "" or "B") return true;
        // "M", "MB" and "MiB" all mean mebibytes: nobody sizes a tmpfs in powers of ten.
        if (u.EndsWith("IB", StringComparison.Ordinal)) u = u[..^2];
        else if (u.Length == 2 && u[1] == 'B') u = u[..1];
        foreach (var (name, bytes) in Units)
            if (u == name) { multiplier = bytes; return true; }
        return false;
    }

    /// <summary>The largest binary unit that divides exactly: 67108864 → "64MiB", 1536 → "1536", 0 → "0".</summary>
    public static string Format(long bytes)
    {
        if (bytes != 0)
            foreach (var (name, size) in Units)
                if (bytes % size == 0) return $"{bytes / size}{name}iB";
        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The short spelling tools take (tmpfs <c>size=</c>, <c>--memory</c>): "64m", "1g", "100".</summary>
    public static string FormatShort(long bytes)
    {
        if (bytes != 0)
            foreach (var (name, size) in Units)
                if (bytes % size == 0) return $"{bytes / size}{char.ToLowerInvariant(name[0])}";
        return bytes.ToString(CultureInfo.InvariantCulture);
    }
}
