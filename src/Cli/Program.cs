using System.CommandLine;
using System.CommandLine.Invocation;

namespace Playground.Cli;

public static class Program
{
    /// <summary>Exit status of a launch that failed or a command line that was refused (as docker run's 125).</summary>
    public const int LaunchFailed = 125;

    // "@file" would otherwise be expanded as a response file even inside a sandbox's argv.
    internal static ParserConfiguration ParserConfig { get; } = new() { ResponseFileTokenReplacer = null };

    public static int Main(string[] args)
    {
        var root = new RootCommand("playground: run a command in a sandbox built from Linux namespaces, capabilities, seccomp and cgroups.")
        {
            RunCommand.Create(new SpecOptions()),
            BenchCommand.Create(),
            RootfsCommand.Create(),
            LabCommand.Create(),
            LessonCommand.Create(),
            SpecCommand.Create(),
        };
        if (args.Length > 0 && args[0] == "run")
        {
            args = ["run", .. RunArgs.EndOptionsAtCommand(args[1..], root.Subcommands.First(c => c.Name == "run"), out var unknown)];
            foreach (var u in unknown) Console.Error.WriteLine($"playground run: {RunArgs.Unknown(u)}");
            if (unknown.Count > 0) return LaunchFailed;
        }

        var result = root.Parse(args, ParserConfig);
        // Refused command lines exit 125 like failed launches, so a script can tell them
        // from the command's own exit status; System.CommandLine would use 1.
        if (result.Action is ParseErrorAction)
        {
            foreach (var e in result.Errors) Console.Error.WriteLine($"playground: {e.Message}");
            Console.Error.WriteLine("See 'playground --help'.");
            return LaunchFailed;
        }
        return result.Invoke();
    }
}
