namespace Playground.Engine.Lessons;

/// <summary>
/// A lesson: a Markdown file in lessons/ (see docs/lessons.md for the format). Its id is the
/// file's name without ".md"; the course is the files in name order.
/// </summary>
public sealed record Lesson(string Id, string Title, string Summary, IReadOnlyList<string> Prerequisites, string Introduction, IReadOnlyList<LessonStep> Steps)
{
    /// <summary>The file it came from (for messages).</summary>
    public string Path { get; init; } = "";
}

/// <summary>
/// One step: its text and snippets in the order written, then the check that says it is done
/// (none: a step to read), and hints, shown one at a time.
/// </summary>
public sealed record LessonStep(int Number, string Title, int Line, IReadOnlyList<StepPart> Parts, LessonCheck? Check, IReadOnlyList<string> Hints)
{
    public IEnumerable<Snippet> Snippets => Parts.OfType<Snippet>();
}

/// <summary>Part of a step's body.</summary>
public abstract record StepPart(int Line);

/// <summary>Markdown to show.</summary>
public sealed record TextPart(string Markdown, int Line) : StepPart(Line);

/// <summary>What a snippet does when its button is pressed.</summary>
public enum SnippetKind
{
    /// <summary>Lines typed into the person's host shell, one at a time (a <c>run</c> block).</summary>
    Type,
    /// <summary>A key pressed in the host shell: Ctrl-C, Ctrl-D, Ctrl-Z (a <c>run</c> block of that one line).</summary>
    Key,
    /// <summary>A sandbox spec (JSON) opened in the builder (a <c>spec</c> block).</summary>
    Spec,
}

public sealed record Snippet(SnippetKind Kind, string Text, int Line) : StepPart(Line)
{
    /// <summary>The bytes a <see cref="SnippetKind.Key"/> snippet sends.</summary>
    public byte[] KeyBytes => Kind == SnippetKind.Key ? [LessonParser.Keys[Text]] : [];

    /// <summary>Its lines to type (a <see cref="SnippetKind.Type"/> snippet).</summary>
    public IReadOnlyList<string> Lines => Text.Split('\n');
}

/// <summary>A shell script run in the person's lab, as its root, in /root: exit 0 means the step is done.</summary>
public sealed record LessonCheck(string Script, string FailureMessage, int Line);

/// <summary>A problem in a lesson file, at a line (1-based).</summary>
public sealed record LessonError(string Path, int Line, string Message)
{
    public override string ToString() => $"{Path}:{Line}: {Message}";
}

public sealed class LessonException(IReadOnlyList<LessonError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<LessonError> Errors { get; } = errors;
}
