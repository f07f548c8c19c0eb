using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Playground.Engine.Cgroups;
using Playground.Engine.Launch;
using Playground.Engine.Spec;

namespace Playground.Engine.Labs;

/// <summary>A running lab as its state file records it (DataDirectory/labs/NAME/lab.json).</summary>
/// <param name="Slot">Its place in the labs' id ranges; -1 when the caller gave the range (<see cref="LabSetup.FirstId"/>).</param>
public sealed record Lab(string Name, int Slot, uint FirstId, int InitPid, long StartTicks, string CgroupId, DateTime Created, SandboxSpec Spec);

/// <summary>What a caller adds to a new lab: the web gives a person's lab the person's own id range and their root filesystem store.</summary>
/// <param name="FirstId">The host id of the lab's root (65536 ids from there), instead of a free slot's; no other lab may have it.</param>
/// <param name="Mounts">Bind mounts from the host (their sources must be the lab's own, owned by its ids).</param>
public sealed record LabSetup(uint? FirstId = null, IReadOnlyList<MountSpec>? Mounts = null);

/// <summary>A lab's use of what it is given, against its limits.</summary>
public sealed record LabUsage(
    long MemoryBytes, long? MemoryMaxBytes, long Pids, long? PidsMax, double CpuSeconds, double? Cpus,
    long WorkspaceUsedBytes, long WorkspaceBytes, long TmpUsedBytes, long TmpBytes, long? OomKills);

/// <summary>
/// Labs: an isolated host per person, held by one reaper process, outliving the command or server
/// that made it. Its state lives in the data directory, so the CLI and the web app see the same
/// labs. Creating is idempotent; a lab whose reaper is gone (a reboot, a crash) is cleaned up the
/// next time it is named, or by <see cref="Sweep"/>.
/// </summary>
public sealed partial class LabManager : IDisposable
{
    readonly SandboxEngine _engine;
    readonly LabOptions _options;

    public LabManager(LabOptions? options = null, string? initPath = null)
    {
        _options = options ?? new LabOptions();
        _engine = new SandboxEngine(new EngineOptions { CgroupParent = _options.CgroupParent, Prestart = 0, InitPath = initPath });
    }

    public LabOptions Options => _options;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex ValidName();

    public static string? NameProblem(string? name) =>
        string.IsNullOrEmpty(name) || !ValidName().IsMatch(name)
            ? $"name: '{name}' is not accepted; use 1 to 32 of a-z 0-9 -, starting with a letter or digit"
            : null;

    string Dir(string name) => Path.Combine(_options.LabsDirectory, name);
    string Root(string name) => Path.Combine(Dir(name), "root");
    string StateFile(string name) => Path.Combine(Dir(name), "lab.json");

    /// <summary>The lab called <paramref name="name"/>, made if it is not running (its root mounted, populated, its reaper started).</summary>
    public Lab Create(string name, LabSetup? setup = null)
    {
        if (NameProblem(name) is { } problem) throw new ArgumentException(problem);
        using var _ = LockLabs();
        if (Find(name) is { } running)
            return setup?.FirstId is { } wanted && wanted != running.FirstId
                ? throw new InvalidOperationException($"name: a lab called '{name}' is running with other ids than this one needs; end it first")
                : running;
        Cleanup(name);
        var states = AllStates().ToList();
        int slot;
        uint firstId;
        if (setup?.FirstId is { } given)
        {
            if (states.FirstOrDefault(l => l.FirstId == given) is { } other)
                throw new InvalidOperationException($"lab {other.Name} already has the ids from {given}");
            (slot, firstId) = (-1, given);
        }
        else
        {
            var used = states.Select(l => l.Slot).ToHashSet();
            slot = Enumerable.Range(0, _options.MaxLabs).FirstOrDefault(s => !used.Contains(s), -1);
            if (slot < 0) throw new InvalidOperationException($"this server has room for {_options.MaxLabs} labs");
            firstId = _options.FirstId + (uint)slot * 65536;
        }
        var reaper = Reaper.Ensure(_options.LabsDirectory);
        File.SetUnixFileMode(_options.LabsDirectory, (UnixFileMode)0x1ed);
        var root = Root(name);
        Directory.CreateDirectory(Dir(name));
        File.SetUnixFileMode(Dir(name), (UnixFileMode)0x1ed);
        try
        {
            LabRoot.Make(root, name, firstId, _options);
            var spec = LabProfile.Spec(name, root, reaper, firstId, _options);
            if (setup?.Mounts is { Count: > 0 } extra) spec = spec with { Mounts = [.. spec.Mounts, .. extra] };
            var session = _engine.Launch(spec, null, commandIsPid1: true);
            // The reaper reads and writes nothing: let go of its stdio (the lab is not this session's to end).
            session.CloseInput();
            session.Output.Dispose();
            session.Error?.Dispose();
            var lab = new Lab(name, slot, firstId, session.InitPid, StartTicks(session.InitPid) ?? 0, session.Cgroup.Id, DateTime.UtcNow, spec);
            Save(lab);
            // The lab is not this session's to end: the session object is dropped, its processes live on.
            return lab;
        }
        catch
        {
            Cleanup(name);
            throw;
        }
    }

