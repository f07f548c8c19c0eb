using Microsoft.Win32.SafeHandles;
using Playground.Engine.Cgroups;
using Playground.Engine.Interop;
using Playground.Engine.Launch.Protocol;
using Playground.Engine.Spec;
using static Playground.Engine.Launch.SandboxEngine;

namespace Playground.Engine.Launch;

/// <summary>
/// An init that said hello: its namespaces exist (made by unshare or joined by nsenter), its
/// ids are mapped, it is in its cgroup, and it waits for a plan. Either a launch sends it one
/// at once, or it waits in the engine's <see cref="InitPool"/> for a launch to come.
/// </summary>
internal sealed class ReadyInit
{
    public required int Pid { get; init; }
    public required SafeFileHandle PidFd { get; init; }
    public required int InitPid { get; init; }
    public required SafeFileHandle InitPidFd { get; init; }
    public required Stdio Stdio { get; init; }
    /// <summary>The channel init was spawned with: it said hello here; the plan goes here.</summary>
    public required LaunchChannel Spawned { get; init; }
    public required SandboxCgroup Cgroup { get; init; }
    /// <summary>The cgroup was made for this init (and goes with it), not joined.</summary>
    public required bool OwnsCgroup { get; init; }
    /// <summary>Spawn, id maps and cgroup, stamped from <see cref="StartedAt"/>.</summary>
    public required LaunchStory Story { get; init; }
    /// <summary>When its story's clock started (the spawn), which its steps' times count from.</summary>
    public DateTime StartedAt { get; init; } = DateTime.UtcNow;
    /// <summary>The mount table's generation when unshare copied it (see <see cref="InitPool"/>).</summary>
    public long MountGeneration { get; init; }
    bool _handed;

