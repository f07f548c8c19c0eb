using Microsoft.EntityFrameworkCore;
using Playground.Engine.Lessons;
using Playground.Web.Accounts;

namespace Playground.Web.Lessons;

/// <summary>The lessons (read and checked once, at start) and each person's progress through them (the database).</summary>
public sealed class Course(IReadOnlyList<Lesson> lessons, IDbContextFactory<PlaygroundDb> dbs)
{
    /// <summary>Failed checks on one step, without a pass, after which the class page says "stuck".</summary>
    public const int StuckAfter = 3;

    public IReadOnlyList<Lesson> Lessons { get; } = lessons;

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