    /// <summary>The running lab of that name, or null (none, or its reaper has ended).</summary>
    public Lab? Find(string name)
    {
        if (NameProblem(name) is not null) return null;
        var lab = Load(name);
        return lab is not null && StartTicks(lab.InitPid) == lab.StartTicks ? lab : null;
    }

    public IReadOnlyList<Lab> List() => AllStates().Where(l => StartTicks(l.InitPid) == l.StartTicks).OrderBy(l => l.Name, StringComparer.Ordinal).ToList();

    /// <summary>A process in the lab, as its root: a shell (or <paramref name="command"/>) with a PTY or pipes.</summary>
    public SandboxSession Exec(string name, IReadOnlyList<string> command, bool terminal, TerminalSize? size = null)
    {
        var lab = Find(name) ?? throw new ArgumentException($"name: there is no running lab called '{name}'");
        return _engine.ExecInto(lab.CgroupId, lab.Spec, lab.InitPid, lab.CgroupId, command, terminal, size);
    }

    /// <summary>
    /// A sandbox inside the lab (its paths, its ids and its limits are the lab's): with the user
    /// namespace off it runs as the lab's root, with the mount namespace off it shares the lab's
    /// mounts. Its rootfs must be in the lab's root filesystem (not /tmp or /usr).
    /// </summary>
    public SandboxSession Run(string name, SandboxSpec spec, TerminalSize? size = null)
    {
        var lab = Find(name) ?? throw new ArgumentException($"name: there is no running lab called '{name}'");
        var reaper = Reaper.Ensure(_options.LabsDirectory);
        return _engine.LaunchInside(spec, lab.InitPid, lab.CgroupId, (lab.FirstId, lab.FirstId), [reaper, "map", lab.InitPid.ToString()], size, lab.Spec.Seccomp);
    }

    /// <summary>What is wrong with running <paramref name="spec"/> in the lab now (its rootfs and mount targets looked up there).</summary>
    public IReadOnlyList<SpecError> Check(string name, SandboxSpec spec)
    {
        var lab = Find(name) ?? throw new ArgumentException($"name: there is no running lab called '{name}'");
        return _engine.CheckInside(spec, lab.InitPid);
    }

    /// <summary>What the lab uses of its memory, pids, CPU, workspace and /tmp; null when it is not running.</summary>
    public LabUsage? Usage(string name)
    {
        var lab = Find(name);
        if (lab is null) return null;
        var cgroup = _engine.Cgroups.Open(lab.CgroupId);
        var use = cgroup.Usage();
        var (workspaceUsed, workspaceSize) = Space(Root(name));
        // The lab's /tmp is a mount in its own namespace: seen through its reaper's root.
        var (tmpUsed, tmpSize) = Space($"/proc/{lab.InitPid}/root/tmp");
        return new LabUsage(use.MemoryBytes, use.MemoryMaxBytes, use.PidsCurrent, use.PidsMax, use.CpuSeconds ?? 0, lab.Spec.Limits.Cpus,
            workspaceUsed, workspaceSize, tmpUsed, tmpSize, use.OomKills);
    }

