using Playground.Engine;
using Playground.Engine.Labs;
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

/// <summary>Why and when a person's lab is about to end.</summary>
public sealed record LabNotice(string Reason, DateTime EndsAt);

/// <summary>A Run that failed: refused by validation or policy, or the launch failed (the step and errno in the message).</summary>
public sealed record LaunchFailureNote(DateTime At, string Message);

/// <summary>
/// Every sandbox the web started, by person, and each person's lab, in which all of them run.
/// The only way the web reaches the engine: each call names the person, and a person only ever
/// finds their own lab, sandboxes and terminals (ids are 128-bit random, and still checked
/// against the owner). Labs end after LabIdleMinutes without the person typing or acting, and
/// LabMaxHours after they started, with a notice LabWarningMinutes before.
/// </summary>
public sealed class SandboxHost : IDisposable
{
    readonly People people;
    readonly PlaygroundOptions options;
    readonly ILogger<SandboxHost> log;
    readonly ConcurrentDictionary<string, SandboxRun> _runs = new();
    readonly ConcurrentDictionary<string, LiveTerminal> _terminals = new();
    readonly Timer _sweep;
    readonly ConcurrentDictionary<string, int> _counters = new();

    readonly LabManager labs;
    /// <summary>When each person last acted (a launch, a shell, a key typed, "keep my lab").</summary>
    readonly ConcurrentDictionary<string, DateTime> _active = new();
    readonly DateTime _started = DateTime.UtcNow;

    readonly Terminals.Recordings? recordings;

