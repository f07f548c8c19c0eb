using System.CommandLine;
using Playground.Cli.Terminal;
using Playground.Engine;
using Playground.Engine.Labs;
using Playground.Engine.Launch;

namespace Playground.Cli;

/// <summary>
/// <c>playground lab …</c>: a lab is an isolated host of its own (namespaces, a size-limited
/// root with the server's /usr, limits), held by a reaper, outliving this command. The CLI and
/// the web app share labs through the data directory.
/// </summary>
internal static class LabCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data-dir") { Description = "Where labs keep their state (the web app's DataDirectory)", DefaultValueFactory = _ => "/var/lib/playground", Recursive = true };
        var firstId = new Option<uint>("--first-id") { Description = "Host id where lab id ranges start (65536 per lab); give each data directory on a machine its own", DefaultValueFactory = _ => new LabOptions().FirstId, Recursive = true };
        var name = new Argument<string>("NAME") { Description = "The lab's name: 1 to 32 of a-z 0-9 -" };

        var create = new Command("create", "Make the lab if it is not running (idempotent); it keeps running after this command.") { name };
        create.SetAction(r => Guarded("create", () =>
        {
            using var labs = Labs(r.GetValue(data)!, r.GetValue(firstId));
            var lab = labs.Create(r.GetValue(name)!);
            Console.WriteLine($"{lab.Name}: running, reaper pid {lab.InitPid}, ids {lab.FirstId}-{lab.FirstId + 65535}");
            return 0;
        }));

        var command = new Argument<string[]>("CMD") { Description = "The command (default: bash, a login shell)", Arity = ArgumentArity.ZeroOrMore };
        var exec = new Command("exec", "A shell, or a command, in the lab as its root: a PTY when stdin is a terminal, pipes otherwise; its exit status.") { name, command };
        exec.SetAction(r =>
        {
            SandboxSession session;
            try
            {
                var labs = Labs(r.GetValue(data)!, r.GetValue(firstId));
                var argv = r.GetValue(command) is { Length: > 0 } c ? c : ["/bin/bash", "-l"];
                var terminal = Tty.IsTerminal(0);
                session = labs.Exec(r.GetValue(name)!, argv, terminal, terminal ? Tty.GetSize() : null);
            }
            catch (Exception e) when (e is ArgumentException or SandboxException or SpecValidationException or IOException)
            {
                Console.Error.WriteLine($"playground lab exec: {e.Message}");
                return Program.LaunchFailed;
            }
            return AttachedRun.Attach(session);
        });

        var specOptions = new SpecOptions();
        var run = new Command("run",
            "Synopsis: playground lab run NAME [the options of playground run] -- COMMAND [ARG...]\n  A sandbox inside the lab: " +
            "--rootfs and mount sources are the lab's paths, ids are the lab's (root inside is lab uid 1000 unless --uid-map says " +
            "otherwise; with --ns excluding user it is the lab's root), and the lab's limits bound it. Exit status as playground run.")
        {
            name,
        };
        foreach (var o in specOptions.All) run.Options.Add(o);
        run.Arguments.Add(specOptions.Command);
        run.SetAction(r =>
        {
            // Relative paths are the lab's, from its root's home.
            var request = specOptions.Build(r, Tty.IsTerminal(0), "/root");
            foreach (var e in request.Errors) Console.Error.WriteLine($"playground lab run: {e}");
            if (request.Errors.Count > 0) return Program.LaunchFailed;
            var spec = request.Spec;
            // The engine's default maps are host ids; in a lab, ids are the lab's: its /etc/subuid range.
            if (spec.Namespaces.User && spec.UidMap.Count == 0) spec = spec with { UidMap = [new(0, 1000, 64000)] };
            if (spec.Namespaces.User && spec.GidMap.Count == 0) spec = spec with { GidMap = [new(0, 1000, 64000)] };
            SandboxSession session;
            try
            {
                session = Labs(r.GetValue(data)!, r.GetValue(firstId)).Run(r.GetValue(name)!, spec, spec.Terminal ? Tty.GetSize() : null);
            }
            catch (SpecValidationException e)
            {
                foreach (var err in e.Errors) Console.Error.WriteLine($"playground lab run: {err}");
                return Program.LaunchFailed;
            }
            catch (Exception e) when (e is ArgumentException or SandboxException or IOException or InvalidOperationException)
            {
                Console.Error.WriteLine($"playground lab run: {e.Message}");
                return Program.LaunchFailed;
            }
            return AttachedRun.Attach(session, request.Flags.Story);
        });

        var list = new Command("list", "The running labs.");
        list.SetAction(r =>
        {
            using var labs = Labs(r.GetValue(data)!, r.GetValue(firstId));
            foreach (var lab in labs.List())
                Console.WriteLine($"{lab.Name}\tpid {lab.InitPid}\tids {lab.FirstId}\tsince {lab.Created:u}");
            return 0;
        });

        var end = new Command("end", "End the lab: every process killed, its root, cgroup and state removed.") { name };
        end.SetAction(r => Guarded("end", () =>
        {
            using var labs = Labs(r.GetValue(data)!, r.GetValue(firstId));
            if (labs.End(r.GetValue(name)!)) return 0;
            Console.Error.WriteLine($"playground lab end: there is no lab called '{r.GetValue(name)}'");
            return 1;
        }));

        return new Command("lab", "Labs: an isolated host per person, where every command of the workshop works by hand.") { data, firstId, create, exec, run, list, end };
    }

    static LabManager Labs(string dataDir, uint firstId) => new(new LabOptions { DataDirectory = Path.GetFullPath(dataDir), FirstId = firstId });

    static int Guarded(string verb, Func<int> action)
    {
        try { return action(); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or SandboxException or SpecValidationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"playground lab {verb}: {e.Message}");
            return e is ArgumentException ? 2 : 1;
        }
    }
}