    /// <summary>statfs(2): bytes used and the size of the filesystem at <paramref name="path"/>.</summary>
    public static (long Used, long Size) Space(string path)
    {
        var (total, free) = Interop.Mount.StatFs(path);
        return (total - free, total);
    }

    /// <summary>Ends the lab: every process killed, its root unmounted, its cgroup and state removed. False if there was none.</summary>
    public bool End(string name)
    {
        if (NameProblem(name) is { } problem) throw new ArgumentException(problem);
        using var _ = LockLabs();
        var existed = Directory.Exists(Dir(name));
        Cleanup(name);
        return existed;
    }

    /// <summary>Removes what labs whose reaper has ended left (after a reboot or a crash); returns their names.</summary>
    public IReadOnlyList<string> Sweep()
    {
        using var _ = LockLabs();
        var gone = new List<string>();
        if (!Directory.Exists(_options.LabsDirectory)) return gone;
        foreach (var dir in Directory.EnumerateDirectories(_options.LabsDirectory))
        {
            var name = Path.GetFileName(dir);
            if (NameProblem(name) is not null || Find(name) is not null) continue;
            Cleanup(name);
            gone.Add(name);
        }
        return gone;
    }

    /// <summary>Kills what is left of a lab, unmounts its root and removes its cgroup and directory. Safe on any state.</summary>
    void Cleanup(string name)
    {
        var lab = Load(name);
        if (lab is not null)
        {
            var cgroup = _engine.Cgroups.Open(lab.CgroupId);
            try { cgroup.KillAll(TimeSpan.FromSeconds(10)); } catch (CgroupException) { }
            try { cgroup.Delete(); } catch (CgroupException) { }
            // A killed reaper leaves its cgroup as a zombie; the lab has ended once its parent
            // (unshare) has reaped it and gone too, so nothing of it outlives End.
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (StartTicks(lab.InitPid) == lab.StartTicks && DateTime.UtcNow < deadline) Thread.Sleep(2);
        }
        var root = Root(name);
        // Lazily: a process of the lab that is still dying may keep it busy for a moment.
        while (Interop.Mount.umount2(root, Interop.Mount.MNT_DETACH) == 0) { }
        if (Directory.Exists(Dir(name)))
        {
            if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
                throw new IOException($"lab {name}: {root} is not empty after unmounting; left alone");
            Directory.Delete(Dir(name), recursive: true);
        }
    }

    void Save(Lab lab)
    {
        var path = StateFile(lab.Name);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(new State(lab.Name, lab.Slot, lab.FirstId, lab.InitPid, lab.StartTicks, lab.CgroupId, lab.Created, SpecJson.Serialize(lab.Spec))));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    sealed record State(string Name, int Slot, uint FirstId, int InitPid, long StartTicks, string CgroupId, DateTime Created, string Spec);

    Lab? Load(string name)
    {
        try
        {
            var s = JsonSerializer.Deserialize<State>(File.ReadAllText(StateFile(name)));
            return s is null ? null : new Lab(s.Name, s.Slot, s.FirstId, s.InitPid, s.StartTicks, s.CgroupId, s.Created, SpecJson.Deserialize(s.Spec));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }

    IEnumerable<Lab> AllStates() =>
        Directory.Exists(_options.LabsDirectory)
            ? Directory.EnumerateDirectories(_options.LabsDirectory).Select(Path.GetFileName).Where(n => NameProblem(n) is null).Select(n => Load(n!)).OfType<Lab>()
            : [];

    /// <summary>Field 22 of /proc/PID/stat: when the process started (clock ticks since boot); tells a pid from its reuse.</summary>
    static long? StartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19]);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>One lab change at a time, across processes (the CLI and the web app): flock on DataDirectory/labs/.lock.</summary>
    FileStream LockLabs()
    {
        Directory.CreateDirectory(_options.LabsDirectory);
        var path = Path.Combine(_options.LabsDirectory, ".lock");
        for (var i = 0; ; i++)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (i < 3000) { Thread.Sleep(10); }
        }
    }

    public void Dispose() => _engine.Dispose();
}
