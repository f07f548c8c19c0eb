using Microsoft.EntityFrameworkCore;
using Playground.Engine.Lessons;
using Playground.Web.Accounts;

namespace Playground.Web.Lessons;

/// <summary>
/// The lessons and each person's progress through them (the database). The lessons are read
/// and checked at start (a bad file stops the server); <see cref="Watch"/> then reads the
/// directory again when a file is added or changed, so an author drops a file in and it is
/// there. A course that no longer reads is refused (logged with file and line) and the last
/// good one stays.
/// </summary>
public sealed class Course(IReadOnlyList<Lesson> lessons, IDbContextFactory<PlaygroundDb> dbs) : IDisposable
{
    /// <summary>Failed checks on one step, without a pass, after which the class page says "stuck".</summary>
    public const int StuckAfter = 3;

    volatile IReadOnlyList<Lesson> _lessons = lessons;
    FileSystemWatcher? _watcher;
    Timer? _reload;

    public IReadOnlyList<Lesson> Lessons => _lessons;

    /// <summary>Reads <paramref name="directory"/> again half a second after its files change (an editor writes in bursts).</summary>
    public void Watch(string directory, ILogger log)
    {
        _reload = new Timer(_ => Reload(directory, log));
        _watcher = new FileSystemWatcher(directory, "*.md") { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
        FileSystemEventHandler changed = (_, _) => _reload.Change(TimeSpan.FromMilliseconds(500), Timeout.InfiniteTimeSpan);
        _watcher.Created += changed;
        _watcher.Changed += changed;
        _watcher.Deleted += changed;
        _watcher.Renamed += (_, _) => _reload.Change(TimeSpan.FromMilliseconds(500), Timeout.InfiniteTimeSpan);
        _watcher.EnableRaisingEvents = true;
    }

    internal void Reload(string directory, ILogger log)
    {
        try
        {
            _lessons = LessonCatalog.Load(directory);
            log.LogInformation("lessons read again: {Count} lessons", _lessons.Count);
        }
        catch (LessonException e)
        {
            log.LogError("the lessons changed but do not read; keeping the {Count} read before:\n  {Errors}", _lessons.Count, string.Join("\n  ", e.Errors));
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _reload?.Dispose();
    }

    public Lesson? Find(string id) => Lessons.FirstOrDefault(l => l.Id == id);

    /// <summary>A check's outcome for a person: passed (kept), or one more failure.</summary>
    public async Task RecordAsync(string personId, string lessonId, int step, bool passed)
    {
        await using var db = await dbs.CreateDbContextAsync();
        var row = await db.Progress.FindAsync(personId, lessonId, step);
        if (row is null) db.Progress.Add(row = new StepProgress { PersonId = personId, LessonId = lessonId, Step = step });
        row.LastCheckedAt = DateTime.UtcNow;
        if (passed) row.PassedAt ??= row.LastCheckedAt;
        else if (row.PassedAt is null) row.Failures++;
        await db.SaveChangesAsync();
    }

    /// <summary>A person's progress on a lesson: step number → its row.</summary>
    public async Task<IReadOnlyDictionary<int, StepProgress>> OfAsync(string personId, string lessonId)
    {
        await using var db = await dbs.CreateDbContextAsync();
        return await db.Progress.AsNoTracking().Where(p => p.PersonId == personId && p.LessonId == lessonId).ToDictionaryAsync(p => p.Step);
    }

    /// <summary>Steps passed per lesson, for a person's course list.</summary>
    public async Task<IReadOnlyDictionary<string, int>> PassedPerLessonAsync(string personId)
    {
        await using var db = await dbs.CreateDbContextAsync();
        return await db.Progress.Where(p => p.PersonId == personId && p.PassedAt != null)
            .GroupBy(p => p.LessonId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count);
    }

    /// <summary>
    /// Where each of these people is: the step they checked last (their lesson and step), steps
    /// passed in all, and whether they are stuck (the step they are on failed StuckAfter times).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, Standing>> StandingsAsync(IReadOnlyCollection<string> people)
    {
        await using var db = await dbs.CreateDbContextAsync();
        var rows = await db.Progress.AsNoTracking().Where(p => people.Contains(p.PersonId)).ToListAsync();
        return rows.GroupBy(r => r.PersonId).ToDictionary(g => g.Key, g =>
        {
            var last = g.MaxBy(r => r.LastCheckedAt)!;
            var lesson = Find(last.LessonId);
            return new Standing(last.LessonId, lesson?.Title ?? last.LessonId, last.Step,
                lesson?.Steps.ElementAtOrDefault(last.Step - 1)?.Title ?? "", g.Count(r => r.PassedAt != null),
                last.PassedAt is null && last.Failures >= StuckAfter, last.Failures, last.LastCheckedAt);
        });
    }
}

/// <summary>Where a person is in the course (for their instructor).</summary>
public sealed record Standing(string LessonId, string LessonTitle, int Step, string StepTitle, int Passed, bool Stuck, int Failures, DateTime At);
