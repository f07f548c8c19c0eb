using Playground.Engine;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Playground.Engine.Launch;
using Playground.Engine.Spec;
using Playground.Web.Terminals;

namespace Playground.Web.Sandboxes;

/// <summary>A running (or ended) sandbox of one person, with its terminals: the first process and any shells opened into it.</summary>
public sealed class SandboxRun
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string Name { get; init; }
    public required SandboxSpec Spec { get; init; }
    public required SandboxSession Session { get; init; }
    public required DateTime StartedAt { get; init; }
    public List<LiveTerminal> Terminals { get; } = [];
    /// <summary>A shell on the person's lab host rather than a sandbox of its own.</summary>
    public bool IsHostShell { get; init; }
    public ExitStatus? Exit { get; internal set; }
    public LaunchStory Story => Session.Story;
}

/// <summary>
/// Every sandbox the web started, by person. The only way the web reaches the engine: each
/// call names the person, and a person only ever finds their own sandboxes and terminals
/// (ids are 128-bit random, and still checked against the owner).
/// </summary>
public sealed class SandboxHost : IDisposable
{
    readonly SandboxEngine engine;
    readonly People people;
    readonly PlaygroundOptions options;
    readonly ILogger<SandboxHost> log;
    readonly ConcurrentDictionary<string, SandboxRun> _runs = new();
    readonly ConcurrentDictionary<string, LiveTerminal> _terminals = new();
    readonly Timer _sweep;
    readonly ConcurrentDictionary<string, int> _counters = new();

    readonly Playground.Engine.Labs.LabManager? labs;

