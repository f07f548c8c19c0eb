using System.Diagnostics;

namespace Playground.Tests.Rootfs.Elf;

/// <summary>The host's own tools (ldd, file, size, gcc, chroot), run as a person would: the oracles of these tests.</summary>
internal static class HostTools
{
    public sealed record Result(int Exit, string Out, string Err);

    public static Result Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60))) { p.Kill(entireProcessTree: true); throw new TimeoutException($"{program} did not end"); }
        return new Result(p.ExitCode, output, err.Result);
    }

    /// <summary>Runs and asserts success.</summary>
    public static string Ok(string program, params string[] args)
    {
        var r = Run(program, args);
        Assert.True(r.Exit == 0, $"{program} {string.Join(' ', args)}: exit {r.Exit}\n{r.Err}");
        return r.Out;
    }

    /// <summary>
    /// What ldd prints, parsed only here as the oracle: the path of each object (as ldd prints it,
    /// symlinks not followed), or "not found:NAME"; the vDSO, which is no file, left out.
    /// </summary>
    public static SortedSet<string> Ldd(string program)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var raw in Ok("ldd", program).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var line = raw.Trim();
            if (line.StartsWith("linux-vdso.so") || line.StartsWith("statically linked")) continue;
            var arrow = line.IndexOf(" => ", StringComparison.Ordinal);
            if (arrow < 0) { set.Add(line.Split(' ')[0]); continue; } // "/lib64/ld-linux-x86-64.so.2 (0x…)"
            var target = line[(arrow + 4)..];
            set.Add(target.StartsWith("not found") ? "not found:" + line[..arrow] : target.Split(' ')[0]);
        }
        return set;
    }

    /// <summary>A fresh directory the sandbox's uid (100000 on the host) can reach.</summary>
    public static string TempDir(string prefix)
    {
        var dir = Directory.CreateTempSubdirectory(prefix).FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ed);
        return dir;
    }

    public const string HelloC = "#include <stdio.h>\nint main(){printf(\"Hello, World!\\n\");}\n";
}
