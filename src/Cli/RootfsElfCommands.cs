using System.CommandLine;
using Playground.Engine.Rootfs;

namespace Playground.Cli;

/// <summary>
/// <c>playground rootfs add | doctor | compile</c>: the workshop's "chroot rootfs /foo" made to
/// work, by copying a program's interpreter and libraries (<see cref="ElfClosure"/>), by finding
/// what a rootfs lacks (<see cref="RootfsDoctor"/>), or by building the program in place.
/// Exit status: 0 done, 1 something is still missing or gcc failed, 2 bad input.
/// </summary>
internal static class RootfsElfCommands
{
    const int Done = 0, Incomplete = 1, BadInput = 2;

    public static IEnumerable<Command> Create() => [Add(), Doctor(), Compile()];

    static Command Add()
    {
        // Optional for the parser so that a missing one gets our message and exit 2, like every bad input here.
        var dir = new Argument<string?>("DIR") { Description = "The rootfs directory (created if needed)", Arity = ArgumentArity.ZeroOrOne };
        var programs = new Argument<string[]>("PROGRAM") { Description = "Programs to copy with their interpreter and libraries (a path, or a name looked up in PATH)", Arity = ArgumentArity.ZeroOrMore };
        var add = new Command("add", "Copy programs into a rootfs with everything the dynamic linker loads for them (what `ldd` lists).") { dir, programs };
        add.SetAction(r => Run(r, "add", () =>
        {
            var root = Required(r.GetValue(dir), "DIR", "the rootfs directory to copy into");
            var names = r.GetValue(programs) ?? [];
            if (names.Length == 0) throw new BadInputException("PROGRAM is missing: name at least one program to add, e.g. /bin/bash");
            var paths = names.Select(HostProgram).ToList();

            var status = Done;
            foreach (var path in paths)
            {
                var closure = ElfClosure.Of(path);
                RootfsFiles.CopyInto(root, closure.Files);
                r.InvocationConfiguration.Output.Write(ElfClosure.Render(closure.Tree));
                if (closure.Missing.Count > 0)
                {
                    r.InvocationConfiguration.Error.WriteLine($"playground rootfs add: {path} needs {string.Join(", ", closure.Missing)}, not found on the host either");
                    status = Incomplete;
                }
            }
            return status;
        }));
        return add;
    }

    static Command Doctor()
    {
        var dir = new Argument<string?>("DIR") { Description = "The rootfs directory to examine", Arity = ArgumentArity.ZeroOrOne };
        var fix = new Option<bool>("--fix") { Description = "Copy what is missing from the host, then examine again" };
        var doctor = new Command("doctor", "List the ELF files of a rootfs whose interpreter or libraries it lacks, and why that fails under chroot.") { dir, fix };
        doctor.SetAction(r => Run(r, "doctor", () =>
        {
            var root = ExistingDirectory(r.GetValue(dir));
            var output = r.InvocationConfiguration.Output;
            var findings = RootfsDoctor.Examine(root);
            Report(output, root, findings);
            if (findings.Count == 0 || !r.GetValue(fix)) return findings.Count == 0 ? Done : Incomplete;

            var copied = RootfsDoctor.Fix(root);
            output.WriteLine();
            foreach (var path in copied) output.WriteLine($"copied {path}");
            if (copied.Count == 0) output.WriteLine("nothing could be copied from the host");
            output.WriteLine();
            findings = RootfsDoctor.Examine(root);
            Report(output, root, findings);
            return findings.Count == 0 ? Done : Incomplete;
        }));
        return doctor;
    }

    static Command Compile()
    {
        var dir = new Argument<string?>("DIR") { Description = "The rootfs directory to put the program in", Arity = ArgumentArity.ZeroOrOne };
        var source = new Argument<string?>("SOURCE") { Description = "A C source file, e.g. hello.c", Arity = ArgumentArity.ZeroOrOne };
        var isStatic = new Option<bool>("--static") { Description = "Link statically (gcc -static): the program then needs nothing else in the rootfs" };
        var output = new Option<string>("--output") { Description = "Path of the program inside the rootfs", DefaultValueFactory = _ => "/hello" };
        var compile = new Command("compile", "Compile a C program with the host's gcc into a rootfs (the workshop's `gcc -o rootfs/foo foo.c`).") { dir, source, isStatic, output };
        compile.SetAction(r => Run(r, "compile", () =>
        {
            var root = ExistingDirectory(r.GetValue(dir));
            var src = Required(r.GetValue(source), "SOURCE", "the C file to compile");
            if (!File.Exists(src)) throw new BadInputException($"SOURCE: {src} does not exist");
            var target = r.GetValue(output)!;
            if (!target.StartsWith('/') || target.EndsWith('/'))
                throw new BadInputException($"--output: {target} must be an absolute path to a file inside the rootfs, e.g. /hello");

            var result = RootfsCompiler.Compile(root, src, r.GetValue(isStatic), target);
            if (!result.Ok)
            {
                r.InvocationConfiguration.Error.Write(result.Diagnostics);
                return Incomplete;
            }
            r.InvocationConfiguration.Error.Write(result.Diagnostics); // warnings
            var host = Path.Combine(root, result.OutputPath.TrimStart('/'));
            var elf = ElfFile.TryRead(host);
            r.InvocationConfiguration.Output.WriteLine($"{result.OutputPath}: {(elf is null ? "not ELF" : ElfFile.Describe(elf))}");
            return Done;
        }));
        return compile;
    }

    static void Report(TextWriter output, string root, IReadOnlyList<DoctorFinding> findings)
    {
        if (findings.Count == 0)
        {
            output.WriteLine($"{root}: every ELF file has its interpreter and libraries");
            return;
        }
        foreach (var f in findings)
        {
            var missing = (f.MissingInterpreter is { } i ? [$"interpreter {i}"] : Array.Empty<string>()).Concat(f.MissingLibraries);
            output.WriteLine($"{f.File}: missing {string.Join(", ", missing)}");
            output.WriteLine($"  {f.Explanation}");
        }
    }

    /// <summary>A program on the host: a path, or a name found in PATH as the shell would.</summary>
    static string HostProgram(string name)
    {
        string path;
        if (!name.Contains('/'))
        {
            var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries);
            path = dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
                ?? throw new BadInputException($"PROGRAM: {name} is not in any PATH directory; give its path");
        }
        else path = Path.GetFullPath(name);
        if (!File.Exists(path)) throw new BadInputException($"PROGRAM: {name} does not exist");
        if (ElfFile.TryRead(path) is null) throw new BadInputException($"PROGRAM: {name} is not an ELF file (a script? add its #! interpreter instead)");
        return path;
    }

    static string Required(string? value, string name, string what) =>
        string.IsNullOrEmpty(value) ? throw new BadInputException($"{name} is missing: give {what}") : Path.GetFullPath(value);

    static string ExistingDirectory(string? value)
    {
        var dir = Required(value, "DIR", "the rootfs directory");
        return Directory.Exists(dir) ? dir : throw new BadInputException($"DIR: {value} is not a directory");
    }

    sealed class BadInputException(string message) : Exception(message);

    /// <summary>Runs a verb; bad input and failures the person can act on become a message and an exit status.</summary>
    static int Run(ParseResult r, string verb, Func<int> action)
    {
        try { return action(); }
        catch (BadInputException e)
        {
            r.InvocationConfiguration.Error.WriteLine($"playground rootfs {verb}: {e.Message}");
            return BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
        {
            r.InvocationConfiguration.Error.WriteLine($"playground rootfs {verb}: {e.Message}");
            return Incomplete;
        }
    }
}
