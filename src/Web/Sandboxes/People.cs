using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Json;
using Playground.Engine.Rootfs;
using Playground.Engine.Spec;

namespace Playground.Web.Sandboxes;

/// <summary>
/// One person using the playground (for now an anonymous visitor, known by a cookie). Until
/// labs exist every sandbox runs on the server itself, so each person gets what keeps people
/// apart: a range of host ids of their own (their sandbox's root is uid <see cref="OutsideId"/>
/// on the host, nobody else's), and a directory of their own for root filesystems, owned by
/// that root.
/// </summary>
public sealed record Person(string Id, int Slot, string Dir)
{
    public const uint FirstOutsideId = SandboxSpec.DefaultOutsideId;
    public const uint IdsPerPerson = SandboxSpec.DefaultIdCount;

    public uint OutsideId => FirstOutsideId + (uint)Slot * IdsPerPerson;
    public string RootfsStore => Path.Combine(Dir, "rootfs");
    public IReadOnlyList<IdMapping> IdMap => [new IdMapping(0, OutsideId, IdsPerPerson)];

    public static string? IdOf(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier);
}

/// <summary>Who has which id range and directory; kept in DataDirectory/people.json so both survive a restart.</summary>
public sealed class People(PlaygroundOptions options, ILogger<People> log)
{
    readonly ConcurrentDictionary<string, Person> _people = Load(options, log);
    readonly object _lock = new();

    /// <summary>Id ranges /etc/subuid gives root (root:100000:6553600 is 100 ranges); slot N is range N.</summary>
    public int Slots { get; init; } = 100;

    public Person Get(string id)
    {
        if (!IsValidId(id)) throw new ArgumentException("not a person id", nameof(id));
        if (_people.TryGetValue(id, out var p)) return Ready(p);
        lock (_lock)
        {
            if (_people.TryGetValue(id, out p)) return Ready(p);
            var used = _people.Values.Select(x => x.Slot).ToHashSet();
            var slot = Enumerable.Range(0, Slots).FirstOrDefault(s => !used.Contains(s), -1);
            if (slot < 0) throw new InvalidOperationException($"this server has room for {Slots} people (id ranges in /etc/subuid)");
            p = new Person(id, slot, Path.Combine(options.DataDirectory, "people", id));
            _people[id] = p;
            Save();
            return Ready(p);
        }
    }

    public static bool IsValidId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    /// <summary>
    /// Their directory, and the first time a busybox root in it, owned by their sandbox's root
    /// (once: a person who deletes it does not get it back behind their back).
    /// </summary>
    Person Ready(Person p)
    {
        if (!options.CreateBusyboxRootfs || Directory.Exists(p.RootfsStore)) return p;
        lock (_lock) // a second request of a newcomer waits for their first root
        {
            if (Directory.Exists(p.RootfsStore)) return p;
            var tmp = Path.Combine(options.DataDirectory, "people", $".new-busybox-{p.Id}");
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            // the sandbox's root (uid OutsideId on the host) must be able to reach its rootfs
            Directory.CreateDirectory(Path.Combine(tmp, "rootfs"));
            Directory.CreateDirectory(p.Dir);
            File.SetUnixFileMode(p.Dir, (UnixFileMode)0x1ed);
            File.SetUnixFileMode(Path.Combine(tmp, "rootfs"), (UnixFileMode)0x1ed);
            BusyboxRootfs.Create(Path.Combine(tmp, "rootfs", "busybox"));
            TreeOwner.ChownTree(Path.Combine(tmp, "rootfs", "busybox"), p.OutsideId, p.OutsideId);
            Directory.Move(Path.Combine(tmp, "rootfs"), p.RootfsStore);
            Directory.Delete(tmp);
        }
        return p;
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
