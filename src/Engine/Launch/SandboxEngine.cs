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
}

/// <summary>
/// Launches sandboxes: validate, build the plan, make the cgroup, posix_spawn util-linux
/// unshare (or nsenter) with init as its command, answer init's hello (id maps, cgroup),
/// collect the launch story. Thread-safe; one per process is enough.
/// </summary>
public sealed class SandboxEngine
{
    readonly Lazy<CgroupManager> _cgroups;

    public SandboxEngine(EngineOptions? options = null)
    {
        Options = options ?? new EngineOptions();
        InitPath = Options.InitPath ?? Path.Combine(AppContext.BaseDirectory, "playground-init");
        _cgroups = new(() => CgroupManager.Detect(parent: Options.CgroupParent));
    }

    public EngineOptions Options { get; }
    public string InitPath { get; }
    public CgroupManager Cgroups => _cgroups.Value;

    /// <summary>
    /// Validates the spec, creates the sandbox and returns once the command has been
    /// executed; throws <see cref="SpecValidationException"/> before anything is made, or
    /// <see cref="SandboxException"/> naming the failed step, with nothing left behind.
    /// </summary>
    public SandboxSession Launch(SandboxSpec spec, TerminalSize? size = null)
    {
        SpecValidator.ThrowIfInvalid(spec);
        if (!File.Exists(InitPath))
            throw new SandboxException("spawn", "stat", Errno.ENOENT, $"{InitPath} is missing: build the CLI or web project, which publishes init beside it");
        var plan = PlanBuilder.Build(spec, size ?? TerminalSize.Default);
        MountPoints.Create(plan);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var cgroup = Cgroups.Create(id, spec.Limits);
        try
        {
            var argv = PlanBuilder.UnshareArgs(spec, InitPath);
            var started = Start(argv, plan, cgroup, spec.Rootfs!, spec.Namespaces.Pid, spec.Namespaces.User ? spec : null);
            return new SandboxSession(this, id, spec, plan, cgroup, started, null);
        }
        catch
        {
            cgroup.Delete();
            throw;
        }
    }

    internal SandboxSession Exec(SandboxSession sandbox, IReadOnlyList<string> command, bool terminal, TerminalSize? size)
    {
        if (command.Count == 0) throw new SpecValidationException([new SpecError("command", "give the program to run")]);
        var plan = PlanBuilder.ForExec(sandbox.Plan, command, terminal, size ?? TerminalSize.Default);
        var argv = PlanBuilder.NsenterArgs(sandbox.Spec, sandbox.InitPid, InitPath);
        // init is a dynamically linked program: it must start in our mount namespace (where its
        // ELF interpreter is) and join the sandbox's itself, from this fd.
        using var mountNs = sandbox.Spec.Namespaces.Mount ? OpenNamespace(sandbox.InitPid, "mnt") : null;
        var started = Start(argv, plan, sandbox.Cgroup, sandbox.Spec.Rootfs!, sandbox.Spec.Namespaces.Pid, null, mountNs);
        return new SandboxSession(this, sandbox.Id, sandbox.Spec with { Command = command, Terminal = terminal }, plan, sandbox.Cgroup, started, sandbox);
    }

    /// <summary>What a started process left us: its pids (with pidfds, so a signal never hits a recycled pid), stdio, channel and story.</summary>
    internal sealed record Started(int Pid, SafeFileHandle PidFd, int InitPid, SafeFileHandle InitPidFd, Stdio Stdio, LaunchChannel Channel,
        LaunchStory Story, bool ReportsExit);

