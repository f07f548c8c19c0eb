using System.Diagnostics;
using Playground.Cli;

namespace Playground.Tests.Cli;

/// <summary>`playground lesson validate|test` as an author and CI run it: problems with file and line, exit status from the checks.</summary>
[Collection("labs")]
public sealed class LessonCliTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("pg-lesson-cli-").FullName;

    public LessonCliTests() => File.SetUnixFileMode(_dir, (UnixFileMode)0x1ed);

    (int Code, string Out, string Err) Lesson(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "exec", typeof(SpecOptions).Assembly.Location, "lesson" }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120))) { p.Kill(true); Assert.Fail($"playground lesson {string.Join(' ', args)} did not end"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    string Write(string name, string body)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "---\ntitle: t\nsummary: s\n---\n\n" + body);
        return path;
    }

    [Fact]
    public void Validate_names_each_problem_with_its_file_and_line_and_accepts_the_built_in_course()
    {
        var bad = Write("01-bad.md", "## S\n\n```check\ntrue\n```\n");
        var refused = Lesson("validate", bad);
        Assert.Equal(1, refused.Code);
        Assert.Contains($"{bad}:8: a check needs its failure message in quotes", refused.Err);
        var course = Lesson("validate", Playground.Tests.Lessons.CourseTests.LessonsDirectory);
        Assert.True(course.Code == 0, course.Err);
        Assert.Matches(@"^\d+ lesson\(s\), \d+ steps: valid", course.Out);
    }

    [Fact]
    public void Test_exits_0_only_when_every_check_fails_before_and_passes_after()
    {
        var data = Path.Combine(_dir, "data");
        var good = Write("02-good.md", "## Make it\n\n```run\necho hi > hi.txt\n```\n\n```check \"no hi.txt\"\ngrep -qx hi hi.txt\n```\n");
        var wrong = Write("03-wrong.md", "## Make it\n\n```run\necho hi > hi.txt\n```\n\n```check \"no bye.txt\"\ntest -f bye.txt\n```\n");
        string[] where = ["--data-dir", data, "--first-id", (100000 + 65536 * 540).ToString()];
        var passed = Lesson(["test", good, .. where]);
        Assert.True(passed.Code == 0, passed.Out + passed.Err);
        Assert.Contains("step 1 (Make it): passed", passed.Out);
        Assert.EndsWith("1 lesson(s): every check passed\n", passed.Out);
        var failed = Lesson(["test", good, wrong, .. where]);
        Assert.Equal(1, failed.Code);
        Assert.Contains($"{wrong}:12: the check exited 1: no bye.txt", failed.Out);
        Assert.EndsWith("1 of 2 lesson(s) failed\n", failed.Out);
        Assert.DoesNotContain(Directory.EnumerateDirectories(Path.Combine(data, "labs")), d => Path.GetFileName(d).StartsWith("lesson-")); // its labs are ended
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
