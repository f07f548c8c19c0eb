using Playground.Engine.Lessons;

namespace Playground.Tests.Lessons;

/// <summary>Lesson files: what a valid one becomes, and every kind of mistake named with its line.</summary>
public sealed class LessonParserTests
{
    const string Valid = """
        ---
        title: Two steps
        summary: A lesson to test the reader.
        prerequisites: [00-isolation]
        ---

        Some introduction.

        ## Make a file

        Text before.

        ```run
        touch made
        ls !$
        ```

        Text between.

        ```sh
        echo shown, not run
        ```

        ```check "There is no made: run the snippet."
        test -f made
        ```

        > Hint: The first hint,
        > on two lines.

        > Hint: The second.

        ## Stop it

        ```run
        sleep 100
        ```

        ```run
        <Ctrl-C>
        ```

        ```spec
        { "rootfs": "/root/toyfs", "command": ["/bin/sh"] }
        ```
        """;

    static LessonException Fails(string text, string id = "05-bad") =>
        Assert.Throws<LessonException>(() => LessonParser.Parse($"lessons/{id}.md", id, text));

    [Fact]
    public void A_valid_lesson_keeps_its_parts_in_order_with_keys_specs_checks_and_hints()
    {
        var lesson = LessonParser.Parse("lessons/01-two.md", "01-two", Valid);
        Assert.Equal(("Two steps", "A lesson to test the reader."), (lesson.Title, lesson.Summary));
        Assert.Equal(["00-isolation"], lesson.Prerequisites);
        Assert.Equal("Some introduction.", lesson.Introduction);
        Assert.Equal(2, lesson.Steps.Count);
        var first = lesson.Steps[0];
        Assert.Equal((1, "Make a file", 9), (first.Number, first.Title, first.Line));
        Assert.Collection(first.Parts,
            p => Assert.Equal("Text before.", Assert.IsType<TextPart>(p).Markdown),
            p => Assert.Equal((SnippetKind.Type, "touch made\nls !$", 13), (((Snippet)p).Kind, ((Snippet)p).Text, p.Line)),
            p => Assert.Equal("Text between.", Assert.IsType<TextPart>(p).Markdown),
            p => Assert.StartsWith("```sh", Assert.IsType<TextPart>(p).Markdown));
        Assert.Equal(new LessonCheck("test -f made", "There is no made: run the snippet.", 24), first.Check);
        Assert.Equal(["The first hint,\non two lines.", "The second."], first.Hints);
        var second = lesson.Steps[1];
        Assert.Null(second.Check); // a step to read and do
        Assert.Equal([SnippetKind.Type, SnippetKind.Key, SnippetKind.Spec], second.Snippets.Select(s => s.Kind));
        Assert.Equal([(byte)3], second.Snippets.ElementAt(1).KeyBytes);
    }

    [Fact]
    public void Front_matter_mistakes_are_named_with_their_lines()
    {
        Assert.Contains(Fails("## Step\n\ntext\n").Errors, e => e.Line == 1 && e.Message.Contains("starts with front matter"));
        var noTitle = Fails("---\nsummary: s\n---\n\n## Step\n\ntext\n");
        Assert.Contains(noTitle.Errors, e => e.Message == "front matter: title is required");
        var unknown = Fails("---\ntitle: t\nsummary: s\nauthor: me\n---\n\n## Step\n\ntext\n");
        var error = Assert.Single(unknown.Errors);
        Assert.Equal(4, error.Line);
        Assert.Contains("author", error.Message);
        Assert.Contains("accepted: title, summary, prerequisites", error.Message);
        Assert.Equal("lessons/05-bad.md:4: " + error.Message, error.ToString());
        Assert.Contains(Fails("---\ntitle: t\nsummary: s\n---\n\n## Step\n\ntext\n", id: "Bad_Name").Errors, e => e.Message.Contains("a-z 0-9 -"));
    }

    [Theory]
    [InlineData("```run\nls\n```\n", 6, "belongs in a step")]
    [InlineData("## S\n\n```check\nfalse\n```\n", 8, "failure message in quotes")]
    [InlineData("## S\n\n```check \"m\"\n```\n", 8, "the check is empty")]
    [InlineData("## S\n\n```check \"a\"\ntrue\n```\n\n```check \"b\"\ntrue\n```\n", 12, "a second check")]
    [InlineData("## S\n\n```run\nsleep 1\n<Ctrl-C>\n```\n", 10, "alone in a run block")]
    [InlineData("## S\n\n```run\n<Ctrl-X>\n```\n", 9, "not a key a snippet can press")]
    [InlineData("## S\n\n```spec\n{ \"rootfs\": \"/r\", \"bogus\": 1 }\n```\n", 8, "spec:")]
    [InlineData("## S\n\n```spec\n{ \"rootfs\": \"relative\", \"command\": [\"/bin/sh\"] }\n```\n", 8, "spec: rootfs")]
    [InlineData("## S\n\n```hint\nx\n```\n", 8, "a hint is a blockquote")]
    [InlineData("## S\n\n## T\n\ntext\n", 6, "is empty")]
    [InlineData("## S\n\n```check \"Run `ls`.\"\ntest -f x\n```\n", 8, "not read as a fenced block")]
    [InlineData("# Title\n\n## S\n\ntext\n", 6, "no level-1 heading")]
    [InlineData("just text\n", 1, "at least one step")]
    public void Body_mistakes_are_named_with_their_lines(string body, int line, string message)
    {
        var e = Fails("---\ntitle: t\nsummary: s\n---\n\n" + body);
        Assert.Contains(e.Errors, x => x.Line == line && x.Message.Contains(message));
    }

    [Fact]
    public void A_catalog_reports_every_bad_file_and_unknown_prerequisites_at_once()
    {
        var dir = Directory.CreateTempSubdirectory("pg-lessons-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "01-ok.md"), "---\ntitle: t\nsummary: s\nprerequisites: [00-missing]\n---\n\n## S\n\ntext\n");
            File.WriteAllText(Path.Combine(dir, "02-bad.md"), "---\ntitle: t\n---\n\n## S\n\ntext\n");
            var e = Assert.Throws<LessonException>(() => LessonCatalog.Load(dir));
            Assert.Contains(e.Errors, x => x.Path.EndsWith("02-bad.md") && x.Message.Contains("summary is required"));
            Assert.Contains(e.Errors, x => x.Path.EndsWith("01-ok.md") && x.Message.Contains("\"00-missing\" is no lesson here"));
            File.Delete(Path.Combine(dir, "02-bad.md"));
            File.WriteAllText(Path.Combine(dir, "00-missing.md"), "---\ntitle: First\nsummary: s\n---\n\n## S\n\ntext\n");
            Assert.Equal(["00-missing", "01-ok"], LessonCatalog.Load(dir).Select(l => l.Id));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_built_in_course_reads_without_a_problem()
    {
        var lessons = LessonCatalog.Load(CourseTests.LessonsDirectory);
        Assert.Contains(lessons, l => l.Id == "01-a-first-root");
        Assert.All(lessons, l => Assert.NotEmpty(l.Steps));
    }
}
