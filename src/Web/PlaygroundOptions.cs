namespace Playground.Web;

/// <summary>The settings a deployer changes, from the "Playground" section of appsettings.json.</summary>
public sealed record PlaygroundOptions
{
    /// <summary>Where Playground keeps its state (rootfs store, later the database and recordings).</summary>
    public string DataDirectory { get; set; } = "/var/lib/playground";
    /// <summary>Give each person a busybox root (Debian's busybox-static) when they first come.</summary>
    public bool CreateBusyboxRootfs { get; set; } = true;
    /// <summary>Sandboxes one person may have running at once.</summary>
    public int MaxSandboxesPerPerson { get; set; } = 8;
    /// <summary>Processes (terminals) one person may have at once, sandboxes and extra shells together.</summary>
    public int MaxTerminalsPerPerson { get; set; } = 16;
    /// <summary>Recent output kept per terminal and replayed when a browser (re)attaches.</summary>
    public int ReplayBytes { get; set; } = 256 * 1024;
    /// <summary>Flow control: stop reading a terminal above this much unacknowledged output...</summary>
    public int HighWatermarkBytes { get; set; } = 512 * 1024;
    /// <summary>...and read again once the browser has caught up below this.</summary>
    public int LowWatermarkBytes { get; set; } = 128 * 1024;
    /// <summary>The most output read from a PTY at once, and about the biggest batch sent to a browser.</summary>
    public int BatchBytes { get; set; } = 32 * 1024;
    /// <summary>Limits every sandbox gets unless its spec sets lower ones (a person cannot ask for more).</summary>
    public long MaxMemoryBytes { get; set; } = 512L * 1024 * 1024;
    public long MaxPids { get; set; } = 256;
    public double MaxCpus { get; set; } = 1.0;
    /// <summary>A sandbox nobody has watched for this long is stopped (abandoned tabs must not hold the server)...</summary>
    public int IdleSandboxMinutes { get; set; } = 120;
    /// <summary>...and an ended one is forgotten after this long unwatched.</summary>
    public int EndedSandboxMinutes { get; set; } = 30;

