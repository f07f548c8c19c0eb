using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Playground.Web.Accounts;
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

/// <summary>
/// Who has which id range and directory: the People table (so both survive a restart), read
/// once at start and kept in memory. Also when each was last seen: requests mark it in memory
/// (<see cref="Seen"/>), <see cref="SaveSeen"/> writes it, and guests unseen for GuestDays can be
/// forgotten (<see cref="ExpiredGuests"/>, <see cref="Forget"/>).
/// </summary>
public sealed class People
{
    readonly PlaygroundOptions options;
    readonly IDbContextFactory<PlaygroundDb> dbs;
    readonly ILogger<People> log;
    readonly ConcurrentDictionary<string, Person> _people;
    readonly ConcurrentDictionary<string, bool> _ready = new();
    /// <summary>Seen since the last <see cref="SaveSeen"/>.</summary>
    readonly ConcurrentDictionary<string, DateTime> _seen = new();
    readonly Lock _lock = new();

    public People(PlaygroundOptions options, IDbContextFactory<PlaygroundDb> dbs, ILogger<People> log)
    {
        (this.options, this.dbs, this.log) = (options, dbs, log);
        Slots = options.MaxPeople;
        ImportOldTable();
        using (var db = dbs.CreateDbContext())
            _people = new(db.People.AsNoTracking().AsEnumerable().Select(r => KeyValuePair.Create(r.Id, New(r.Id, r.Slot))));
        // What a crash left half made: root filesystems being built or deleted.
        Rootfs.RootfsStore.SweepWorkDirectory(options.DataDirectory);
    }

    /// <summary>How many people get a range (MaxPeople); slot N is range N.</summary>
    public int Slots { get; init; }

    Person New(string id, int slot) => new(id, slot, Path.Combine(options.DataDirectory, "people", id));

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
            using (var db = dbs.CreateDbContext())
            {
                db.People.Add(new PersonRow { Id = id, Slot = slot });
                db.SaveChanges();
            }
            return _people[id] = New(id, slot);
        }
    }

    /// <summary>The person made a request (cheap: kept in memory until <see cref="SaveSeen"/>); unknown ids are ignored.</summary>
    public void Seen(string id)
    {
        if (_people.ContainsKey(id)) _seen[id] = DateTime.UtcNow;
    }

    /// <summary>Writes when people were last seen (every few minutes, and when the server stops).</summary>
    public void SaveSeen()
    {
        if (_seen.IsEmpty) return;
        using var db = dbs.CreateDbContext();
        foreach (var (id, at) in _seen.ToList())
        {
            db.People.Where(p => p.Id == id && p.LastSeenAt < at).ExecuteUpdate(s => s.SetProperty(p => p.LastSeenAt, at));
            _seen.TryRemove(KeyValuePair.Create(id, at)); // unless seen again meanwhile
        }
    }

    /// <summary>Guests (no account) last seen before <paramref name="now"/> minus GuestDays: their cookie has expired, nobody can come back as them.</summary>
    public IReadOnlyList<string> ExpiredGuests(DateTime now)
    {
        SaveSeen();
        var before = now - TimeSpan.FromDays(options.GuestDays);
        using var db = dbs.CreateDbContext();
        return db.People.Where(p => p.LastSeenAt < before && !db.Users.Any(u => u.Id == p.Id)).Select(p => p.Id).ToList();
    }

    /// <summary>
    /// Forgets a person: their store unmounted and deleted with their directory, their row (and
    /// so their id range) freed. The caller has ended their lab. False when the store is busy.
    /// </summary>
    public bool Forget(string id)
    {
        if (!_people.TryGetValue(id, out var p)) return false;
        lock (_lock)
        {
            try { Rootfs.StoreImage.Unmount(p.Store); }
            catch (IOException e)
            {
                log.LogWarning("not forgetting {Id} yet: their store is busy ({Message})", id, e.Message);
                return false;
            }
            if (Rootfs.StoreImage.IsMountPoint(p.Store)) return false;
            _ready.TryRemove(id, out _);
            if (Directory.Exists(p.Dir)) Rootfs.StoreImage.Run("rm", "-rf", "--one-file-system", "--", p.Dir);
            using (var db = dbs.CreateDbContext()) db.People.Where(r => r.Id == id).ExecuteDelete();
            _people.TryRemove(id, out _);
            _seen.TryRemove(id, out _);
            return true;
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

    /// <summary>
    /// The table of an older version (DataDirectory/people.json) into the database, once: the
    /// same ids keep the same ranges and stores. The file is renamed people.json.imported.
    /// </summary>
    void ImportOldTable()
    {
        var path = Path.Combine(options.DataDirectory, "people.json");
        if (!File.Exists(path)) return;
        try
        {
            using var db = dbs.CreateDbContext();
            var ids = db.People.Select(p => p.Id).ToHashSet();
            var slots = db.People.Select(p => p.Slot).ToHashSet();
            foreach (var e in JsonSerializer.Deserialize<List<JsonElement>>(File.ReadAllText(path)) ?? [])
            {
                var id = e.GetProperty("Id").GetString()!;
                var slot = e.GetProperty("Slot").GetInt32();
                if (IsValidId(id) && ids.Add(id) && slots.Add(slot)) db.People.Add(new PersonRow { Id = id, Slot = slot });
            }
            db.SaveChanges();
            File.Move(path, path + ".imported", overwrite: true);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            log.LogError("{Path} is unreadable ({Message}); not imported", path, ex.Message);
        }
    }
}
