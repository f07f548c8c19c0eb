using System.CommandLine;
using Playground.Engine;
using Playground.Engine.Spec.Formats;

namespace Playground.Cli;

/// <summary>
/// <c>playground spec convert --from FORMAT --to FORMAT [FILE|-]</c>: a sandbox spec in another tool's
/// language (docs/formats.md). The result goes to stdout, importable as it is; what either side could
/// not carry goes to stderr, one line per field.
/// </summary>
internal static class SpecCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = $"What the input is: {string.Join(", ", SpecFormats.Names)}", Required = true };
        var to = new Option<string>("--to") { Description = $"What to write: {string.Join(", ", SpecFormats.Names)}", Required = true };
        from.AcceptOnlyFromAmong([.. SpecFormats.Names]);
        to.AcceptOnlyFromAmong([.. SpecFormats.Names]);
        var file = new Argument<string?>("FILE") { Description = "The input; - or none for standard input", Arity = ArgumentArity.ZeroOrOne };
        var convert = new Command("convert",
            "Converts a sandbox spec: an OCI config.json (oci), docker run flags (docker), bwrap arguments (bwrap), the unshare … chroot " +
            "command line (shell) or the playground's JSON spec (json). Exit status: 0; 1 when the input is refused (each problem named).")
        {
            from, to, file,
        };
        convert.SetAction(r =>
        {
            var path = r.GetValue(file) ?? "-";
            string text;
            try { text = path == "-" ? Console.In.ReadToEnd() : File.ReadAllText(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"playground spec convert: {e.Message}");
                return 1;
            }
            return Convert(r.GetValue(from)!, r.GetValue(to)!, text, Console.Out, Console.Error);
        });
        return new Command("spec", "Sandbox specs in other tools' languages.") { convert };
    }

    internal static int Convert(string from, string to, string text, TextWriter output, TextWriter errors)
    {
        Imported imported;
        try { imported = SpecFormats.Find(from).Import(text); }
        catch (SpecValidationException e)
        {
            foreach (var error in e.Errors) errors.WriteLine($"playground spec convert: {from}: {error.Field}: {error.Message}");
            return 1;
        }
        foreach (var note in imported.Notes) errors.WriteLine($"playground spec convert: {from}: {note}");
        var exported = SpecFormats.Find(to).Export(imported.Spec);
        output.WriteLine(exported.Text);
        foreach (var note in exported.Notes) errors.WriteLine($"playground spec convert: {to}: {note}");
        return 0;
    }
}
