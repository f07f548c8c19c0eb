namespace Playground.Engine.Cgroups;

/// <summary>One cgroup or cgroup2 line of /proc/self/mountinfo (proc(5)).</summary>
internal sealed record CgroupMount(string MountPoint, string FsType, IReadOnlySet<string> SuperOptions)
{
    public bool IsV2 => FsType == "cgroup2";

    /// <summary>A v1 hierarchy lists its controllers among the super options ("rw,cpu,cpuacct").</summary>
    public bool HasV1Controller(string controller) => FsType == "cgroup" && SuperOptions.Contains(controller);
}

internal static class CgroupMounts
{
    public static IReadOnlyList<CgroupMount> Read(string mountinfoPath = "/proc/self/mountinfo") =>
        Parse(File.ReadAllLines(mountinfoPath));

    public static IReadOnlyList<CgroupMount> Parse(IEnumerable<string> lines)
    {
        var mounts = new List<CgroupMount>();
        foreach (var line in lines)
        {
            // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS"
            var sep = line.IndexOf(" - ", StringComparison.Ordinal);
            if (sep < 0) continue;
            var left = line[..sep].Split(' ');
            var right = line[(sep + 3)..].Split(' ');
            if (left.Length < 5 || right.Length < 3) continue;
            if (right[0] is not ("cgroup" or "cgroup2")) continue;
            mounts.Add(new CgroupMount(Unescape(left[4]), right[0], right[2].Split(',').ToHashSet()));
        }
        return mounts;
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as octal escapes (\040…).</summary>
    static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && s.Length - i >= 4 && s[(i + 1)..(i + 4)].All(c => c is >= '0' and <= '7'))
            {
                sb.Append((char)Convert.ToInt32(s[(i + 1)..(i + 4)], 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }
}
