using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Playground.Engine.Cgroups;
using Playground.Engine.Interop;
using Playground.Engine.Launch.Protocol;
using Playground.Engine.Spec;

namespace Playground.Engine.Launch;

public readonly record struct TerminalSize(ushort Columns, ushort Rows)
{
    public static TerminalSize Default { get; } = new(80, 24);
}

public sealed record EngineOptions
{
    /// <summary>Path of the NativeAOT init; default: playground-init beside the running program.</summary>
    public string? InitPath { get; init; }
    /// <summary>Name of the cgroup parent of every sandbox.</summary>
    public string CgroupParent { get; init; } = "playground";
    /// <summary>How long init may stay silent during a launch before the launch fails.</summary>
    public int StepTimeoutMs { get; init; } = 30_000;
    /// <summary>How many inits to keep pre-started per kind of launch (namespaces, id maps,
    /// terminal or not); 0 starts every launch cold (right for a one-shot CLI run).</summary>
    public int Prestart { get; init; } = 1;
}

/// <summary>
/// Launches sandboxes: validate, build the plan, posix_spawn util-linux unshare (or nsenter)
/// with init as its command, answer init's hello (id maps, cgroup), send the plan, collect
/// the launch story. Keeps a pre-started init ready per recently used namespace set, so a
/// launch usually starts at the plan (<see cref="EngineOptions.Prestart"/>). Thread-safe; one
/// per process is enough. Dispose ends the pre-started inits.
/// </summary>
public sealed class SandboxEngine : IDisposable
{
    readonly Lazy<CgroupManager> _cgroups;
    readonly InitPool _pool;

    public SandboxEngine(EngineOptions? options = null)
    {
        Options = options ?? new EngineOptions();
        if (Options.Prestart < 0) throw new ArgumentOutOfRangeException(nameof(options), "Prestart must be 0 or more");
        InitPath = Options.InitPath ?? Path.Combine(AppContext.BaseDirectory, "playground-init");
        _cgroups = new(() => CgroupManager.Detect(parent: Options.CgroupParent));
        _pool = new InitPool(Options.Prestart);
    }

    public EngineOptions Options { get; }
    public string InitPath { get; }
    public CgroupManager Cgroups => _cgroups.Value;

    /// <summary>
    /// Validates the spec, creates the sandbox and returns once the command has been
    /// executed; throws <see cref="SpecValidationException"/> before anything is made, or
    /// <see cref="SandboxException"/> naming the failed step, with nothing left behind.
    /// </summary>
    public SandboxSession Launch(SandboxSpec spec, TerminalSize? size = null) => Launch(spec, size, commandIsPid1: false);

    /// <param name="commandIsPid1">With a pid namespace, init execs the command as PID 1 instead
    /// of staying PID 1 to reap for it: for a command that is itself a reaper (a lab's), which
    /// then cannot be killed from inside the namespace.</param>
    internal SandboxSession Launch(SandboxSpec spec, TerminalSize? size, bool commandIsPid1)
    {
        SpecValidator.ThrowIfInvalid(spec);
        if (!File.Exists(InitPath))
            throw new SandboxException("spawn", "stat", Errno.ENOENT, $"{InitPath} is missing: build the CLI or web project, which publishes init beside it");
        var plan = PlanBuilder.Build(spec, size ?? TerminalSize.Default);
        if (commandIsPid1) plan = plan with { ReapAsPid1 = false };
        MountPoints.Create(plan);
        var steps = new StoryBuilder(System.Diagnostics.Stopwatch.StartNew());
        var argv = PlanBuilder.UnshareArgs(spec, InitPath);
        var mapIds = spec.Namespaces.User ? spec : null;
        // Pre-started inits differ only by what exists before the plan: namespaces, id maps, stdio kind.
        var key = string.Join(' ', argv) + (mapIds is null ? "" : $" uid:{Maps(spec.EffectiveUidMap)} gid:{Maps(spec.EffectiveGidMap)}") + (plan.Terminal ? " tty" : "");
        ReadyInit Prestart(StoryBuilder story, long mountGeneration) =>
            ReadyInit.Start(this, argv, [], plan.Terminal, null, mapIds, spec.Namespaces.Pid, story, mountGeneration);
        var ready = _pool.Take(key, steps);
        try
        {
            ready ??= Prestart(steps, 0);
            ready.Cgroup.SetLimits(spec.Limits);
            var started = Run(ready, plan, spec.Rootfs!, steps);
            _pool.Refill(key, generation => Prestart(new StoryBuilder(System.Diagnostics.Stopwatch.StartNew()), generation));
            return new SandboxSession(this, ready.Cgroup.Id, spec, plan, ready.Cgroup, started, null);
        }
        catch
        {
            ready?.Dispose(deleteCgroup: true);
            throw;
        }
    }

