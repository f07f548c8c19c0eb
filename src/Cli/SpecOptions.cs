using Playground.Engine;
using System.CommandLine;
using Playground.Engine.Spec;

namespace Playground.Cli;

/// <summary>What <c>run</c> should do besides launching.</summary>
internal sealed record RunFlags(bool PrintSpec, bool PrintCommand, bool Story);

/// <summary>The outcome of reading <c>run</c>'s command line: a spec, or messages naming each bad option.</summary>
internal sealed record RunRequest(SandboxSpec Spec, RunFlags Flags, IReadOnlyList<string> Errors);

/// <summary>
/// <c>run</c>'s options and how they become a <see cref="SandboxSpec"/>. The rule for every
/// option: given, it replaces that part of the spec (of <c>--spec FILE</c>, or the defaults);
/// not given, the part stays. Repeatable options replace the whole list.
/// </summary>
internal sealed class SpecOptions
{
    public readonly Option<string> Rootfs = new("--rootfs") { HelpName = "DIR", Description = "Directory that becomes the sandbox's root (relative to the current directory)." };
    public readonly Option<string> Ns = new("--ns") { HelpName = "LIST", Description = $"New namespaces: a comma list of {NamespaceKinds.Accepted}, or all, or none. Default: all but time." };
    public readonly Option<string> Hostname = new("--hostname") { HelpName = "NAME", Description = "Host name inside (needs the uts namespace)." };
    public readonly Option<bool> ClearEnv = new("--clear-env") { Description = "Start from an empty environment, like env -i." };
    public readonly Option<string[]> Env = new("--env") { HelpName = "KEY=VALUE", Description = "Set an environment variable (repeatable)." };
    public readonly Option<string> Cwd = new("--cwd") { HelpName = "DIR", Description = "Working directory inside the sandbox. Default: /." };
    public readonly Option<string> User = new("--user") { HelpName = "UID[:GID]", Description = "Ids inside the sandbox; GID defaults to 0. Default: 0:0." };
    public readonly Option<string[]> Mount = new("--mount") { HelpName = "SPEC", Description = $"Add a mount (repeatable): {MountOption.Accepted}; src= also source=, dst= also destination= or target=, ro also readonly. Given at least once, the mounts are exactly these (the default proc at /proc is not added)." };
    public readonly Option<string> Caps = new("--caps") { HelpName = "PRESET", Description = "Capability preset: none, docker-default or all. Default: docker-default." };
    public readonly Option<string[]> CapAdd = new("--cap-add") { HelpName = "NAME", Description = "Add a capability to the preset (CHOWN or CAP_CHOWN; repeatable)." };
    public readonly Option<string[]> CapDrop = new("--cap-drop") { HelpName = "NAME", Description = "Remove a capability from the preset (repeatable)." };
    public readonly Option<bool> NoNewPrivs = new("--no-new-privs") { Description = "Set no_new_privs (the default; use --no-new-privs=false to turn it off)." };
    public readonly Option<string> Seccomp = new("--seccomp") { HelpName = "PRESET", Description = "Seccomp preset: unconfined or docker-default. Default: docker-default." };
    public readonly Option<string[]> SeccompDeny = new("--seccomp-deny") { HelpName = "SYSCALL[:ERRNO]", Description = "Make a system call fail with ERRNO (name or number, default EPERM; repeatable)." };
    public readonly Option<string> Memory = new("--memory") { HelpName = "SIZE", Description = "Memory limit, e.g. 64m or 1g." };
    public readonly Option<string> Pids = new("--pids") { HelpName = "N", Description = "Maximum number of processes." };
    public readonly Option<string> Cpus = new("--cpus") { HelpName = "FRACTION", Description = "CPU quota in CPUs, e.g. 0.5." };
    public readonly Option<string[]> Rlimit = new("--rlimit") { HelpName = "NAME=SOFT[:HARD]", Description = "Resource limit, e.g. nofile=1024:4096 or core=0; unlimited allowed (repeatable)." };
    public readonly Option<string> Spec = new("--spec") { HelpName = "FILE", Description = "Start from a JSON spec; options given too override its fields." };
    public readonly Option<bool> PrintSpec = new("--print-spec") { Description = "Print the spec as JSON and exit 0 (the spec is not validated)." };
    public readonly Option<bool> PrintCommand = new("--print-command") { Description = "Print the equivalent shell command and exit 0." };
    public readonly Option<bool> Story = new("--story") { Description = "Print the launch story to stderr after the launch, or on failure." };
    public readonly Argument<string[]> Command = new("COMMAND") { Arity = ArgumentArity.ZeroOrMore, Description = "The program and its arguments." };

    public IEnumerable<Option> All =>
    [
        Rootfs, Ns, Hostname, ClearEnv, Env, Cwd, User, Mount, Caps, CapAdd, CapDrop, NoNewPrivs,
        Seccomp, SeccompDeny, Memory, Pids, Cpus, Rlimit, Spec, PrintSpec, PrintCommand, Story,
    ];

    /// <summary>The seam for tests: reads the arguments after <c>run</c> and builds the spec, launching nothing.</summary>
    public static RunRequest Parse(string[] args, bool stdinIsTerminal = false, string? cwd = null)
    {
        var options = new SpecOptions();
        var run = RunCommand.Create(options);
        var result = run.Parse(RunArgs.EndOptionsAtCommand(args, run, out var unknown), Program.ParserConfig);
        if (result.Errors.Count > 0 || unknown.Count > 0)
            return new RunRequest(new SandboxSpec(), new RunFlags(false, false, false),
                [.. unknown.Select(RunArgs.Unknown), .. result.Errors.Select(e => e.Message)]);
        return options.Build(result, stdinIsTerminal, cwd ?? Directory.GetCurrentDirectory());
    }