    /// <summary>Root filesystems one person may keep.</summary>
    public int MaxRootfsPerPerson { get; set; } = 20;
    /// <summary>Budget of one tarball or image import: bytes written (after decompression)...</summary>
    public long ImportMaxBytes { get; set; } = 4L << 30;
    /// <summary>...and entries (files, directories, links).</summary>
    public long ImportMaxEntries { get; set; } = 500_000;
    /// <summary>Each person's lab host: memory, processes, CPUs, its root's size (a tmpfs) and its /tmp's.</summary>
    public long LabMemoryBytes { get; set; } = 1L << 30;
    public long LabPids { get; set; } = 1024;
    public double LabCpus { get; set; } = 1.0;
    public long LabWorkspaceBytes { get; set; } = 512L << 20;
    public long LabTmpBytes { get; set; } = 256L << 20;
    /// <summary>Host id where lab id ranges start (65536 per lab), apart from the sandboxes' person ranges.</summary>
    public uint LabFirstId { get; set; } = 100000 + 65536u * 10000;
    /// <summary>People (guests and accounts) this server keeps an id range and a lab for: slot N is host ids 100000 + 65536·N.</summary>
    public int MaxPeople { get; set; } = 10000;
    /// <summary>New guests (browsers without a cookie) one address may make per minute.</summary>
    public int GuestsPerMinute { get; set; } = 30;
    /// <summary>Each person's root filesystem store (/roots in their lab): an ext4 image of this size, sparse on the server's disk.</summary>
    public long StoreBytes { get; set; } = 2L << 30;
    /// <summary>A lab nobody has typed in or acted on for this long ends (its roots in /roots are kept)...</summary>
    public int LabIdleMinutes { get; set; } = 60;
    /// <summary>...and any lab ends this long after it started...</summary>
    public double LabMaxHours { get; set; } = 8;
    /// <summary>...with a warning on the person's page this long before either.</summary>
    public int LabWarningMinutes { get; set; } = 5;
    /// <summary>Let people in without an account (self-study, demos): each browser is a guest with a lab of its own.</summary>
    public bool AllowGuests { get; set; } = true;
    /// <summary>
    /// sqlite (DataDirectory/playground.db, or ConnectionStrings:Playground) or postgres
    /// (ConnectionStrings:Playground, e.g. "Host=db;Database=playground;Username=playground;Password=…").
    /// </summary>
    public string Database { get; set; } = "sqlite";
    /// <summary>The course: lesson files (docs/lessons.md), read and checked at start; by default the lessons/ beside the app.</summary>
    public string LessonsDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "lessons");
    /// <summary>A guest's cookie lasts this many days from their last visit; a guest unseen longer is forgotten (their roots, recordings, id range).</summary>
    public int GuestDays { get; set; } = 30;
    /// <summary>Sign-in attempts (password or link) and class joins per minute from one address.</summary>
    public int SignInsPerMinute { get; set; } = 10;
    public int JoinsPerMinute { get; set; } = 20;
    /// <summary>Sandboxes, host shells and extra shells one person may start per minute.</summary>
    public int LaunchesPerMinute { get; set; } = 30;
    /// <summary>Record every terminal as asciicast v2 (DataDirectory/recordings), each up to this many bytes.</summary>
    public bool RecordTerminals { get; set; } = true;
    public long RecordingMaxBytes { get; set; } = 16L << 20;
    /// <summary>End every lab when the server stops (labs otherwise outlive it: they are people's hosts). For tests.</summary>
    public bool EndLabsOnStop { get; set; }
    /// <summary>The Docker engine for "from a Docker image": unix:///path or tcp://host:port; null: $DOCKER_HOST, else unix:///var/run/docker.sock.</summary>
    public string? DockerHost { get; set; }

    /// <summary>Each setting that makes no sense, named as in appsettings.json with what is accepted.</summary>
    public IEnumerable<string> Problems()
    {
        if (!Path.IsPathRooted(DataDirectory)) yield return "Playground:DataDirectory: give an absolute path";
        if (MaxSandboxesPerPerson < 1) yield return "Playground:MaxSandboxesPerPerson: at least 1";
        if (MaxTerminalsPerPerson < MaxSandboxesPerPerson) yield return "Playground:MaxTerminalsPerPerson: at least MaxSandboxesPerPerson";
        if (ReplayBytes is < 1024 or > 64 << 20) yield return "Playground:ReplayBytes: 1024 to 67108864";
        if (BatchBytes is < 1024 or > 1 << 20) yield return "Playground:BatchBytes: 1024 to 1048576";
        if (LowWatermarkBytes < 0 || HighWatermarkBytes <= LowWatermarkBytes)
            yield return "Playground:HighWatermarkBytes and LowWatermarkBytes: 0 <= low < high";
        if (MaxMemoryBytes < 4 << 20) yield return "Playground:MaxMemoryBytes: at least 4194304 (4 MiB)";
        if (MaxPids < 2) yield return "Playground:MaxPids: at least 2";
        if (MaxCpus is <= 0 or double.NaN) yield return "Playground:MaxCpus: more than 0";
        if (LabMemoryBytes < 16 << 20) yield return "Playground:LabMemoryBytes: at least 16777216 (16 MiB)";
        if (LabPids < 8) yield return "Playground:LabPids: at least 8";
        if (LabCpus is <= 0 or double.NaN) yield return "Playground:LabCpus: more than 0";
        if (LabWorkspaceBytes < 1 << 20 || LabTmpBytes < 1 << 20) yield return "Playground:LabWorkspaceBytes and LabTmpBytes: at least 1048576 (1 MiB)";
        if (StoreBytes < 16 << 20) yield return "Playground:StoreBytes: at least 16777216 (16 MiB)";
        if (LabIdleMinutes < 1 || LabMaxHours <= 0 || LabWarningMinutes < 1 || LabWarningMinutes >= LabIdleMinutes)
            yield return "Playground:LabIdleMinutes, LabMaxHours and LabWarningMinutes: each more than 0, the warning shorter than the idle time";
        if (RecordingMaxBytes < 4096) yield return "Playground:RecordingMaxBytes: at least 4096";
        if (SignInsPerMinute < 1 || JoinsPerMinute < 1 || LaunchesPerMinute < 1) yield return "Playground:SignInsPerMinute, JoinsPerMinute and LaunchesPerMinute: at least 1";
        if (MaxPeople is < 1 or > 60000) yield return "Playground:MaxPeople: 1 to 60000";
        else if (LabFirstId < 100000 + 65536L * MaxPeople || LabFirstId + 65536L * 1000 > uint.MaxValue)
            yield return $"Playground:LabFirstId: from {100000 + 65536L * MaxPeople} (after the people's ranges) to {uint.MaxValue - 65536L * 1000}";
        if (Database is not ("sqlite" or "postgres")) yield return "Playground:Database: sqlite or postgres";
        if (GuestDays is < 1 or > 3650) yield return "Playground:GuestDays: 1 to 3650";
        if (GuestsPerMinute < 1) yield return "Playground:GuestsPerMinute: at least 1";
        if (MaxRootfsPerPerson < 1) yield return "Playground:MaxRootfsPerPerson: at least 1";
        if (ImportMaxBytes < 1 << 20) yield return "Playground:ImportMaxBytes: at least 1048576 (1 MiB)";
        if (ImportMaxEntries < 100) yield return "Playground:ImportMaxEntries: at least 100";
        if (DockerHost is { Length: > 0 } h && !(Uri.TryCreate(h, UriKind.Absolute, out var u) && u.Scheme is "unix" or "tcp"))
            yield return "Playground:DockerHost: unix:///path/to/docker.sock or tcp://host:port";
        if (IdleSandboxMinutes < 1 || EndedSandboxMinutes < 1) yield return "Playground:IdleSandboxMinutes and EndedSandboxMinutes: at least 1";
    }
}
