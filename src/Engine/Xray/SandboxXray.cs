using System.Globalization;
using Playground.Engine.Cgroups;
using Playground.Engine.Spec;

namespace Playground.Engine.Xray;

/// <summary>One namespace of the sandbox against the one it was made from (the lab's, or the server's).</summary>
public sealed record XrayNamespace(string Kind, ulong Inode, ulong OuterInode, string Meaning)
{
    public bool New => Inode != OuterInode;
}

/// <summary>A process in the sandbox: its pid here and inside, its parent (here), its command and state.</summary>
public sealed record XrayProcess(int HostPid, int Pid, int ParentHostPid, string Command, char State);

/// <summary>A line of the sandbox's mount table (mountinfo), marked when the spec asked for it.</summary>
public sealed record XrayMount(string Target, string Type, string Source, string Options, bool FromSpec);

public sealed record XrayCapabilities(string Set, ulong Mask, IReadOnlyList<string> Names);

/// <summary>What a running sandbox is, read from the kernel (/proc and its cgroup), not from its spec.</summary>
/// <param name="UidMap">The id map as the sandbox's parent (the lab) sees it: "inside outside count", as the sandbox reads its own.</param>
/// <param name="HostUidMap">The same map in the host's ids.</param>
/// <param name="Uids">Real, effective, saved and filesystem uid as the sandbox sees them.</param>
public sealed record XraySnapshot(
    IReadOnlyList<XrayNamespace> Namespaces,
    IReadOnlyList<string> UidMap,
    IReadOnlyList<string> GidMap,
    IReadOnlyList<string> HostUidMap,
    string Uids,
    string Gids,
    IReadOnlyList<XrayCapabilities> Capabilities,
    int SeccompMode,
    int SeccompFilters,
    bool NoNewPrivs,
    IReadOnlyList<XrayMount> Mounts,
    IReadOnlyList<XrayProcess> Processes,
    ResourceUsage? Usage,
    DateTime At);

/// <summary>
/// The X-ray of a running sandbox: its first process's namespaces (against the outer
/// process's: the lab's reaper, or the server), ids, capability sets, seccomp state and mount
/// table, every process of its cgroup, and the cgroup's use against its limits. All from /proc
/// and cgroupfs as root on the host, so it shows what the kernel applied, whatever was asked.
/// </summary>
public static class SandboxXray
{
    static readonly (string Kind, string New, string Same)[] Kinds =
    [
        ("mnt", "its own mount table: mounts made inside stay inside", "shares the mount table: its mounts land outside"),
        ("uts", "its own hostname", "the same hostname as outside"),
        ("ipc", "its own System V IPC and POSIX queues", "shares message queues and shared memory"),
        ("pid", "its own process ids: it sees only its processes, the first is 1", "sees every process outside"),
        ("net", "its own network: interfaces, routes, ports (only a loopback at first)", "the same network: every interface and port"),
        ("user", "its own user ids and capabilities, mapped to a range outside", "the same user ids: root inside is root outside"),
        ("cgroup", "its own cgroup root: /proc/self/cgroup starts at its cgroup", "sees the outer cgroup paths"),
        ("time", "its own monotonic and boot clocks", "the same clocks"),
    ];

    /// <param name="pid">The sandbox's first process. When it is our init, reaping as PID 1, its command (its first child) is read.</param>
    public static XraySnapshot Read(int pid, int outerPid, SandboxSpec spec, SandboxCgroup? cgroup)
    {
        if (IsInit(pid) && FirstChild(pid) is { } command) pid = command;
        var status = Status(pid);
        string Field(string key) => status.GetValueOrDefault(key, "");
        var caps = new[] { ("effective", "CapEff"), ("permitted", "CapPrm"), ("inheritable", "CapInh"), ("bounding", "CapBnd"), ("ambient", "CapAmb") }
            .Select(c =>
            {
                var mask = ulong.TryParse(Field(c.Item2), NumberStyles.HexNumber, null, out var m) ? m : 0;
                return new XrayCapabilities(c.Item1, mask, Capability.Names(mask));
            }).ToList();
        return new XraySnapshot(
            Kinds.Select(k => new XrayNamespace(k.Kind, Inode(pid, k.Kind), Inode(outerPid, k.Kind), "")).Select(n =>
                n with { Meaning = Kinds.First(k => k.Kind == n.Kind) is var k && n.New ? k.New : k.Same }).ToList(),
            InOuter(Map(pid, "uid_map"), Map(outerPid, "uid_map")), InOuter(Map(pid, "gid_map"), Map(outerPid, "gid_map")),
            Map(pid, "uid_map").Select(m => $"{m.Inside} {m.Outside} {m.Count}").ToList(),
            Inside(Field("Uid"), Map(pid, "uid_map")), Inside(Field("Gid"), Map(pid, "gid_map")), caps,
            int.TryParse(Field("Seccomp"), out var mode) ? mode : 0,
            int.TryParse(Field("Seccomp_filters"), out var filters) ? filters : 0,
            Field("NoNewPrivs") == "1",
            Mounts(pid, spec),
            Processes(cgroup, pid),
            Try(() => cgroup?.Usage()),
            DateTime.UtcNow);
    }

