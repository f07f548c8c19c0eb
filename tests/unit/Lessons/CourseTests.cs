using Playground.Engine.Labs;
using Playground.Engine.Lessons;
using Xunit.Abstractions;

namespace Playground.Tests.Lessons;

/// <summary>
/// The built-in course, end to end: every lesson in lessons/ in a fresh lab of its own, as
/// `playground lesson test` runs it: every check fails first, every snippet is typed, every
/// check then passes.
/// </summary>
[Collection("labs")]
public sealed class CourseTests(ITestOutputHelper output) : IDisposable
{
    public static string LessonsDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Playground.sln"))) return Path.Combine(dir.FullName, "lessons");
            throw new DirectoryNotFoundException("the repository (Playground.sln) is not above the tests");
        }
    }

    public static TheoryData<string> Lessons => new(Directory.EnumerateFiles(LessonsDirectory, "*.md").Select(Path.GetFileNameWithoutExtension).Order()!);

    readonly string _data = Directory.CreateTempSubdirectory("pg-course-").FullName;

    [Theory]
    [MemberData(nameof(Lessons))]
    public async Task Every_check_of_the_lesson_fails_before_and_passes_after_its_snippets(string id)
    {
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        var lesson = LessonCatalog.Load(LessonsDirectory).Single(l => l.Id == id);
        using var labs = new LabManager(new LabOptions { DataDirectory = _data, CgroupParent = "playground-labs-lessontests", FirstId = 100000 + 65536 * 520 });
        var lab = labs.Create("course");
        try
        {
            var log = new StringWriter();
            var passed = await LessonRunner.RunAsync(lesson, labs, lab.Name, log);
            output.WriteLine(log.ToString());
            Assert.True(passed, log.ToString());
        }
        finally { labs.End(lab.Name); }
    }

    public void Dispose()
    {
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
