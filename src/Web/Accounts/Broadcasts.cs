using System.Collections.Concurrent;

namespace Playground.Web.Accounts;

/// <summary>A terminal shown, read-only, to every student of a class.</summary>
public sealed record Broadcast(string ClassId, string TerminalId, string OwnerId, string From);

/// <summary>A request to show a student's terminal to the class, waiting for the student's yes or no.</summary>
public sealed record ShareRequest(string ClassId, string TerminalId, string OwnerId, string InstructorName);

/// <summary>
/// What each class is being shown (at most one terminal), and requests to show a student's
/// terminal, which only that student can grant. In memory: a broadcast lasts as long as the
/// terminal and the server. The hub lets a class's students watch the terminal it shows.
/// </summary>
public sealed class Broadcasts
{
    readonly ConcurrentDictionary<string, Broadcast> _byClass = new();
    readonly ConcurrentDictionary<string, ShareRequest> _requests = new(); // by owner

    /// <summary>A class's broadcast started or stopped, or a share request was made or answered (its argument: the class).</summary>
    public event Action<string>? Changed;

    /// <summary>Something else about the class changed (a spec pushed): its pages look again.</summary>
    public void Notify(string classId) => Changed?.Invoke(classId);

    public Broadcast? Of(string classId) => _byClass.GetValueOrDefault(classId);

    /// <summary>The classes <paramref name="terminalId"/> is shown to.</summary>
    public IEnumerable<string> ClassesShowing(string terminalId) =>
        _byClass.Values.Where(b => b.TerminalId == terminalId).Select(b => b.ClassId).ToList();

    public void Start(Broadcast b)
    {
        _byClass[b.ClassId] = b;
        Changed?.Invoke(b.ClassId);
    }

    public void Stop(string classId)
    {
        if (_byClass.TryRemove(classId, out _)) Changed?.Invoke(classId);
    }

    public void Ask(ShareRequest r)
    {
        _requests[r.OwnerId] = r;
        Changed?.Invoke(r.ClassId);
    }

    public ShareRequest? RequestFor(string ownerId) => _requests.GetValueOrDefault(ownerId);

    /// <summary>The student's answer: yes starts the broadcast of their terminal; either way the request is gone.</summary>
    public void Answer(string ownerId, bool yes, string ownerName)
    {
        if (!_requests.TryRemove(ownerId, out var r)) return;
        if (yes) Start(new Broadcast(r.ClassId, r.TerminalId, ownerId, ownerName));
        else Changed?.Invoke(r.ClassId);
    }
}
