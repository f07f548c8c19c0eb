using System.Text.Json;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Playground.Engine.Spec;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Playground.Engine.Lessons;

/// <summary>
/// Reads a lesson file (docs/lessons.md): YAML front matter (title, summary, prerequisites),
/// then Markdown where each level-2 heading starts a step. In a step, fenced blocks marked
/// <c>run</c> are snippets typed into the host shell, <c>spec</c> a sandbox spec for the
/// builder, <c>check "message"</c> the step's check; a blockquote starting "Hint:" is a hint.
/// Every problem is reported with its line; nothing is half read.
/// </summary>
public static partial class LessonParser
{
    /// <summary>The keys a <c>run</c> block may press, alone on its only line.</summary>
    public static readonly IReadOnlyDictionary<string, byte> Keys = new Dictionary<string, byte>
    {
        ["<Ctrl-C>"] = 0x03, ["<Ctrl-D>"] = 0x04, ["<Ctrl-Z>"] = 0x1a, ["<Ctrl-\\>"] = 0x1c,
    };

    static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseYamlFrontMatter().Build();

    sealed class FrontMatter
    {
        public string? Title { get; set; }
        public string? Summary { get; set; }
        public List<string>? Prerequisites { get; set; }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex IdPattern();

    /// <summary>Reads a lesson file; throws <see cref="LessonException"/> with every problem found.</summary>
    public static Lesson Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LessonException([new LessonError(path, 0, $"cannot read it: {e.Message}")]);
        }
        return Parse(path, Path.GetFileNameWithoutExtension(path), text);
    }

    public static Lesson Parse(string path, string id, string text)
    {
        var errors = new List<LessonError>();
        void Error(int line, string message) => errors.Add(new LessonError(path, line, message));
        text = text.Replace("\r\n", "\n");
        if (!IdPattern().IsMatch(id)) Error(1, $"the file's name \"{id}.md\" must be 1 to 64 of a-z 0-9 - (it is the lesson's id)");

        var doc = Markdown.Parse(text, Pipeline);
        var front = ReadFrontMatter(doc, Error);
        string Source(Block b) => text.Substring(b.Span.Start, Math.Min(b.Span.Length, text.Length - b.Span.Start));

        var intro = new List<string>();
        var steps = new List<LessonStep>();
        (string Title, int Line, List<StepPart> Parts, LessonCheck? Check, List<string> Hints)? step = null;
        void EndStep()
        {
            if (step is not { } s) return;
            if (s.Parts.Count == 0 && s.Check is null) Error(s.Line, $"step \"{s.Title}\" is empty: give it text, a snippet or a check");
            steps.Add(new LessonStep(steps.Count + 1, s.Title, s.Line, s.Parts, s.Check, s.Hints));
        }

        foreach (var block in doc)
        {
            var line = block.Line + 1;
            switch (block)
            {
                case YamlFrontMatterBlock:
                    break;
                case HeadingBlock { Level: 1 }:
                    Error(line, "a lesson has no level-1 heading: its title is the front matter's \"title\"");
                    break;
                case HeadingBlock { Level: 2 } h:
                    EndStep();
                    var title = Source(h).TrimStart('#').Trim();
                    if (title.Length == 0) Error(line, "a step needs a title after ##");
                    step = (title, line, [], null, []);
                    break;
                case FencedCodeBlock code when code.Info is "run" or "spec" or "check":
                    if (step is not { } s)
                    {
                        Error(line, $"a \"{code.Info}\" block belongs in a step (after a ## heading)");
                        break;
                    }
                    var body = code.Lines.ToString().Replace("\r\n", "\n").TrimEnd('\n');
                    if (code.Info == "check")
                    {
                        if (s.Check is not null) Error(line, $"step \"{s.Title}\" has a second check: one per step");
                        else if (body.Trim().Length == 0) Error(line, "the check is empty: give the shell commands whose exit status says the step is done");
                        else
                        {
                            var message = CheckMessage(code.Arguments);
                            if (message is null) Error(line, "a check needs its failure message in quotes: ```check \"What to do when it fails.\"");
                            step = s with { Check = new LessonCheck(body, message ?? "", line) };
                        }
                    }
                    else if (code.Info == "spec") s.Parts.Add(ReadSpec(body, line, Error));
                    else s.Parts.Add(ReadRun(body, line, Error));
                    break;
                case FencedCodeBlock { Info: { Length: > 0 } info } when info.StartsWith("check", StringComparison.Ordinal) || info == "hint":
                    Error(line, $"\"{info}\": a check is ```check \"message\"; a hint is a blockquote starting \"Hint:\"");
                    break;
                case QuoteBlock q when IsHint(Source(q)) is { } hint:
                    if (step is not { } hs) Error(line, "a hint belongs in a step (after a ## heading)");
                    else if (hint.Length == 0) Error(line, "the hint is empty");
                    else hs.Hints.Add(hint);
                    break;
                case ParagraphBlock when Source(block).StartsWith("```", StringComparison.Ordinal):
                    // Markdown allows no backtick after a backtick fence's opening: such a line is text, and its block would be lost.
                    Error(line, "this is not read as a fenced block: the text after ``` cannot hold a backtick (write \"…\" or ' ' instead in a check's message)");
                    break;
                default:
                    if (step is { } ts) ts.Parts.Add(new TextPart(Source(block), line));
                    else intro.Add(Source(block));
                    break;
            }
        }
        EndStep();
        if (steps.Count == 0 && errors.Count == 0) Error(1, "a lesson needs at least one step (a ## heading)");
        if (errors.Count > 0) throw new LessonException(errors);
        return new Lesson(id, front!.Title!, front.Summary!, front.Prerequisites ?? [], string.Join("\n\n", intro), steps) { Path = path };
    }

    static FrontMatter? ReadFrontMatter(MarkdownDocument doc, Action<int, string> error)
    {
        if (doc.FirstOrDefault() is not YamlFrontMatterBlock yaml)
        {
            error(1, "a lesson starts with front matter: ---, then title:, summary: (and prerequisites:), then ---");
            return null;
        }
        FrontMatter? front = null;
        try
        {
            front = new DeserializerBuilder().WithNamingConvention(LowerCaseNamingConvention.Instance).Build()
                .Deserialize<FrontMatter>(yaml.Lines.ToString()) ?? new FrontMatter();
        }
        catch (YamlException e)
        {
            // The YAML starts on the file's line 2; the message's own "(Line: …)" is the YAML's.
            var message = e.InnerException?.Message ?? e.Message;
            error((int)e.Start.Line + 1, $"front matter: {Regex.Replace(message, @"^\(Line: .*?\): ", "")} (accepted: title, summary, prerequisites)");
            return null;
        }
        if (string.IsNullOrWhiteSpace(front.Title)) error(1, "front matter: title is required");
        if (string.IsNullOrWhiteSpace(front.Summary)) error(1, "front matter: summary is required");
        foreach (var p in front.Prerequisites ?? [])
            if (!IdPattern().IsMatch(p)) error(1, $"front matter: prerequisite \"{p}\" is not a lesson id (a file name without .md)");
        return front;
    }

    static string? CheckMessage(string? arguments)
    {
        var a = arguments?.Trim() ?? "";
        return a.Length >= 3 && a[0] == '"' && a[^1] == '"' ? a[1..^1].Trim() is { Length: > 0 } m ? m : null : null;
    }

    static string? IsHint(string quote)
    {
        var lines = quote.Split('\n').Select(l => Regex.Replace(l, @"^\s*>\s?", "")).ToList();
        var text = string.Join('\n', lines).Trim();
        return text.StartsWith("Hint:", StringComparison.Ordinal) ? text["Hint:".Length..].Trim() : null;
    }

    static Snippet ReadRun(string body, int line, Action<int, string> error)
    {
        var lines = body.Split('\n');
        if (body.Trim().Length == 0) error(line, "the run block is empty");
        for (var i = 0; i < lines.Length; i++)
        {
            var l = lines[i].Trim();
            if (!l.StartsWith('<') || !l.EndsWith('>') || !Regex.IsMatch(l, "^<(Ctrl|Alt|Shift|Enter|Tab|Esc)")) continue;
            if (!Keys.ContainsKey(l)) error(line + 1 + i, $"\"{l}\" is not a key a snippet can press (accepted: {string.Join(", ", Keys.Keys)})");
            else if (lines.Length > 1) error(line + 1 + i, $"a key ({l}) goes alone in a run block of its own, so it is pressed when the person chooses");
            else return new Snippet(SnippetKind.Key, l, line);
        }
        return new Snippet(SnippetKind.Type, body, line);
    }

    static Snippet ReadSpec(string body, int line, Action<int, string> error)
    {
        try
        {
            var spec = SpecJson.Deserialize(body);
            // Its paths are the person's lab's, not this machine's.
            foreach (var e in SpecValidator.Validate(spec, pathsHere: false)) error(line, $"spec: {e.Field}: {e.Message}");
        }
        catch (SpecValidationException e)
        {
            foreach (var x in e.Errors) error(line, $"spec: {x.Field}: {x.Message}");
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            error(line, $"spec: {e.Message}");
        }
        return new Snippet(SnippetKind.Spec, body, line);
    }
}