    /// <summary>posix_spawn <paramref name="argv"/> (unshare or nsenter, then init), wait for init's hello,
    /// map its ids, put it in <paramref name="cgroup"/> (or a new one). Nothing is left behind on failure.</summary>
    /// <param name="extraFds">fds 5 and on (<see cref="InheritedFds"/>), for an exec.</param>
    public static ReadyInit Start(SandboxEngine engine, List<string> argv, IReadOnlyList<SafeFileHandle?> extraFds, bool terminal,
        SandboxCgroup? cgroup, SandboxSpec? mapIdsOf, bool forks, StoryBuilder steps, long mountGeneration = 0,
        IReadOnlyList<string>? mapWriter = null, int forkDepth = 1)
    {
        var ownsCgroup = cgroup is null;
        cgroup ??= engine.Cgroups.Create(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)), new ResourceLimits());
        var stdio = Stdio.Create(terminal, TerminalSize.Default.Columns, TerminalSize.Default.Rows);
        var spawned = new LaunchChannel();
        var pid = 0;
        SafeFileHandle? pidfd = null, initPidfd = null;
        try
        {
            steps.Add(new LaunchStep("spawn", true, 0, string.Join(' ', argv)));
            pid = Spawner.Spawn(argv, [stdio.ChildIn, stdio.ChildOut, stdio.ChildErr, spawned.Theirs, stdio.ChildTerminal, .. extraFds],
                ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]);
            pidfd = OpenPidfd(pid);
            stdio.CloseChildEnds();
            spawned.CloseTheirs();
            var hello = spawned.Receive(engine.Options.StepTimeoutMs, out _);
            if (hello is null) throw EarlyExit(steps, stdio, Path.GetFileName(argv[0]));
            if (hello.Type != MessageType.Hello)
                throw new SandboxException("launch", "read", 71 /*EPROTO*/, $"init said {hello.Type} before hello", steps.Story());
            var initPid = pid;
            if (forks) for (var i = 0; i < forkDepth; i++) initPid = ChildOf(initPid);
            initPidfd = initPid == pid ? pidfd : OpenPidfd(initPid);
            if (mapIdsOf is not null) WriteIdMaps(initPid, mapIdsOf, steps, mapWriter);
            // Only init: unshare's waiting parent ends with its child (--kill-child; we kill it too).
            cgroup.AddProcess(initPid);
            steps.Add(new LaunchStep("join cgroup", true, 0, cgroup.RelativePath));
            return new ReadyInit
            {
                Pid = pid, PidFd = pidfd, InitPid = initPid, InitPidFd = initPidfd, Stdio = stdio, Spawned = spawned,
                Cgroup = cgroup, OwnsCgroup = ownsCgroup, Story = steps.Story(), MountGeneration = mountGeneration, StartedAt = steps.StartedAt,
            };
        }
        catch
        {
            // Our own cgroup's Delete kills all in it; in a joined one only what we started.
            if (!ownsCgroup) KillQuietly(initPidfd);
            if (pid > 0) { Libc.kill(pid, Libc.SIGKILL); Reap(pid); }
            if (initPidfd != pidfd) initPidfd?.Dispose();
            pidfd?.Dispose();
            stdio.Dispose();
            spawned.Dispose();
            if (ownsCgroup) cgroup.Delete();
            throw;
        }
    }

    /// <summary>The launch succeeded: the session takes the processes, stdio and the channel.</summary>
    public Started Hand(LaunchChannel channel, LaunchStory story, bool reportsExit)
    {
        _handed = true;
        Spawned.Dispose();
        return new Started(this, channel, story, reportsExit);
    }

    /// <summary>
    /// SIGKILL through pidfds (a reaped pid may name another process). The spawned process
    /// first: a session's status is its own, so it must die of this signal, not exit reporting
    /// its child's (nsenter would exit 137 if init died first).
    /// </summary>
    public void Kill()
    {
        KillQuietly(PidFd);
        if (InitPidFd != PidFd) KillQuietly(InitPidFd);
    }

    public void CloseHandles()
    {
        if (InitPidFd != PidFd) InitPidFd.Dispose();
        PidFd.Dispose();
    }

    /// <summary>Still waiting for a plan (not exited, not handed over)?</summary>
    public unsafe bool Alive
    {
        get
        {
            if (_handed) return false;
            // A pidfd polls readable once its process has exited.
            var pfd = new Libc.PollFd { Fd = (int)PidFd.DangerousGetHandle(), Events = Libc.POLLIN };
            return Libc.poll(&pfd, 1, 0) == 0;
        }
    }

    /// <summary>Kills and reaps what was started; removes the cgroup if it was made for us.</summary>
    public void Dispose(bool deleteCgroup)
    {
        if (_handed) return;
        _handed = true;
        if (OwnsCgroup && deleteCgroup) Cgroup.KillAll(TimeSpan.FromSeconds(5));
        Kill();
        Reap(Pid);
        CloseHandles();
        Stdio.Dispose();
        Spawned.Dispose();
        if (OwnsCgroup && deleteCgroup) Cgroup.Delete();
    }

    static void KillQuietly(SafeFileHandle? pidfd)
    {
        if (pidfd is { IsClosed: false }) Pidfd.SendSignal((int)pidfd.DangerousGetHandle(), Libc.SIGKILL);
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

    /// <summary>unshare --fork and nsenter --pid made init their only child.</summary>
    static int ChildOf(int pid)
    {
        var text = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Trim();
        return int.Parse(text.Split(' ')[0]);
    }

    static void WriteIdMaps(int pid, SandboxSpec spec, StoryBuilder steps, IReadOnlyList<string>? writer)
    {
        // As root of the parent namespace we may map any range, in one write each (user_namespaces(7)):
        // no newuidmap round trip, which was most of the cost of `unshare --map-users`.
        static string Lines(IReadOnlyList<IdMapping> m) => string.Concat(m.Select(x => $"{x.Inside} {x.Outside} {x.Count}\n"));
        var uid = Lines(spec.EffectiveUidMap);
        var gid = Lines(spec.EffectiveGidMap);
        try
        {
            if (writer is not null) WriteFromParent(writer, pid, uid, gid);
            else
            {
                File.WriteAllText($"/proc/{pid}/uid_map", uid);
                File.WriteAllText($"/proc/{pid}/gid_map", gid);
            }
        }
        catch (IOException e)
        {
            steps.Add(new LaunchStep("id maps", false, Errno.EPERM, e.Message));
            throw new SandboxException("id maps", "write uid_map", Errno.EPERM, e.Message, steps.Story());
        }
        steps.Add(new LaunchStep("id maps", true, 0, $"uid {uid.Trim()}, gid {gid.Trim()}".Replace('\n', ';')));
    }

    /// <summary>
    /// A nested user namespace's maps can only be written from its parent namespace (not from
    /// an ancestor): <paramref name="writer"/> (e.g. a lab's <c>reaper map LABPID</c>) joins it
    /// and writes them there, in the parent's ids; it is given PID, UIDMAP and GIDMAP.
    /// </summary>
    static void WriteFromParent(IReadOnlyList<string> writer, int pid, string uid, string gid)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(writer[0]) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in writer.Skip(1).Concat([pid.ToString(), uid, gid])) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new IOException($"writing the id maps from the lab's user namespace: {err.Trim()}");
    }
}
