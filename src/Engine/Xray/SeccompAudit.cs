using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Playground.Engine.Interop;
using Playground.Engine.Launch;
using Playground.Engine.Seccomp;
using Playground.Engine.Spec;

namespace Playground.Engine.Xray;

/// <summary>
/// A system call a seccomp filter refused (or logged), as the kernel reported it: when, which
/// process (host pid and uid), the call and the filter's action (the kernel's record carries
/// the action, not its errno), and the process's cgroups read at once (it may end a moment later).
/// </summary>
public sealed record SeccompEvent(DateTime At, int HostPid, uint Uid, string Command, int Number, string Syscall, uint Action, string Cgroups)
{
    /// <summary>
    /// The rule of <paramref name="spec"/> that matched, in words, with what the call returned:
    /// "rule 'mkdir → errno 1' (EPERM)", "docker-default: … (EPERM)", "the default action".
    /// </summary>
    public string RuleIn(SeccompSpec spec)
    {
        if (spec.Rules.LastOrDefault(r => r.Syscall == Syscall) is { } rule) return $"rule '{Syscall} → {rule.Action}'{Returned(rule.Action)}";
        if (spec.Preset == SeccompPresets.DockerDefault && DockerDefaultProfile.Refused.FirstOrDefault(r => r.Syscall == Syscall) is { } refused)
            return $"docker-default ({refused.Reason}){Returned(refused.Action)}";
        return spec.DefaultAction is { } d ? $"the default action ({d}){Returned(d)}" : "the default action";
    }

    static string Returned(SeccompAction a) => a.Kind switch
    {
        SeccompActionKind.Errno => $" ({Interop.Errno.Name(a.Errno)})",
        SeccompActionKind.Kill => " (killed by SIGSYS)",
        SeccompActionKind.Trap => " (SIGSYS)",
        _ => "",
    };

    /// <summary>Whether <paramref name="spec"/>'s own filter would refuse this call (its own rule or its preset's).</summary>
    public bool RefusedBy(SeccompSpec spec) => !RuleIn(spec).StartsWith("the default action", StringComparison.Ordinal) || spec.DefaultAction is not null;

    /// <summary>
    /// Docker's profile answers clone3 with ENOSYS so glibc falls back to clone: every thread a
    /// glibc program starts asks once. Noise, not a refusal a person made.
    /// </summary>
    public bool IsGlibcProbe => Syscall == "clone3";
}

/// <summary>
/// The kernel's reports of seccomp actions (audit records of type 1326, written to the kernel
/// log when no audit daemon takes them): read from /dev/kmsg by one thread, kept for a while,
/// given to whoever listens. Our filters are loaded with SECCOMP_FILTER_FLAG_LOG, so every
/// refusal is reported. The kernel rate-limits the log, so a flood of refusals is not all seen.
/// </summary>
public sealed partial class SeccompAudit : IDisposable
{
    readonly ConcurrentQueue<SeccompEvent> _recent = new();
    readonly Thread? _reader;
    readonly int _fd = -1;
    volatile bool _disposed;

    /// <summary>Why there is no feed (no /dev/kmsg, not root); null when it runs.</summary>
    public string? Unavailable { get; }

    public event Action<SeccompEvent>? Reported;

    public SeccompAudit()
    {
        _fd = Libc.open("/dev/kmsg", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (_fd < 0)
        {
            Unavailable = $"/dev/kmsg cannot be read ({Errno.Name(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}): no feed of refused system calls";
            return;
        }
        Libc.lseek(_fd, 0, 2 /*SEEK_END: only what happens from now*/);
        _reader = new Thread(Read) { IsBackground = true, Name = "seccomp audit" };
        _reader.Start();
    }

    /// <summary>Events of the last minutes that <paramref name="match"/> accepts, oldest first.</summary>
    public IReadOnlyList<SeccompEvent> Recent(Func<SeccompEvent, bool> match) => _recent.Where(match).ToList();

    /// <summary>
    /// A sandbox's refusals since it started: those of its processes (their cgroup, read when the
    /// kernel reported them), and those of processes that had ended by then, when their host uid
    /// is in <paramref name="uids"/> (the sandbox's ids on the host) and its filter refuses that call.
    /// </summary>
    public IReadOnlyList<SeccompEvent> Of(SandboxSession sandbox, DateTime since, (long First, long Count) uids) =>
        Recent(e => e.At >= since && (e.Cgroups.Contains(sandbox.CgroupId, StringComparison.Ordinal) ||
            e.Cgroups.Length == 0 && e.Uid >= uids.First && e.Uid < uids.First + uids.Count && e.RefusedBy(sandbox.Spec.Seccomp)));

    [GeneratedRegex(@"audit: type=1326 .*?\buid=(\d+) .*?\bpid=(\d+) comm=""((?:[^""\\]|\\.)*)"" .*?\bsyscall=(\d+) .*?\bcode=0x([0-9a-f]+)")]
    private static partial Regex Record();

    unsafe void Read()
    {
        var buffer = new byte[8192];
        while (!_disposed)
        {
            long n;
            fixed (byte* b = buffer) n = Libc.read(_fd, b, buffer.Length); // one record per read
            if (n < 0)
            {
                if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errno.EPIPE) continue; // overwritten while we slept: go on
                if (_disposed) return;
                Thread.Sleep(100);
                continue;
            }
            var line = Encoding.UTF8.GetString(buffer, 0, (int)n);
            if (!line.Contains("type=1326", StringComparison.Ordinal) || Record().Match(line) is not { Success: true } m) continue;
            var pid = int.Parse(m.Groups[2].Value);
            var number = int.Parse(m.Groups[4].Value);
            var action = Convert.ToUInt32(m.Groups[5].Value, 16) & 0xffff0000; // SECCOMP_RET_ACTION_FULL
            string cgroups;
            try { cgroups = File.ReadAllText($"/proc/{pid}/cgroup"); }
            catch (IOException) { cgroups = ""; } // it has ended already
            var e = new SeccompEvent(DateTime.UtcNow, pid, uint.Parse(m.Groups[1].Value), m.Groups[3].Value, number,
                Syscalls.Name(number) ?? $"syscall {number}", action, cgroups);
            if (e.IsGlibcProbe) continue;
            _recent.Enqueue(e);
            while (_recent.Count > 2000 || (_recent.TryPeek(out var old) && old.At < DateTime.UtcNow.AddMinutes(-10))) _recent.TryDequeue(out _);
            Reported?.Invoke(e);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        if (_fd >= 0) Libc.close(_fd); // the reader's read returns EBADF and it ends
    }
}
