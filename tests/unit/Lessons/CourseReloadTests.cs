using Microsoft.Extensions.Logging.Abstractions;
using Playground.Engine.Lessons;
using Playground.Tests.Support;
using Playground.Web;
using Playground.Web.Lessons;

namespace Playground.Tests.Lessons;

/// <summary>An author drops a lesson file into the lessons directory of a running server: it appears; a broken one does not replace the course.</summary>
public sealed class CourseReloadTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("pg-course-reload-").FullName;
    readonly string _data = Directory.CreateTempSubdirectory("pg-course-reload-data-").FullName;

    const string One = "---\ntitle: One\nsummary: s\n---\n\n## S\n\ntext\n";

    [Fact]
    public void A_dropped_in_lesson_appears_and_a_broken_file_keeps_the_last_good_course()
    {
        File.WriteAllText(Path.Combine(_dir, "01-one.md"), One);
        using var course = new Course(LessonCatalog.Load(_dir), TestDb.Factory(new PlaygroundOptions { DataDirectory = _data }));
        course.Watch(_dir, NullLogger.Instance);
        File.WriteAllText(Path.Combine(_dir, "02-two.md"), One.Replace("One", "Two"));
        Assert.True(SpinWait.SpinUntil(() => course.Find("02-two") is not null, TimeSpan.FromSeconds(10)));
        Assert.Equal("Two", course.Find("02-two")!.Title);

        File.WriteAllText(Path.Combine(_dir, "03-broken.md"), "---\ntitle: Broken\n---\n");
        Thread.Sleep(1500); // read again, refused
        Assert.Equal(["01-one", "02-two"], course.Lessons.Select(l => l.Id));
        File.Delete(Path.Combine(_dir, "03-broken.md"));
        File.Delete(Path.Combine(_dir, "02-two.md"));
        Assert.True(SpinWait.SpinUntil(() => course.Find("02-two") is null, TimeSpan.FromSeconds(10)));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
        Directory.Delete(_data, true);
    }
}
