using System.Text;

namespace Playground.Engine.Spec.Formats;

/// <summary>
/// Words of a command line as sh(1) splits them, for the commands people paste: blanks separate words;
/// '…' keeps everything; "…" keeps everything but a backslash before $ ` " \ or a newline; a backslash
/// outside quotes keeps the next character, and before a newline joins the lines; # at the start of a
/// word comments to the end of the line. Newlines, ';' and '&amp;&amp;' separate commands. Expansions
/// ($, `) and the other operators (| &amp; &lt; &gt; ( )) are refused: a spec is data, and their meaning
/// would need a shell and its environment.
/// </summary>
public static class ShellWords
{
    /// <summary>The commands of <paramref name="text"/>, each a list of words; empty commands are left out.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Commands(string text)
    {
        var commands = new List<IReadOnlyList<string>>();
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        int line = 1;

        void EndWord()
        {
            if (inWord) words.Add(word.ToString());
            word.Clear();
            inWord = false;
        }
        void EndCommand()
        {
            EndWord();
            if (words.Count > 0) commands.Add(words.ToArray());
            words.Clear();
        }
        SpecValidationException Error(string message) => new([new SpecError($"line {line}", message)]);

        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '\n': line++; EndCommand(); break;
                case ' ' or '\t' or '\r': EndWord(); break;
                case '#' when !inWord:
                    while (i + 1 < text.Length && text[i + 1] != '\n') i++;
                    break;
                case ';': EndCommand(); break;
                case '&' when i + 1 < text.Length && text[i + 1] == '&': i++; EndCommand(); break;
                case '\\':
                    if (i + 1 == text.Length) throw Error("a backslash ends the text: remove it or add the character it escapes");
                    if (text[++i] == '\n') line++;   // a continued line
                    else { word.Append(text[i]); inWord = true; }
                    break;
                case '\'':
                    int close = text.IndexOf('\'', i + 1);
                    if (close < 0) throw Error("a '…' quote is not closed");
                    word.Append(text, i + 1, close - i - 1);
                    line += text.AsSpan(i, close - i).Count('\n');
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    i = DoubleQuoted(text, i + 1, word, ref line, Error);
                    inWord = true;
                    break;
                case '$' or '`':
                    throw Error($"'{c}' starts an expansion: write the value itself, or quote it with '…'");
                case '|' or '&' or '<' or '>' or '(' or ')':
                    throw Error($"'{c}' is a shell operator: give one plain command (quote it with '…' if it is part of a word)");
                default: word.Append(c); inWord = true; break;
            }
        }
        EndCommand();
        return commands;
    }

    /// <summary>The words of the one command in <paramref name="text"/> (comment lines around it are fine).</summary>
    public static IReadOnlyList<string> Command(string text)
    {
        var commands = Commands(text);
        return commands.Count == 1 ? commands[0]
            : throw new SpecValidationException([new SpecError("command line", commands.Count == 0
                ? "empty: give the command"
                : $"{commands.Count} commands: give one (join continued lines with a trailing backslash)")]);
    }

    /// <summary>The words as one line sh splits back into the same words.</summary>
    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(ShellCommandRenderer.Quote));

    /// <summary>Reads a "…" string from just after its opening quote; returns the index of the closing quote.</summary>
    static int DoubleQuoted(string text, int i, StringBuilder word, ref int line, Func<string, SpecValidationException> error)
    {
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"') return i;
            if (c is '$' or '`') throw error($"'{c}' in \"…\" starts an expansion: write the value itself, or quote it with '…'");
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '$' or '`' or '"' or '\\' or '\n')
            {
                if (text[++i] == '\n') { line++; continue; }
                c = text[i];
            }
            else if (c == '\n') line++;
            word.Append(c);
        }
        throw error("a \"…\" quote is not closed");
    }
}
