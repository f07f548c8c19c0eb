namespace Playground.Engine.Lessons;

/// <summary>
/// The course: every *.md file of a directory, in name order, each read by
/// <see cref="LessonParser"/>, and their prerequisites naming lessons that exist. Every
/// problem of every file is reported at once.
/// </summary>
public static class LessonCatalog
{
    public static IReadOnlyList<Lesson> Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new LessonException([new LessonError(directory, 0, "no such directory (the LessonsDirectory setting)")]);
        var lessons = new List<Lesson>();
        var errors = new List<LessonError>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.md").Order(StringComparer.Ordinal))
        {
            try { lessons.Add(LessonParser.Load(path)); }
            catch (LessonException e) { errors.AddRange(e.Errors); }
        }
        var ids = lessons.Select(l => l.Id).ToHashSet();
        foreach (var lesson in lessons)
            foreach (var p in lesson.Prerequisites.Where(p => !ids.Contains(p)))
                errors.Add(new LessonError(lesson.Path, 1, $"prerequisite \"{p}\" is no lesson here (accepted: {string.Join(", ", ids.Order())})"));
        if (errors.Count > 0) throw new LessonException(errors);
        return lessons;
    }
}