    public SandboxHost(SandboxEngine engine, People people, PlaygroundOptions options, ILogger<SandboxHost> log, Playground.Engine.Labs.LabManager? labs = null)
    {
        (this.engine, this.people, this.options, this.log, this.labs) = (engine, people, options, log, labs);
        _sweep = new Timer(_ => Sweep(DateTime.UtcNow), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    /// <summary>Stops sandboxes nobody has watched for IdleSandboxMinutes; forgets ended ones after EndedSandboxMinutes.</summary>
    internal void Sweep(DateTime now)
    {
        foreach (var run in _runs.Values.ToList())
        {
            var seen = run.Terminals.ToList().Select(t => t.LastSeen).DefaultIfEmpty(run.StartedAt).Max();
            try
            {
                if (run.Exit is not null && now - seen > TimeSpan.FromMinutes(options.EndedSandboxMinutes)) Remove(run.OwnerId, run.Id);
                else if (run.Exit is null && now - seen > TimeSpan.FromMinutes(options.IdleSandboxMinutes))
                {
                    log.LogInformation("stopping sandbox {Id} of {Owner}: nobody has watched it since {Seen:u}", run.Id, run.OwnerId, seen);
                    Stop(run.OwnerId, run.Id);
                }
            }
            catch (Exception e) { log.LogWarning("sweeping sandbox {Id}: {Message}", run.Id, e.Message); }
        }
    }

    /// <summary>Something about a person's sandboxes changed (started, ended, a shell added).</summary>
    public event Action<string>? Changed;

    public IReadOnlyList<SandboxRun> RunsOf(string ownerId) =>
        _runs.Values.Where(r => r.OwnerId == ownerId).OrderBy(r => r.StartedAt).ToList();

    public LiveTerminal? Terminal(string ownerId, string terminalId) =>
        _terminals.TryGetValue(terminalId, out var t) && t.OwnerId == ownerId ? t : null;

    /// <summary>Policy and validation errors for this person, without starting anything.</summary>
    public IReadOnlyList<SpecError> Check(string ownerId, SandboxSpec spec) =>
        SandboxPolicy.Apply(spec, people.Get(ownerId), options).Errors;

    /// <summary>Starts a sandbox with a terminal. Throws <see cref="SpecValidationException"/> or <see cref="SandboxException"/>.</summary>
    public SandboxRun Start(string ownerId, SandboxSpec spec, TerminalSize size)
    {
        var person = people.Get(ownerId);
        var (effective, errors) = SandboxPolicy.Apply(spec with { Terminal = true }, person, options);
        if (errors.Count > 0) throw new SpecValidationException(errors);
        lock (_runs)
            if (RunsOf(ownerId).Count(r => r.Exit is null) >= options.MaxSandboxesPerPerson)
                throw new SpecValidationException([new SpecError("sandboxes", $"at most {options.MaxSandboxesPerPerson} running at once: stop one first")]);
        CheckTerminalBudget(ownerId);
        return Register(ownerId, effective, engine.Launch(effective, size), string.Join(' ', effective.Command), hostShell: false);
    }

    /// <summary>A started process as a run of the person's, with its terminal; its end is noted.</summary>
    SandboxRun Register(string ownerId, SandboxSpec spec, SandboxSession session, string what, bool hostShell)
    {
        var run = new SandboxRun
        {
            Id = NewId(), OwnerId = ownerId, Spec = spec, Session = session, StartedAt = DateTime.UtcNow,
            Name = $"{_counters.AddOrUpdate(ownerId, 1, (_, n) => n + 1)}: {what}", IsHostShell = hostShell,
        };
        _runs[run.Id] = run;
        AddTerminal(run, session);
        session.Completion.ContinueWith(t =>
        {
            run.Exit = t.Result;
            Changed?.Invoke(ownerId);
        }, TaskScheduler.Default);
        Changed?.Invoke(ownerId);
        return run;
    }

    /// <summary>The lab's name for a person: their own lab host, made on first use.</summary>
    public static string LabName(Person person) => "lab-" + person.Id[..12];

    /// <summary>
    /// A shell on the person's lab host (made if it is not running), as the lab's root: the
    /// workshop's host, where every command works by hand. The lab outlives the shell.
    /// </summary>
    public SandboxRun StartHostShell(string ownerId, TerminalSize size)
    {
        var person = people.Get(ownerId);
        CheckTerminalBudget(ownerId);
        var labs = this.labs ?? throw new InvalidOperationException("this server has no labs");
        var lab = labs.Create(LabName(person));
        string[] shell = ["/bin/bash", "-l"];
        var session = labs.Exec(lab.Name, shell, terminal: true, size);
        return Register(ownerId, lab.Spec with { Command = shell, Terminal = true }, session, "host shell", hostShell: true);
    }

    /// <summary>Ends the person's lab: every process in it, its shells included; its root is gone.</summary>
    public bool EndLab(string ownerId) => labs?.End(LabName(people.Get(ownerId))) ?? false;

    /// <summary>Another shell in a running sandbox (its namespaces, cgroup, root and policy).</summary>
    public LiveTerminal Exec(string ownerId, string runId, IReadOnlyList<string> command, TerminalSize size)
    {
        var run = Run(ownerId, runId);
        if (run.Exit is not null) throw new InvalidOperationException("the sandbox has ended");
        CheckTerminalBudget(ownerId);
        var session = run.Session.Exec(command, terminal: true, size);
        var t = AddTerminal(run, session);
        session.Completion.ContinueWith(_ => Changed?.Invoke(ownerId), TaskScheduler.Default);
        Changed?.Invoke(ownerId);
        return t;
    }

    /// <summary>Kills every process of the sandbox; its terminals keep their last output.</summary>
    public void Stop(string ownerId, string runId)
    {
        var run = Run(ownerId, runId);
        foreach (var t in run.Terminals.ToList()) t.Session.Kill();
        run.Session.Kill();
    }

    /// <summary>Stops the sandbox if needed and forgets it (its tab closes).</summary>
    public void Remove(string ownerId, string runId)
    {
        var run = Run(ownerId, runId);
        _runs.TryRemove(run.Id, out _);
        foreach (var t in run.Terminals.ToList())
        {
            _terminals.TryRemove(t.Id, out _);
            t.Dispose();
            if (t.Session != run.Session) t.Session.Dispose();
        }
        run.Session.Dispose();
        Changed?.Invoke(ownerId);
    }

    SandboxRun Run(string ownerId, string runId) =>
        _runs.TryGetValue(runId, out var r) && r.OwnerId == ownerId ? r : throw new KeyNotFoundException("no such sandbox");

    void CheckTerminalBudget(string ownerId)
    {
        if (_terminals.Values.Count(t => t.OwnerId == ownerId && !t.Session.Completion.IsCompleted) >= options.MaxTerminalsPerPerson)
            throw new SpecValidationException([new SpecError("terminals", $"at most {options.MaxTerminalsPerPerson} running processes at once")]);
    }

    LiveTerminal AddTerminal(SandboxRun run, SandboxSession session)
    {
        var t = new LiveTerminal(NewId(), run.OwnerId, session, options);
        lock (run.Terminals) run.Terminals.Add(t);
        _terminals[t.Id] = t;
        return t;
    }

    static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public void Dispose()
    {
        _sweep.Dispose();
        foreach (var run in _runs.Values.ToList())
            try { Remove(run.OwnerId, run.Id); }
            catch (Exception e) { log.LogWarning("ending sandbox {Id}: {Message}", run.Id, e.Message); }
    }
}