    public SandboxHost(People people, PlaygroundOptions options, ILogger<SandboxHost> log, LabManager labs, Terminals.Recordings? recordings = null)
    {
        (this.people, this.options, this.log, this.labs, this.recordings) = (people, options, log, labs, recordings);
        _launches = System.Threading.RateLimiting.PartitionedRateLimiter.Create<string, string>(owner =>
            System.Threading.RateLimiting.RateLimitPartition.GetFixedWindowLimiter(owner, _ => new System.Threading.RateLimiting.FixedWindowRateLimiterOptions
            {
                PermitLimit = options.LaunchesPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
            }));
        _sweep = new Timer(_ => Sweep(DateTime.UtcNow), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Ends labs idle for LabIdleMinutes or older than LabMaxHours; stops sandboxes nobody has
    /// watched for IdleSandboxMinutes; forgets ended ones after EndedSandboxMinutes.
    /// </summary>
    internal void Sweep(DateTime now)
    {
        foreach (var person in people.All())
        {
            try
            {
                if (LabNoticeOf(person, now) is { } notice && notice.EndsAt <= now)
                {
                    log.LogInformation("ending the lab of {Owner}: {Reason}", person.Id, notice.Reason);
                    EndLabOf(person);
                    Changed?.Invoke(person.Id);
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
            {
                log.LogWarning("ending the lab of {Owner}: {Message}", person.Id, e.Message);
            }
        }
        if (now >= _nextGuestSweep)
        {
            _nextGuestSweep = now + GuestSweepEvery;
            ForgetGuests(now);
        }
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

    static readonly TimeSpan GuestSweepEvery = TimeSpan.FromMinutes(10);
    DateTime _nextGuestSweep;

    /// <summary>
    /// Forgets guests unseen for GuestDays (their cookie has expired: nobody can come back as
    /// them): their sandboxes, lab, roots, recordings and id range. Someone whose lab still runs
    /// is not forgotten. Writes when people were last seen first.
    /// </summary>
    internal void ForgetGuests(DateTime now)
    {
        foreach (var id in people.ExpiredGuests(now))
        {
            try
            {
                var person = people.Get(id);
                if (labs.Find(LabName(person)) is not null) continue; // in use: it ends when idle, then they go
                foreach (var run in _runs.Values.Where(r => r.OwnerId == id).ToList()) Remove(id, run.Id);
                recordings?.DeleteAllOf(id);
                if (people.Forget(id)) log.LogInformation("forgot guest {Id}: unseen for {Days} days", id, options.GuestDays);
                _active.TryRemove(id, out _);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                log.LogWarning("forgetting guest {Id}: {Message}", id, e.Message);
            }
        }
    }

    /// <summary>Something about a person's sandboxes changed (started, ended, a shell added).</summary>
    public event Action<string>? Changed;

    public IReadOnlyList<SandboxRun> RunsOf(string ownerId) =>
        _runs.Values.Where(r => r.OwnerId == ownerId).OrderBy(r => r.StartedAt).ToList();

    public LiveTerminal? Terminal(string ownerId, string terminalId) =>
        _terminals.TryGetValue(terminalId, out var t) && t.OwnerId == ownerId ? t : null;

    /// <summary>
    /// A terminal whoever owns it: for the hub to check a watcher's right (an instructor of the
    /// owner's class). Never hand it to a caller without that check.
    /// </summary>
    internal LiveTerminal? AnyTerminal(string terminalId) => _terminals.GetValueOrDefault(terminalId);

    /// <summary>An instructor takes over a terminal (their keys reach it, its owner's do not, its owner is told) or hands it back.</summary>
    internal void TakeOver(LiveTerminal terminal, (string Id, string Name)? by)
    {
        if (by == terminal.TakenOverBy) return;
        terminal.Mark(by is { } who ? $"take-over by {who.Name}" : $"handed back by {terminal.TakenOverBy?.Name}");
        terminal.TakenOverBy = by;
        Changed?.Invoke(terminal.OwnerId);
    }

    /// <summary>Policy and validation errors for this person, without starting anything.</summary>
    /// <summary>Checked in the person's lab when it is running (its rootfs looked up there); otherwise all but the rootfs's existence.</summary>
    public IReadOnlyList<SpecError> Check(string ownerId, SandboxSpec spec)
    {
        var person = people.Get(ownerId);
        var (effective, errors) = SandboxPolicy.Apply(spec, options);
        if (errors.Count > 0) return errors;
        try
        {
            if (labs.Find(LabName(person)) is not null) return labs.Check(LabName(person), effective);
        }
        catch (Exception e) when (e is SandboxException or ArgumentException) { } // the lab ended meanwhile
        return SpecValidator.Validate(effective, pathsHere: false); // the lab's paths: checked once it runs
    }

    /// <summary>
    /// Starts a sandbox with a terminal in the person's lab (made if it is not running).
    /// Throws <see cref="SpecValidationException"/> or <see cref="SandboxException"/>.
    /// </summary>
    public SandboxRun Start(string ownerId, SandboxSpec spec, TerminalSize size)
    {
        try
        {
            var run = StartRun(ownerId, spec, size);
            _failures.TryRemove(ownerId, out _);
            return run;
        }
        catch (Exception e) when (e is SpecValidationException or SandboxException)
        {
            _failures[ownerId] = new LaunchFailureNote(DateTime.UtcNow, e is SpecValidationException v
                ? string.Join("; ", v.Errors.Select(x => $"{x.Field}: {x.Message}")) : e.Message);
            Changed?.Invoke(ownerId);
            throw;
        }
    }

    readonly ConcurrentDictionary<string, LaunchFailureNote> _failures = new();

    /// <summary>Why the person's last Run failed, if it did (a later successful Run clears it): for their instructor's grid.</summary>
    public LaunchFailureNote? LastFailureOf(string ownerId) => _failures.GetValueOrDefault(ownerId);

    SandboxRun StartRun(string ownerId, SandboxSpec spec, TerminalSize size)
    {
        var person = people.Get(ownerId);
        var (effective, errors) = SandboxPolicy.Apply(spec with { Terminal = true }, options);
        if (errors.Count > 0) throw new SpecValidationException(errors);
        Touch(ownerId);
        lock (_runs)
            if (RunsOf(ownerId).Count(r => r.Exit is null) >= options.MaxSandboxesPerPerson)
                throw new SpecValidationException([new SpecError("sandboxes", $"at most {options.MaxSandboxesPerPerson} running at once: stop one first")]);
        CheckTerminalBudget(ownerId);
        var lab = EnsureLab(person);
        return Register(ownerId, effective, labs.Run(lab.Name, effective, size), string.Join(' ', effective.Command), hostShell: false, size);
    }

    /// <summary>A started process as a run of the person's, with its terminal; its end is noted.</summary>
    SandboxRun Register(string ownerId, SandboxSpec spec, SandboxSession session, string what, bool hostShell, TerminalSize size)
    {
        var run = new SandboxRun
        {
            Id = NewId(), OwnerId = ownerId, Spec = spec, Session = session, StartedAt = DateTime.UtcNow,
            Name = $"{_counters.AddOrUpdate(ownerId, 1, (_, n) => n + 1)}: {what}", IsHostShell = hostShell,
        };
        _runs[run.Id] = run;
        AddTerminal(run, session, size, $"launch: {what}");
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
    /// The person's lab, made if it is not running: their own id range (so the roots in their
    /// store, /roots in the lab, are its root's), their store bind-mounted at /roots.
    /// </summary>
    Lab EnsureLab(Person person)
    {
        people.WithStore(person.Id); // mounted before the lab binds it
        return labs.Create(LabName(person), new LabSetup(person.OutsideId, [MountSpec.Bind(person.RootfsStore, Person.RootsInLab)]));
    }

    /// <summary>Ends the person's lab and lets go of their store (unmounted until they use it again).</summary>
    bool EndLabOf(Person person)
    {
        var ended = labs.End(LabName(person));
        people.ReleaseStore(person.Id);
        return ended;
    }

    /// <summary>The person's lab, or null when it is not running.</summary>
    public Lab? LabOf(string ownerId) => labs.Find(LabName(people.Get(ownerId)));

    /// <summary>What the person's lab uses against its limits, and of their store; null when the lab is not running.</summary>
    public (LabUsage Lab, (long Used, long Size) Store)? UsageOf(string ownerId)
    {
        var person = people.Get(ownerId);
        return labs.Usage(LabName(person)) is { } use
            ? (use, people.StoreMounted(person.Id) ? LabManager.Space(person.Store) : (0, options.StoreBytes))
            : null;
    }

    /// <summary>The person acted: their lab's idle clock starts again.</summary>
    public void Touch(string ownerId) => _active[ownerId] = DateTime.UtcNow;

    /// <summary>When the person's lab will end, if that is within LabWarningMinutes; null otherwise (or when it is not running).</summary>
    public LabNotice? NoticeOf(string ownerId, DateTime? now = null) =>
        LabNoticeOf(people.Get(ownerId), now ?? DateTime.UtcNow) is { } n && n.EndsAt - (now ?? DateTime.UtcNow) <= TimeSpan.FromMinutes(options.LabWarningMinutes) ? n : null;

    /// <summary>The sooner of the idle end and the lifetime end of the person's running lab.</summary>
    LabNotice? LabNoticeOf(Person person, DateTime now)
    {
        if (labs.Find(LabName(person)) is not { } lab) return null;
        var typed = _terminals.Values.Where(t => t.OwnerId == person.Id).Select(t => t.LastInput);
        var active = typed.Append(_active.GetValueOrDefault(person.Id, _started)).Append(lab.Created).Max();
        var idleEnd = active + TimeSpan.FromMinutes(options.LabIdleMinutes);
        var lifeEnd = lab.Created + TimeSpan.FromHours(options.LabMaxHours);
        return idleEnd <= lifeEnd
            ? new LabNotice($"nothing typed or done for {options.LabIdleMinutes} minutes", idleEnd)
            : new LabNotice($"labs last at most {(options.LabMaxHours >= 1 ? $"{options.LabMaxHours:0.#} hours" : $"{options.LabMaxHours * 60:0} minutes")}", lifeEnd);
    }

    /// <summary>
    /// A shell on the person's lab host (made if it is not running), as the lab's root: the
    /// workshop's host, where every command works by hand. The lab outlives the shell.
    /// </summary>
    public SandboxRun StartHostShell(string ownerId, TerminalSize size)
    {
        var person = people.Get(ownerId);
        CheckTerminalBudget(ownerId);
        Touch(ownerId);
        var lab = EnsureLab(person);
        string[] shell = ["/bin/bash", "-l"];
        var session = labs.Exec(lab.Name, shell, terminal: true, size);
        return Register(ownerId, lab.Spec with { Command = shell, Terminal = true }, session, "host shell", hostShell: true, size);
    }

    /// <summary>Ends the person's lab: every process in it, its shells and sandboxes included; its workspace is gone, their roots are kept.</summary>
    public bool EndLab(string ownerId)
    {
        var ended = EndLabOf(people.Get(ownerId));
        Changed?.Invoke(ownerId);
        return ended;
    }

    /// <summary>A fresh lab: the old one ended (its processes, workspace and /tmp), a new one made; their roots are kept.</summary>
    public Lab ResetLab(string ownerId)
    {
        var person = people.Get(ownerId);
        labs.End(LabName(person));
        Touch(ownerId);
        var lab = EnsureLab(person);
        Changed?.Invoke(ownerId);
        return lab;
    }

    /// <summary>
    /// A lesson step's check in the person's lab (counted as a launch: at most LaunchesPerMinute).
    /// With no lab running nothing of the step can be there: it fails, saying so.
    /// </summary>
    public async Task<Playground.Engine.Lessons.CheckResult> CheckStepAsync(string ownerId, Playground.Engine.Lessons.LessonCheck check)
    {
        var person = people.Get(ownerId);
        CheckLaunchRate(ownerId);
        Touch(ownerId);
        if (labs.Find(LabName(person)) is not { } lab)
            return new Playground.Engine.Lessons.CheckResult(false, "Your lab is not running, so nothing of this step is there yet: open a host shell and do the step.", -1);
        return await Playground.Engine.Lessons.LessonRunner.CheckAsync(labs, lab.Name, check);
    }

    /// <summary>The X-ray of a running sandbox of the person's (against their lab); null when it has ended or is not theirs.</summary>
    public Playground.Engine.Xray.XraySnapshot? XrayOf(string ownerId, string runId)
    {
        if (!_runs.TryGetValue(runId, out var run) || run.OwnerId != ownerId || run.Exit is not null || run.IsHostShell) return null;
        if (labs.Find(LabName(people.Get(ownerId))) is not { } lab) return null;
        try { return run.Session.Xray(lab.InitPid); }
        catch (IOException) { return null; } // it ended meanwhile
    }

    /// <summary>
    /// The system calls a sandbox's own filter refused, oldest first, and how many in all; null
    /// when it has no filter of its own (or is not the person's).
    /// </summary>
    public (IReadOnlyList<Playground.Engine.Xray.SeccompEvent> Recent, long Total)? RefusalsOf(string ownerId, string runId)
    {
        if (!_runs.TryGetValue(runId, out var run) || run.OwnerId != ownerId || run.IsHostShell || run.Session.Refusals is not { } feed) return null;
        return (feed.Recent(), feed.Total);
    }

    /// <summary>Another shell in a running sandbox (its namespaces, cgroup, root and policy).</summary>
    public LiveTerminal Exec(string ownerId, string runId, IReadOnlyList<string> command, TerminalSize size)
    {
        var run = Run(ownerId, runId);
        if (run.Exit is not null) throw new InvalidOperationException("the sandbox has ended");
        CheckTerminalBudget(ownerId);
        Touch(ownerId);
        var session = run.Session.Exec(command, terminal: true, size);
        var t = AddTerminal(run, session, size, $"shell in {run.Name}: {string.Join(' ', command)}");
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

    readonly System.Threading.RateLimiting.PartitionedRateLimiter<string> _launches;

    /// <summary>At most LaunchesPerMinute starts per person (a script in a page cannot launch in a loop).</summary>
    void CheckLaunchRate(string ownerId)
    {
        using var lease = _launches.AttemptAcquire(ownerId);
        if (!lease.IsAcquired)
            throw new SpecValidationException([new SpecError("launches", $"at most {options.LaunchesPerMinute} starts a minute: wait a moment")]);
    }

    void CheckTerminalBudget(string ownerId)
    {
        CheckLaunchRate(ownerId);
        if (_terminals.Values.Count(t => t.OwnerId == ownerId && !t.Session.Completion.IsCompleted) >= options.MaxTerminalsPerPerson)
            throw new SpecValidationException([new SpecError("terminals", $"at most {options.MaxTerminalsPerPerson} running processes at once")]);
    }

    LiveTerminal AddTerminal(SandboxRun run, SandboxSession session, TerminalSize size, string what)
    {
        var recorder = recordings?.Start(run.OwnerId, what, size.Columns, size.Rows);
        recorder?.Marker(what);
        var t = new LiveTerminal(NewId(), run.OwnerId, session, options, recorder);
        lock (run.Terminals) run.Terminals.Add(t);
        _terminals[t.Id] = t;
        return t;
    }

    static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public void Dispose()
    {
        _sweep.Dispose();
        _launches.Dispose();
        foreach (var run in _runs.Values.ToList())
            try { Remove(run.OwnerId, run.Id); }
            catch (Exception e) { log.LogWarning("ending sandbox {Id}: {Message}", run.Id, e.Message); }
    }
}