    static Dictionary<string, string> Status(int pid)
    {
        var fields = new Dictionary<string, string>();
        foreach (var line in File.ReadAllLines($"/proc/{pid}/status"))
            if (line.IndexOf(':') is > 0 and var i) fields[line[..i]] = string.Join(' ', line[(i + 1)..].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return fields;
    }

    static ulong Inode(int pid, string kind)
    {
        // readlink gives "net:[4026531840]".
        var target = Try(() => new FileInfo($"/proc/{pid}/ns/{kind}").LinkTarget) ?? "";
        var open = target.IndexOf('[');
        return open >= 0 && ulong.TryParse(target[(open + 1)..^1], out var inode) ? inode : 0;
    }

    /// <summary>A process's id map as read here (outside ids are the host's: /proc shows them in the reader's namespace).</summary>
    static IReadOnlyList<IdMapping> Map(int pid, string file) =>
        Try(() => File.ReadAllLines($"/proc/{pid}/{file}").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 3).Select(f => new IdMapping(uint.Parse(f[0]), uint.Parse(f[1]), uint.Parse(f[2]))).ToList()) ?? [];

    /// <summary>A host id as <paramref name="map"/>'s namespace sees it (the overflow id, 65534, when it is not mapped).</summary>
    static long Translate(long hostId, IReadOnlyList<IdMapping> map) =>
        map.FirstOrDefault(m => hostId >= m.Outside && hostId < m.Outside + (long)m.Count) is { } m ? hostId - m.Outside + m.Inside : 65534;

    /// <summary>The map with its outside ids in the outer's (the lab's) terms, as the sandbox reads its own.</summary>
    static IReadOnlyList<string> InOuter(IReadOnlyList<IdMapping> map, IReadOnlyList<IdMapping> outer) =>
        map.Select(m => $"{m.Inside} {Translate(m.Outside, outer)} {m.Count}").ToList();

    /// <summary>status's "real effective saved fs" host ids, as the sandbox sees them.</summary>
    static string Inside(string hostIds, IReadOnlyList<IdMapping> map) =>
        string.Join(' ', hostIds.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(id => Translate(long.Parse(id), map)));

    /// <summary>mountinfo's mount point is the process's view (relative to its root): compared with the spec's destinations.</summary>
    static IReadOnlyList<XrayMount> Mounts(int pid, SandboxSpec spec)
    {
        var asked = spec.Mounts.Select(m => m.Destination.TrimEnd('/') is { Length: > 0 } d ? d : "/").ToHashSet();
        var result = new List<XrayMount>();
        foreach (var line in Try(() => File.ReadAllLines($"/proc/{pid}/mountinfo")) ?? [])
        {
            // id parent major:minor root mountpoint options [optional...] - type source superoptions
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0) continue;
            var left = line[..dash].Split(' ');
            var right = line[(dash + 3)..].Split(' ');
            if (left.Length < 6 || right.Length < 2) continue;
            var target = Unescape(left[4]);
            result.Add(new XrayMount(target, right[0], Unescape(right[1]), left[5], asked.Contains(target)));
        }
        return result;
    }

    static string Unescape(string s) =>
        s.Contains('\\') ? System.Text.RegularExpressions.Regex.Replace(s, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString()) : s;

    static IReadOnlyList<XrayProcess> Processes(SandboxCgroup? cgroup, int first)
    {
        var pids = Try(() => cgroup?.Processes()) ?? [first];
        var result = new List<XrayProcess>();
        foreach (var pid in pids.Order())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                var f = stat[(close + 2)..].Split(' ');
                var nspid = Status(pid).GetValueOrDefault("NSpid", pid.ToString()).Split(' ')[^1];
                var comm = stat[(open + 1)..close];
                result.Add(new XrayProcess(pid, int.Parse(nspid), int.Parse(f[1]), comm.All(char.IsAsciiDigit) ? "playground-init" : comm, f[0][0]));
            }
            catch (Exception e) when (e is IOException or FormatException) { } // ended meanwhile
        }
        return result;
    }

    /// <summary>Our init runs from a descriptor (fexecve), so the kernel names it by the descriptor's number.</summary>
    static bool IsInit(int pid) => Try(() => File.ReadAllText($"/proc/{pid}/comm").Trim()) is { Length: > 0 } comm && comm.All(char.IsAsciiDigit);

    static int? FirstChild(int pid) =>
        Try(() => File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).Cast<int?>().FirstOrDefault());

    static T? Try<T>(Func<T?> read)
    {
        try { return read(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CgroupException or FormatException) { return default; }
    }
}