    static SafeFileHandle OpenNamespace(int pid, string kind)
    {
        var fd = Libc.open($"/proc/{pid}/ns/{kind}", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            throw new SandboxException("exec", $"open /proc/{pid}/ns/{kind}", Libc.Errno, "the sandbox's first process has ended");
        return new SafeFileHandle(fd, true);
    }

    Started Start(List<string> argv, LaunchPlan plan, SandboxCgroup cgroup, string rootfs, bool forks, SandboxSpec? mapIdsOf,
        SafeFileHandle? mountNs = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var steps = new StoryBuilder(clock);
        var stdio = Stdio.Create(plan.Terminal, plan.Columns, plan.Rows);
        var channel = new LaunchChannel();
        var pid = 0;
        SafeFileHandle? pidfd = null, initPidfd = null;
        try
        {
            steps.Add(new LaunchStep("spawn", true, 0, string.Join(' ', argv)));
            using (var spawned = new LaunchChannel())
            {
                pid = Spawner.Spawn(argv, [stdio.ChildIn, stdio.ChildOut, stdio.ChildErr, spawned.Theirs, stdio.ChildTerminal, mountNs],
                    ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]);
                pidfd = OpenPidfd(pid);
                stdio.CloseChildEnds();
                spawned.CloseTheirs();
                spawned.SendPlan(WireWriter.Encode(plan), channel);
            }
            var initPid = pid;
            string? execPath = null;
            while (true)
            {
                var msg = channel.Receive(Options.StepTimeoutMs, out var passedFd);
                if (msg is null)
                {
                    // End of stream: after Exec it means execve succeeded (our end is close-on-exec).
                    if (execPath is not null) { steps.Add(new LaunchStep("execve", true, 0, execPath)); break; }
                    throw EarlyExit(steps, stdio, argv[0]);
                }
                switch (msg.Type)
                {
                    case MessageType.Hello:
                        initPid = forks ? ChildOf(pid) : pid;
                        initPidfd = initPid == pid ? pidfd : OpenPidfd(initPid);
                        if (mapIdsOf is not null) WriteIdMaps(initPid, mapIdsOf, steps);
                        // Only init: each cgroup.procs write costs an RCU grace period on v1, and
                        // unshare's waiting parent ends with its child (--kill-child; we kill it too).
                        cgroup.AddProcess(initPid);
                        steps.Add(new LaunchStep("join cgroup", true, 0, cgroup.RelativePath));
                        channel.Send(new WireWriter(MessageType.Go).ToArray());
                        break;
                    case MessageType.Step:
                        var s = msg.Step();
                        steps.Add(new LaunchStep(s.Step, s.Ok, s.Errno, s.Ok ? s.Detail : $"{s.Syscall}: {s.Detail}"));
                        if (!s.Ok)
                            throw new SandboxException(s.Step, s.Syscall, s.Errno,
                                LaunchHints.For(s.Step, s.Syscall, s.Errno, s.Detail, rootfs, plan), steps.Story());
                        break;
                    case MessageType.Terminal:
                        stdio.UseSandboxTerminal(passedFd);
                        break;
                    case MessageType.Exec:
                        execPath = msg.Str();
                        break;
                    case MessageType.Started:
                        return new Started(pid, pidfd!, initPid, initPidfd ?? pidfd!, stdio, channel, steps.Story(), true);
                }
            }
            return new Started(pid, pidfd!, initPid, initPidfd ?? pidfd!, stdio, channel, steps.Story(), false);
        }
        catch
        {
            if (pid > 0) { cgroup.KillAll(TimeSpan.FromSeconds(5)); Libc.kill(pid, Libc.SIGKILL); Reap(pid); }
            if (initPidfd != pidfd) initPidfd?.Dispose();
            pidfd?.Dispose();
            stdio.Dispose();
            channel.Dispose();
            throw;
        }
    }

    static SandboxException EarlyExit(StoryBuilder steps, Stdio stdio, string helper)
    {
        // unshare/nsenter failed before init could speak: their message is on stderr.
        var text = stdio.DrainDiagnostics().Trim();
        var story = steps.Add(new LaunchStep("namespaces", false, 0, text)).Story();
        return new SandboxException("namespaces", Path.GetFileName(helper), 0,
            text.Length > 0 ? text : "the namespace helper exited before init started", story);
    }

    /// <summary>The steps so far, each stamped with the time it reached us.</summary>
    internal sealed class StoryBuilder(System.Diagnostics.Stopwatch clock)
    {
        readonly List<LaunchStep> _steps = [];
        public StoryBuilder Add(LaunchStep step) { _steps.Add(step with { AtMs = clock.Elapsed.TotalMilliseconds }); return this; }
        public LaunchStory Story() => new([.. _steps]);
    }

    static SafeFileHandle OpenPidfd(int pid)
    {
        var fd = Pidfd.Open(pid);
        if (fd < 0) throw new SandboxException("spawn", "pidfd_open", Libc.Errno, $"pid {pid}");
        Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);
        return new SafeFileHandle(fd, true);
    }

    static unsafe void Reap(int pid)
    {
        int status;
        while (Libc.waitpid(pid, &status, 0) < 0 && Libc.Errno == Errno.EINTR) { }
    }

    /// <summary>unshare --fork made init its only child.</summary>
    static int ChildOf(int pid)
    {
        var text = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Trim();
        return int.Parse(text.Split(' ')[0]);
    }

    static void WriteIdMaps(int pid, SandboxSpec spec, StoryBuilder steps)
    {
        // As root of the parent namespace we may map any range, in one write each (user_namespaces(7)):
        // no newuidmap round trip, which was most of the cost of `unshare --map-users`.
        static string Lines(IReadOnlyList<IdMapping> m) => string.Concat(m.Select(x => $"{x.Inside} {x.Outside} {x.Count}\n"));
        var uid = Lines(spec.EffectiveUidMap);
        var gid = Lines(spec.EffectiveGidMap);
        try
        {
            File.WriteAllText($"/proc/{pid}/uid_map", uid);
            File.WriteAllText($"/proc/{pid}/gid_map", gid);
        }
        catch (IOException e)
        {
            steps.Add(new LaunchStep("id maps", false, Errno.EPERM, e.Message));
            throw new SandboxException("id maps", "write uid_map", Errno.EPERM, e.Message, steps.Story());
        }
        steps.Add(new LaunchStep("id maps", true, 0, $"uid {uid.Trim()}, gid {gid.Trim()}".Replace('\n', ';')));
    }
}
