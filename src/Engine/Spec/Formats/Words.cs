namespace Playground.Engine.Spec.Formats;

/// <summary>The words of a command line, read front to back by an importer; a missing value names its option.</summary>
internal sealed class Words(IReadOnlyList<string> words)
{
    int next;

    public bool More => next < words.Count;
    public string Peek => words[next];
    public string Take() => words[next++];

    /// <summary>The word after <paramref name="option"/>; <paramref name="usage"/> says what it should be, e.g. "SRC DEST".</summary>
    public string Value(string option, string usage) =>
        More ? Take() : throw Error(option, $"needs a value: {option} {usage}");

    public IReadOnlyList<string> Rest()
    {
        var rest = words.Skip(next).ToList();
        next = words.Count;
        return rest;
    }

    public static SpecValidationException Error(string field, string message) => new([new SpecError(field, message)]);
}