    public RunRequest Build(ParseResult r, bool stdinIsTerminal, string cwd)
    {
        var errors = new List<string>();
        // Bool options always have a result (their implicit false); only a typed one counts.
        bool Given(Option o) => r.GetResult(o) is { Implicit: false };
        // Runs a value parser and records "--option: message" when it refuses.
        bool Ok(Option o, string? error) { if (error is not null) errors.Add($"{o.Name}: {error}"); return error is null; }

        var spec = new SandboxSpec();
        if (r.GetValue(Spec) is { } file)
        {
            var path = Path.GetFullPath(file, cwd);
            try { spec = SpecJson.Deserialize(File.ReadAllText(path)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or SpecValidationException)
            { errors.Add($"--spec: cannot read {path}: {e.Message}"); }
        }

        if (r.GetValue(Rootfs) is { } rootfs) spec = spec with { Rootfs = rootfs };
        if (spec.Rootfs is { Length: > 0 } root) spec = spec with { Rootfs = Path.GetFullPath(root, cwd) };

        if (r.GetValue(Ns) is { } ns && Ok(Ns, OptionValues.Namespaces(ns, out var set))) spec = spec with { Namespaces = set };
        if (r.GetValue(Hostname) is { } host) spec = spec with { Hostname = host };

        if (Given(ClearEnv)) spec = spec with { Environment = spec.Environment with { Clear = r.GetValue(ClearEnv) } };
        if (r.GetValue(Env) is { Length: > 0 } env && env.All(e => Ok(Env, OptionValues.Env(e))))
            spec = spec with { Environment = spec.Environment with { Set = env } };

        if (r.GetValue(Cwd) is { } dir && Ok(Cwd, dir.StartsWith('/') ? null : $"'{dir}' must be an absolute path inside the sandbox"))
            spec = spec with { Cwd = dir };
        if (r.GetValue(User) is { } user && Ok(User, OptionValues.User(user, out var uid, out var gid)))
            spec = spec with { Uid = uid, Gid = gid };

        if (r.GetValue(Mount) is { Length: > 0 } mounts)
        {
            var list = new List<MountSpec>();
            foreach (var m in mounts)
                if (Ok(Mount, MountOption.TryParse(m, cwd, out var ms, out var why) ? null : $"'{m}': {why}")) list.Add(ms);
            spec = spec with { Mounts = list };
        }

        var caps = spec.Capabilities;
        if (r.GetValue(Caps) is { } preset && Ok(Caps, OptionValues.OneOf(preset, CapabilityPresets.Names, out var p))) caps = caps with { Preset = p };
        if (r.GetValue(CapAdd) is { Length: > 0 } add) caps = caps with { Add = CapNames(CapAdd, add) };
        if (r.GetValue(CapDrop) is { Length: > 0 } drop) caps = caps with { Drop = CapNames(CapDrop, drop) };
        spec = spec with { Capabilities = caps };
        if (Given(NoNewPrivs)) spec = spec with { NoNewPrivs = r.GetValue(NoNewPrivs) };

        var seccomp = spec.Seccomp;
        if (r.GetValue(Seccomp) is { } sp && Ok(Seccomp, OptionValues.OneOf(sp, SeccompPresets.Names, out var s))) seccomp = seccomp with { Preset = s };
        if (r.GetValue(SeccompDeny) is { Length: > 0 } deny)
        {
            var rules = new List<SeccompRule>();
            foreach (var d in deny) if (Ok(SeccompDeny, OptionValues.SeccompDeny(d, out var rule))) rules.Add(rule);
            seccomp = seccomp with { Rules = rules };
        }
        spec = spec with { Seccomp = seccomp };

        var limits = spec.Limits;
        if (r.GetValue(Memory) is { } mem && Ok(Memory, OptionValues.Size(mem, out var bytes))) limits = limits with { MemoryBytes = bytes };
        if (r.GetValue(Pids) is { } pids && Ok(Pids, OptionValues.Pids(pids, out var n))) limits = limits with { PidsMax = n };
        if (r.GetValue(Cpus) is { } cpus && Ok(Cpus, OptionValues.Cpus(cpus, out var c))) limits = limits with { Cpus = c };
        spec = spec with { Limits = limits };

        if (r.GetValue(Rlimit) is { Length: > 0 } rl)
        {
            var list = new List<RlimitSpec>();
            foreach (var x in rl) if (Ok(Rlimit, OptionValues.Rlimit(x, out var lim))) list.Add(lim);
            spec = spec with { Rlimits = list };
        }

        if (r.GetValue(Command) is { Length: > 0 } command) spec = spec with { Command = command };
        spec = spec with { Terminal = stdinIsTerminal };

        var flags = new RunFlags(r.GetValue(PrintSpec), r.GetValue(PrintCommand), r.GetValue(Story));
        return new RunRequest(spec, flags, errors);

        List<string> CapNames(Option o, string[] names)
        {
            var list = new List<string>();
            foreach (var name in names) if (Ok(o, OptionValues.Capability(name, out var cap))) list.Add(cap);
            return list;
        }
    }
}
