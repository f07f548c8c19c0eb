using System.CommandLine;
using System.Security.Cryptography;
using Playground.Engine;
using Playground.Engine.Labs;
using Playground.Engine.Lessons;

namespace Playground.Cli;

/// <summary>
/// <c>playground lesson validate FILE…</c> reads lesson files and reports every problem with
/// its line; <c>playground lesson test FILE…</c> then runs each in a fresh lab, as a person
/// would (snippets typed into a login bash, keys pressed, specs started), and runs each step's
/// check. Exit 0 only when every file is valid and every check passes: a lesson is tested in CI.
/// </summary>
internal static class LessonCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "Lesson files (Markdown, see docs/lessons.md), or a directory of them (a course: prerequisites are checked too)", Arity = ArgumentArity.OneOrMore };
        var validate = new Command("validate", "Read lesson files and report every problem with its line; exit 0 when all are valid.") { files };
        validate.SetAction(r =>
        {
            if (Load(r.GetValue(files)!) is not { } lessons) return 1;
            Console.WriteLine($"{lessons.Count} lesson(s), {lessons.Sum(l => l.Steps.Count)} steps: valid");
            return 0;
        });

        var data = new Option<string>("--data-dir") { Description = "Where the test labs keep their state", DefaultValueFactory = _ => "/var/lib/playground" };
        var firstId = new Option<uint>("--first-id") { Description = "Host id where the test labs' id ranges start (65536 per lab)", DefaultValueFactory = _ => new LabOptions().FirstId };
        var test = new Command("test", "Validate, then run each lesson's snippets and checks in a fresh lab (ended afterwards); exit 0 only when every check passes.") { files, data, firstId };
        test.SetAction(async (r, cancel) =>
        {
            if (Load(r.GetValue(files)!) is not { } lessons) return 1;
            using var labs = new LabManager(new LabOptions { DataDirectory = Path.GetFullPath(r.GetValue(data)!), FirstId = r.GetValue(firstId) });
            var failed = 0;
            foreach (var lesson in lessons)
            {
                var name = "lesson-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
                Console.WriteLine($"{lesson.Path}: {lesson.Title} ({lesson.Steps.Count} steps) in a fresh lab {name}");
                try
                {
                    labs.Create(name);
                    if (!await LessonRunner.RunAsync(lesson, labs, name, Console.Out, cancel)) failed++;
                }
                catch (Exception e) when (e is SandboxException or SpecValidationException or IOException or InvalidOperationException or TimeoutException)
                {
                    Console.WriteLine($"  FAILED: {e.Message}");
                    failed++;
                }
                finally { labs.End(name); }
            }
            Console.WriteLine(failed == 0 ? $"{lessons.Count} lesson(s): every check passed" : $"{failed} of {lessons.Count} lesson(s) failed");
            return failed == 0 ? 0 : 1;
        });
        return new Command("lesson", "Lesson files: validate them, or test them in a fresh lab.") { validate, test };
    }

    /// <summary>Every file read, or null after printing every problem (file:line: message).</summary>
    static List<Lesson>? Load(IEnumerable<string> paths)
    {
        var lessons = new List<Lesson>();
        var ok = true;
        foreach (var path in paths)
        {
            try
            {
                if (Directory.Exists(path)) lessons.AddRange(LessonCatalog.Load(path));
                else lessons.Add(LessonParser.Load(path));
            }
            catch (LessonException e)
            {
                foreach (var error in e.Errors) Console.Error.WriteLine(error);
                ok = false;
            }
        }
        return ok ? lessons : null;
    }
}
