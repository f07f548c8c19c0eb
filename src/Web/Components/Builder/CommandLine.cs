using System.Text;

namespace Playground.Web.Components.Builder;

/// <summary>A command line as a person types it: words split on spaces, with '…' and "…" quoting and \ escapes (no expansions).</summary>
public static class CommandLine
{
    public static IReadOnlyList<string> Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == '\\' && quote == '"' && i + 1 < text.Length && text[i + 1] is '"' or '\\') word.Append(text[++i]);
                else word.Append(c);
            }
            else if (c is '\'' or '"') { quote = c; inWord = true; }
            else if (c == '\\' && i + 1 < text.Length) { word.Append(text[++i]); inWord = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
            }
            else { word.Append(c); inWord = true; }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(Playground.Engine.Spec.ShellCommandRenderer.Quote));
}
