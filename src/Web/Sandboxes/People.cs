using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Json;
using Playground.Engine.Rootfs;
using Playground.Engine.Spec;

namespace Playground.Web.Sandboxes;

/// <summary>
/// One person using the playground (for now an anonymous visitor, known by a cookie): a range of
/// host ids of their own (their lab's root is uid <see cref="OutsideId"/> on the host, nobody
/// else's), and a store of their own for root filesystems (<see cref="Rootfs.StoreImage"/>),
/// owned by that root and seen in their lab as /roots.
/// </summary>
public sealed record Person(string Id, int Slot, string Dir)
{
    public const uint FirstOutsideId = SandboxSpec.DefaultOutsideId;
    public const uint IdsPerPerson = SandboxSpec.DefaultIdCount;

    public uint OutsideId => FirstOutsideId + (uint)Slot * IdsPerPerson;
    /// <summary>The person's ids as a user namespace's map: 0 inside is <see cref="OutsideId"/> on the host.</summary>
    public IReadOnlyList<IdMapping> IdMap => [new IdMapping(0, OutsideId, IdsPerPerson)];
    /// <summary>The mount point of their store image (DataDirectory/people/ID/store).</summary>
    public string Store => Path.Combine(Dir, "store");
    public string StoreImage => Path.Combine(Dir, "store.img");
    /// <summary>Their roots, on the server; /roots in their lab.</summary>
    public string RootfsStore => Path.Combine(Store, "rootfs");
    /// <summary>Where the server builds and deletes their roots: beside them, out of their lab's sight.</summary>
    public string StoreWork => Path.Combine(Store, ".work");
    /// <summary>Where the store is in their lab.</summary>
    public const string RootsInLab = "/roots";

    /// <summary>The id the pages and the hub know a person by: the signed-in user's, else the guest's.</summary>
    public static string? IdOf(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier);
}

/// <summary>Who has which id range and directory; kept in DataDirectory/people.json so both survive a restart.</summary>
public sealed class People(PlaygroundOptions options, ILogger<People> log)
{
    readonly ConcurrentDictionary<string, Person> _people = Load(options, log);
    readonly ConcurrentDictionary<string, bool> _ready = new();
    readonly object _lock = new();

    /// <summary>How many people get a range (MaxPeople); slot N is range N.</summary>
    public int Slots { get; init; } = options.MaxPeople;

    /// <summary>The person (their slot given the first time); their store is not touched: see <see cref="WithStore"/>.</summary>
    public Person Get(string id)
    {
        if (!IsValidId(id)) throw new ArgumentException("not a person id", nameof(id));
        if (_people.TryGetValue(id, out var p)) return p;
        lock (_lock)
        {
            if (_people.TryGetValue(id, out p)) return p;
            var used = _people.Values.Select(x => x.Slot).ToHashSet();
            var slot = Enumerable.Range(0, Slots).FirstOrDefault(s => !used.Contains(s), -1);
            if (slot < 0) throw new InvalidOperationException($"this server has room for {Slots} people (the MaxPeople setting)");
            p = new Person(id, slot, Path.Combine(options.DataDirectory, "people", id));
            _people[id] = p;
            Save();
            return p;
        }
    }

    /// <summary>
    /// The person with their store mounted (made, with its first root, the first time): only
    /// when they use it (a root filesystem, a lab), so a visitor who only looks costs no disk.
    /// </summary>
    public Person WithStore(string id) => Ready(Get(id));

    public bool StoreMounted(string id) => _ready.ContainsKey(id);

    /// <summary>Unmounts the person's store (their lab has ended: nothing holds it); the next use mounts it again.</summary>
    public void ReleaseStore(string id)
    {
        if (!_people.TryGetValue(id, out var p)) return;
        lock (_lock)
        {
            try
            {
                Rootfs.StoreImage.Unmount(p.Store);
                _ready.TryRemove(id, out _);
            }
            catch (IOException e) { log.LogInformation("the store of {Id} stays mounted: {Message}", id, e.Message); } // in use (an import)
        }
    }

    /// <summary>Everyone known (their stores are not touched).</summary>
    public IReadOnlyList<Person> All() => _people.Values.ToList();

    public static bool IsValidId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    /// <summary>
    /// Their store mounted (made the first time), and the first time a busybox root in it, owned
    /// by their lab's root (once: a person who deletes it does not get it back behind their back).
    /// </summary>
    Person Ready(Person p)
    {
        if (_ready.ContainsKey(p.Id)) return p;
        lock (_lock) // a second request of a newcomer waits for their first root
        {
            if (_ready.ContainsKey(p.Id)) return p;
            Directory.CreateDirectory(p.Dir);
            File.SetUnixFileMode(p.Dir, (UnixFileMode)0x1ed);
            var fresh = !File.Exists(p.StoreImage);
            Rootfs.StoreImage.Ensure(p.StoreImage, p.Store, options.StoreBytes, p.OutsideId);
            if (fresh && options.CreateBusyboxRootfs)
            {
                var tmp = Path.Combine(p.StoreWork, "busybox");
                BusyboxRootfs.Create(tmp);
                TreeOwner.ChownTree(tmp, p.OutsideId, p.OutsideId);
                Directory.Move(tmp, Path.Combine(p.RootfsStore, "busybox"));
            }
            _ready[p.Id] = true;
        }
        return p;
    }

    /// <summary>Unmounts every store this server mounted (when no lab holds them any more: tests, EndLabsOnStop).</summary>
    public void UnmountStores()
    {
        foreach (var p in _people.Values)
            try { Rootfs.StoreImage.Unmount(p.Store); _ready.TryRemove(p.Id, out _); }
            catch (IOException e) { log.LogWarning("unmounting the store of {Id}: {Message}", p.Id, e.Message); }
    }

    void Save()
    {
        Directory.CreateDirectory(options.DataDirectory);
        var path = Path.Combine(options.DataDirectory, "people.json");
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(_people.Values.OrderBy(p => p.Slot).Select(p => new { p.Id, p.Slot })));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    static ConcurrentDictionary<string, Person> Load(PlaygroundOptions options, ILogger log)
    {
        var people = LoadTable(options, log);
        // What a crash left half made: root filesystems being built or deleted.
        Rootfs.RootfsStore.SweepWorkDirectory(options.DataDirectory);
        return people;
    }

    static ConcurrentDictionary<string, Person> LoadTable(PlaygroundOptions options, ILogger log)
    {
        var path = Path.Combine(options.DataDirectory, "people.json");
        var result = new ConcurrentDictionary<string, Person>();
        if (!File.Exists(path)) return result;
        try
        {
            foreach (var e in JsonSerializer.Deserialize<List<JsonElement>>(File.ReadAllText(path)) ?? [])
            {
                var id = e.GetProperty("Id").GetString()!;
                if (IsValidId(id)) result[id] = new Person(id, e.GetProperty("Slot").GetInt32(), Path.Combine(options.DataDirectory, "people", id));
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            log.LogError("{Path} is unreadable ({Message}); starting with nobody known", path, ex.Message);
        }
        return result;
    }
}
