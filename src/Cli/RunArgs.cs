using System.CommandLine;

namespace Playground.Cli;

/// <summary>
/// Makes <c>playground run [options] COMMAND [ARG...]</c> behave like <c>docker run</c> and
/// <c>unshare</c>: options end at the first word that is not an option or an option's value.
/// System.CommandLine would otherwise read <c>sh -c x</c>'s <c>-c</c>, or <c>ls --help</c>'s
/// <c>--help</c>, as ours; inserting <c>--</c> before the command word settles it.
/// </summary>
internal static class RunArgs
{
    // The help option belongs to the root command and applies to every subcommand.
    static readonly string[] HelpNames = ["-h", "-?", "--help"];

    /// <summary>
    /// The arguments after <c>run</c>, with <c>--</c> inserted before the command if it is
    /// missing, and the words before the command that look like options but are none of ours
    /// (System.CommandLine would take them for the command).
    /// </summary>
    public static string[] EndOptionsAtCommand(IReadOnlyList<string> args, Command run, out List<string> unknown)
    {
        unknown = [];
        var byName = new Dictionary<string, Option>(StringComparer.Ordinal);
        foreach (var o in run.Options)
        {
            byName[o.Name] = o;
            foreach (var a in o.Aliases) byName[a] = o;
        }

        for (int i = 0; i < args.Count; i++)
        {
            var t = args[i];
            if (t == "--") break;
            if (t.Length < 2 || t[0] != '-')
                return [.. args.Take(i), "--", .. args.Skip(i)];
            // --name=value and --name:value carry their value in the same word.
            int cut = t.IndexOfAny(['=', ':']);
            var name = cut > 0 ? t[..cut] : t;
            if (HelpNames.Contains(name)) continue;
            if (!byName.TryGetValue(name, out var opt)) { unknown.Add(t); continue; }
            if (cut > 0) continue;
            if (opt.Arity.MinimumNumberOfValues > 0) i++;                // skip the option's value
            else if (i + 1 < args.Count && args[i + 1] is "true" or "false") i++; // --flag false
        }
        return [.. args];
    }

    public static string Unknown(string word) =>
        $"{word}: not an option of run; see 'playground run --help' (put -- before a command that starts with '-')";
}
