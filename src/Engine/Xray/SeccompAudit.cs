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
        if (DockerRefusal(spec) is { } refused) return $"docker-default ({refused.Reason}){Returned(refused.Action)}";
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
    public bool RefusedBy(SeccompSpec spec) =>
        spec.Rules.Any(r => r.Syscall == Syscall) || spec.DefaultAction is not null || DockerRefusal(spec) is not null;

    RefusedSyscall? DockerRefusal(SeccompSpec spec) =>
        spec.Preset == SeccompPresets.DockerDefault ? DockerDefaultProfile.Refused.FirstOrDefault(r => r.Syscall == Syscall) : null;

    /// <summary>
    /// Docker's profile answers clone3 with ENOSYS so glibc falls back to clone: every thread a
    /// glibc program starts asks once. Noise, not a refusal a person made.
    /// </summary>
    public bool IsGlibcProbe => Syscall == "clone3";
}

/// <summary>
/// The kernel's reports of seccomp actions (audit records of type 1326), read as a listener of
/// the audit subsystem's multicast group on one thread, kept for a while. Our filters inside labs
/// are loaded with SECCOMP_FILTER_FLAG_LOG, so every refusal there is reported. The kernel
/// log (/dev/kmsg) gets the same records when no audit daemon runs, but rate-limited to ten
/// lines in five seconds for the whole machine: a class's launches would crowd a refusal out.
/// The multicast group is not rate-limited (the audit backlog, 64 by default, still bounds a flood).
/// </summary>
public sealed partial class SeccompAudit : IDisposable
{
    const int NetlinkAudit = 9, ReadLogGroup = 1, AuditSeccomp = 1326;
    readonly ConcurrentQueue<SeccompEvent> _recent = new();
    readonly int _fd = -1;
    volatile bool _disposed;

    /// <summary>Why there is no feed (a kernel without audit, not root); null when it runs.</summary>
    public string? Unavailable { get; }

    public unsafe SeccompAudit()
    {
        _fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, NetlinkAudit);
        // struct sockaddr_nl { sa_family_t nl_family; unsigned short pad; u32 nl_pid; u32 nl_groups; }
        var address = stackalloc uint[3] { Libc.AF_NETLINK, 0, ReadLogGroup };
        if (_fd < 0 || Libc.bind(_fd, address, 12) < 0)
        {
            Unavailable = $"the kernel's audit records cannot be read ({Errno.Name(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}): no feed of refused system calls";
            if (_fd >= 0) Libc.close(_fd);
            return;
        }
        new Thread(Read) { IsBackground = true, Name = "seccomp audit" }.Start();
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

    [GeneratedRegex(@"\buid=(\d+) .*?\bpid=(\d+) comm=""((?:[^""\\]|\\.)*)"" .*?\bsyscall=(\d+) .*?\bcode=0x([0-9a-f]+)")]
    private static partial Regex Record();

    unsafe void Read()
    {
        var buffer = new byte[65536];
        while (!_disposed)
        {
            long n;
            fixed (byte* b = buffer) n = Libc.read(_fd, b, buffer.Length);
            if (n < 0)
            {
                if (_disposed) return;
                Thread.Sleep(100); // ENOBUFS: records were lost while we were slow; go on
                continue;
            }
            // struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; } then the record's text, each 4-aligned.
            for (var at = 0; at + 16 <= n;)
            {
                var length = BitConverter.ToInt32(buffer, at);
                if (length < 16 || at + length > n) break;
                if (BitConverter.ToUInt16(buffer, at + 4) == AuditSeccomp) Report(Encoding.UTF8.GetString(buffer, at + 16, length - 16));
                at += (length + 3) & ~3;
            }
        }
    }

    void Report(string record)
    {
        if (Record().Match(record) is not { Success: true } m) return;
        var pid = int.Parse(m.Groups[2].Value);
        var number = int.Parse(m.Groups[4].Value);
        var action = Convert.ToUInt32(m.Groups[5].Value, 16) & 0xffff0000; // SECCOMP_RET_ACTION_FULL
        string cgroups;
        try { cgroups = File.ReadAllText($"/proc/{pid}/cgroup"); }
        catch (IOException) { cgroups = ""; } // it has ended already
        var e = new SeccompEvent(DateTime.UtcNow, pid, uint.Parse(m.Groups[1].Value), m.Groups[3].Value, number,
            Syscalls.Name(number) ?? $"syscall {number}", action, cgroups);
        if (e.IsGlibcProbe) return;
        _recent.Enqueue(e);
        while (_recent.Count > 2000 || (_recent.TryPeek(out var old) && old.At < DateTime.UtcNow.AddMinutes(-10))) _recent.TryDequeue(out _);
    }

    public void Dispose()
    {
        _disposed = true;
        if (_fd >= 0) Libc.close(_fd);
    }
}
