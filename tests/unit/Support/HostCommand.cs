using System.Diagnostics;

namespace Playground.Tests.Support;

/// <summary>A host command run to its end, as a test's oracle or set-up (tar, stat, chown…).</summary>
public static class HostCommand
{
    /// <summary>Its standard output; throws with its standard error when it fails.</summary>
    public static string Output(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} (exit {p.ExitCode}): {error.Result}");
        return output;
    }

    public static void Run(string file, params string[] args) => Output(file, args);
}
