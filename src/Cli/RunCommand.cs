using Playground.Engine.Spec;
using System.CommandLine;
using Playground.Cli.Terminal;
using Playground.Engine;

namespace Playground.Cli;

/// <summary><c>playground run [options] [--] COMMAND [ARG...]</c>: one sandbox, attached to this terminal.</summary>
internal static class RunCommand
{
    public static Command Create(SpecOptions options)
    {
        var run = new Command("run",
            "Synopsis: playground run [options] [--] COMMAND [ARG...]\n  Runs COMMAND in a new sandbox attached to this terminal (a PTY when stdin is a terminal, pipes otherwise). " +
            "Options end at the first word that is not an option. Exit status: the command's; 128+N when a signal N " +
            "killed it; 125 when the command line is refused or the launch fails (the message names the option, or " +
            "the step, system call and errno).");
        foreach (var o in options.All) run.Options.Add(o);
        run.Arguments.Add(options.Command);
        run.SetAction(result => Execute(options.Build(result, Tty.IsTerminal(0), Directory.GetCurrentDirectory())));
        return run;
    }

    static int Execute(RunRequest request)
    {
        if (request.Errors.Count > 0)
        {
            foreach (var e in request.Errors) Console.Error.WriteLine($"playground run: {e}");
            return Program.LaunchFailed;
        }
        var spec = request.Spec;
        if (request.Flags.PrintSpec)
        {
            Console.Out.WriteLine(SpecJson.Serialize(spec));
            return 0;
        }
        try
        {
            SpecValidator.ThrowIfInvalid(spec);
        }
        catch (SpecValidationException e)
        {
            foreach (var err in e.Errors) Console.Error.WriteLine($"playground run: {err}");
            return Program.LaunchFailed;
        }
        if (request.Flags.PrintCommand)
        {
            Console.Out.WriteLine(ShellCommandRenderer.Render(spec));
            return 0;
        }
        return AttachedRun.Run(spec, request.Flags.Story);
    }
}