    /// <summary>
    /// A sandbox inside another one (a lab): made from within the outer one's namespaces, so its
    /// namespaces nest in the outer's (with user namespace off it runs as the outer's root), its
    /// paths and id maps are the outer's, and its cgroup is a child of the outer's (every limit
    /// of the outer bounds it). <paramref name="outerRootOnHost"/> is where the outer's root is
    /// seen from here: the rootfs must be in it (for the validation and the mount points).
    /// </summary>
    /// <summary>The spec's problems as <see cref="LaunchInside"/> would find them in the outer sandbox now, without launching.</summary>
    internal IReadOnlyList<SpecError> CheckInside(SandboxSpec spec, int outerPid)
    {
        if (spec.Rootfs is not { Length: > 0 } inner || !Path.IsPathRooted(inner))
            return [new SpecError("rootfs", "give the absolute path of a directory inside the lab")];
        using var outer = OuterRoot.Open(outerPid);
        using var rootfs = outer.OpenDirectory(inner);
        if (rootfs is null) return [new SpecError("rootfs", $"'{inner}' is not a directory in the lab")];
        return ValidateInside(spec, inner, $"/proc/self/fd/{rootfs.DangerousGetHandle()}", outer);
    }

    /// <summary>The validator's findings on the rootfs as seen from here and bind sources looked up in the outer, told in the outer's own paths.</summary>
    static IReadOnlyList<SpecError> ValidateInside(SandboxSpec spec, string inner, string onHost, OuterRoot outer) =>
        SpecValidator.Validate(spec with { Rootfs = onHost }, sourceExists: outer.Exists).Select(e => e with { Message = e.Message.Replace(onHost, inner) }).ToList();

