using System.Diagnostics;
using System.Text;
using Playground.Engine.Cgroups;

namespace Playground.Tests.Cgroups;

/// <summary>Cgroup tests run one at a time: they start real processes with real limits, and a
/// timing-sensitive kill test should not share the CPU with a memory hog.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CgroupCollection
{
    public const string Name = "cgroups";
}

internal static class CgroupTestSupport
{
    public static string UniqueId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(64, prefix.Length + 13)];

    /// <summary>What the host offers, judged by the kernel's own marker of a v2 root
    /// (cgroup.controllers exists only in cgroup2), independently of the code under test.</summary>
    public static CgroupVersion ExpectedVersion() =>
        File.Exists("/sys/fs/cgroup/cgroup.controllers") ? CgroupVersion.V2 : CgroupVersion.V1;

    /// <summary>
    /// Starts <c>sh -c 'read x; SCRIPT'</c>: the shell waits on stdin so the test can move it into
    /// a cgroup before the script forks or allocates anything. <see cref="Release"/> lets it go.
    /// </summary>
    public static Process StartGated(string script, StringBuilder? output = null)
    {
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("read x; " + script);
        var p = Process.Start(psi)!;
        output ??= new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    public static void Release(Process p)
    {
        p.StandardInput.WriteLine();
        p.StandardInput.Flush();
    }

    /// <summary>The cgroup a pid is in for one v1 controller (or the v2 line "0::"), from /proc/PID/cgroup.</summary>
    public static string CgroupOf(int pid, string controller)
    {
        foreach (var line in File.ReadAllLines($"/proc/{pid}/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts[1] == controller || (controller == "" && parts[0] == "0")) return parts[2];
            if (parts[1].Split(',').Contains(controller)) return parts[2];
        }
        return "";
    }

    public static void KillQuietly(Process p)
    {
        try { if (!p.HasExited) p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        p.Dispose();
    }
}