    internal SandboxSession LaunchInside(SandboxSpec spec, int outerPid, string outerCgroupId, (uint Uid, uint Gid) outerRoot, IReadOnlyList<string> mapWriter, TerminalSize? size,
        SeccompSpec? outerSeccomp = null)
    {
        // Never less confined than the outer: its filter too (which needs no_new_privs; the outer has it).
        if (outerSeccomp is not null) spec = spec with { NoNewPrivs = true };
        if (spec.Rootfs is not { Length: > 0 } inner || !Path.IsPathRooted(inner))
            throw new SpecValidationException([new SpecError("rootfs", "give the absolute path of a directory inside the lab")]);
        // The outer's paths as its processes see them (its mounts too), each resolved by the kernel
        // as if the outer's root were "/": a link the outer made never leads out of it.
        using var outer = OuterRoot.Open(outerPid);
        using var rootfs = outer.OpenDirectory(inner)
            ?? throw new SpecValidationException([new SpecError("rootfs", $"'{inner}' is not a directory in the lab")]);
        var onHost = $"/proc/self/fd/{rootfs.DangerousGetHandle()}";
        if (ValidateInside(spec, inner, onHost, outer) is { Count: > 0 } errors) throw new SpecValidationException(errors);
        if (!File.Exists(InitPath))
            throw new SandboxException("spawn", "stat", Errno.ENOENT, $"{InitPath} is missing: build the CLI or web project, which publishes init beside it");
        var plan = PlanBuilder.Build(spec, size ?? TerminalSize.Default);
        Xray.RefusalFeed? refusals = null;
        if (outerSeccomp is not null)
        {
            plan = plan with { OuterSeccompBpf = Seccomp.SeccompCompiler.Compile(outerSeccomp)?.Bpf ?? [] };
            // Its own filter's refusals are answered by us, so its X-ray can show each one.
            if (Seccomp.SeccompCompiler.Compile(spec.Seccomp) is { } own)
            {
                plan = plan with { SeccompBpf = own.NotifyingBpf, SeccompListener = true };
                refusals = new Xray.RefusalFeed(own);
            }
        }
        MountPoints.Create(plan with { Rootfs = onHost }, outer.IsFile, outerRoot);
        var steps = new StoryBuilder(System.Diagnostics.Stopwatch.StartNew());
        using var init = File.OpenHandle(InitPath);
        // Into every namespace of the outer sandbox (its mount namespace too: its /usr is ours,
        // so unshare and init's libraries are there), then unshare makes the inner's from there.
        var unshare = PlanBuilder.UnshareArgs(spec, $"/proc/self/fd/{InheritedFds.Init}");
        List<string> argv = ["nsenter", "--target", outerPid.ToString(), "--user", "--mount", "--net", "--uts", "--ipc", "--pid", "--cgroup", "--", .. unshare];
        var cgroup = Cgroups.CreateNested(outerCgroupId, Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)), spec.Limits);
        ReadyInit? ready = null;
        try
        {
            // nsenter forks to enter the pid namespace; unshare forks again to make the inner's.
            ready = ReadyInit.Start(this, argv, [null, init], plan.Terminal, cgroup, spec.Namespaces.User ? spec : null, forks: true, steps,
                mapWriter: mapWriter, forkDepth: spec.Namespaces.Pid ? 2 : 1);
            var started = Run(ready, plan, spec.Rootfs!, steps, refusals);
            return new SandboxSession(this, cgroup.Id, spec, plan, cgroup, started, null, refusals: refusals);
        }
        catch
        {
            ready?.Dispose(deleteCgroup: false);
            cgroup.Delete();
            throw;
        }
    }

    static string Maps(IReadOnlyList<IdMapping> m) => string.Join(',', m.Select(x => $"{x.Inside}:{x.Outside}:{x.Count}"));

    /// <summary>Blocks until no pre-start is under way (for measurements and tests that count processes).</summary>
    public void WaitUntilPrestarted(TimeSpan timeout) => _pool.WaitIdle(timeout);

    /// <summary>Ends the pre-started inits and removes their cgroups. Sessions stay the caller's.</summary>
    public void Dispose() => _pool.Dispose();

    internal SandboxSession Exec(SandboxSession sandbox, IReadOnlyList<string> command, bool terminal, TerminalSize? size) =>
        Exec(sandbox.Id, sandbox.Spec, sandbox.Plan, sandbox.InitPid, sandbox.Cgroup, sandbox, command, terminal, size);

    /// <summary>
    /// Another process in a sandbox that another process of ours launched (a lab outlives the
    /// command that made it): found by its first process's host pid, its spec and its cgroup.
    /// The caller checks that the pid is still that sandbox's (e.g. by its start time).
    /// </summary>
    public SandboxSession ExecInto(string id, SandboxSpec spec, int initPid, string cgroupId, IReadOnlyList<string> command, bool terminal, TerminalSize? size = null) =>
        Exec(id, spec, PlanBuilder.Build(spec, size ?? TerminalSize.Default), initPid, Cgroups.Open(cgroupId), null, command, terminal, size);

    SandboxSession Exec(string id, SandboxSpec spec, LaunchPlan launched, int initPid, SandboxCgroup cgroup, SandboxSession? parent,
        IReadOnlyList<string> command, bool terminal, TerminalSize? size)
    {
        if (command.Count == 0) throw new SpecValidationException([new SpecError("command", "give the program to run")]);
        var plan = PlanBuilder.ForExec(launched, command, terminal, size ?? TerminalSize.Default);
        // nsenter becomes the sandbox's root (an ordinary uid on the host) before it execs init,
        // which may then be in a directory that uid cannot enter: exec it through an fd we opened.
        using var init = File.OpenHandle(InitPath);
        var argv = PlanBuilder.NsenterArgs(spec, initPid, $"/proc/self/fd/{InheritedFds.Init}");
        // init is a dynamically linked program: it must start in our mount namespace (where its
        // ELF interpreter is) and join the sandbox's itself, from this fd.
        using var mountNs = spec.Namespaces.Mount ? OpenNamespace(initPid, "mnt") : null;
        var steps = new StoryBuilder(System.Diagnostics.Stopwatch.StartNew());
        var ready = ReadyInit.Start(this, argv, [mountNs, init], terminal, cgroup, null, spec.Namespaces.Pid, steps);
        try
        {
            var started = Run(ready, plan, spec.Rootfs!, steps, parent?.Refusals);
            return new SandboxSession(this, id, spec with { Command = command, Terminal = terminal }, plan, cgroup, started, parent, joined: true, parent?.Refusals);
        }
        catch
        {
            ready.Dispose(deleteCgroup: false);
            throw;
        }
    }

    static SafeFileHandle OpenNamespace(int pid, string kind)
    {
        var fd = Libc.open($"/proc/{pid}/ns/{kind}", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            throw new SandboxException("exec", $"open /proc/{pid}/ns/{kind}", Libc.Errno, "the sandbox's first process has ended");
        return new SafeFileHandle(fd, true);
    }

    /// <summary>What a launch left the session: its processes (with their pidfds and stdio), the channel and the story.</summary>
    internal sealed record Started(ReadyInit Init, LaunchChannel Channel, LaunchStory Story, bool ReportsExit);

    /// <summary>Sends the plan to an init that said hello, and follows its steps up to the exec.
    /// On success the ready init's processes, stdio and cgroup belong to the returned record.</summary>
    Started Run(ReadyInit ready, LaunchPlan plan, string rootfs, StoryBuilder steps, Xray.RefusalFeed? refusals = null)
    {
        if (plan.Terminal) ready.Stdio.Resize(plan.Columns, plan.Rows);
        var channel = new LaunchChannel();
        try
        {
            ready.Spawned.SendPlan(WireWriter.Encode(plan), channel);
            string? execPath = null;
            while (true)
            {
                var msg = channel.Receive(Options.StepTimeoutMs, out var passedFd);
                if (msg is null)
                {
                    // End of stream: after Exec it means execve succeeded (our end is close-on-exec).
                    if (execPath is not null) { steps.Add(new LaunchStep("execve", true, 0, execPath)); break; }
                    throw EarlyExit(steps, ready.Stdio, "init");
                }
                switch (msg.Type)
                {
                    case MessageType.Step:
                        var s = msg.Step();
                        steps.Add(new LaunchStep(s.Step, s.Ok, s.Errno, s.Ok ? s.Detail : $"{s.Syscall}: {s.Detail}"));
                        if (!s.Ok)
                            throw new SandboxException(s.Step, s.Syscall, s.Errno,
                                LaunchHints.For(s.Step, s.Syscall, s.Errno, s.Detail, rootfs, plan), steps.Story());
                        break;
                    case MessageType.Terminal:
                        ready.Stdio.UseSandboxTerminal(passedFd);
                        break;
                    case MessageType.SeccompListener:
                        // At once: from now on the sandbox's refused calls wait for our answer.
                        if (refusals is null || passedFd < 0)
                        {
                            if (passedFd >= 0) Libc.close(passedFd);
                            throw new SandboxException("seccomp", "listener", Errno.EINVAL, "init sent a listener nobody asked for");
                        }
                        Seccomp.SeccompSupervisor.Shared.Watch(passedFd, refusals);
                        break;
                    case MessageType.Exec:
                        execPath = msg.Str();
                        break;
                    case MessageType.Started:
                        return ready.Hand(channel, steps.Story(), reportsExit: true);
                }
            }
            return ready.Hand(channel, steps.Story(), reportsExit: false);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    internal static SandboxException EarlyExit(StoryBuilder steps, Stdio stdio, string who)
    {
        // unshare/nsenter failed before init could speak, or init died: the message is on stderr.
        var text = stdio.DrainDiagnostics().Trim();
        var story = steps.Add(new LaunchStep("namespaces", false, 0, text)).Story();
        return new SandboxException("namespaces", who, 0,
            text.Length > 0 ? text : $"{who} exited before init could report", story);
    }

    /// <summary>The steps so far, each stamped with the time it reached us.</summary>
    internal sealed class StoryBuilder(System.Diagnostics.Stopwatch clock)
    {
        readonly List<LaunchStep> _steps = [];
        /// <summary>When this story's clock started (its steps' times count from here).</summary>
        public DateTime StartedAt { get; } = DateTime.UtcNow - clock.Elapsed;
        public StoryBuilder Add(LaunchStep step) { _steps.Add(step with { AtMs = clock.Elapsed.TotalMilliseconds }); return this; }
        /// <summary>Steps of a pre-started init, stamped on its own clock: shown before this launch began (negative times).</summary>
        public void AddEarlier(LaunchStory earlier, double startedMsAgo)
        {
            foreach (var step in earlier) _steps.Add(step with { AtMs = step.AtMs - startedMsAgo });
        }
        public LaunchStory Story() => new([.. _steps]);
    }
}
