using System.ComponentModel;
using System.Diagnostics;

namespace Playground.Engine.Rootfs;

/// <param name="OutputPath">Where the program is inside the rootfs, e.g. "/hello".</param>
/// <param name="Diagnostics">What gcc wrote on stderr (warnings too when it succeeded).</param>
public sealed record CompileResult(bool Ok, string OutputPath, string Diagnostics);

/// <summary>
/// The workshop's first step, <c>gcc -o rootfs/foo foo.c</c>: the host's gcc builds the program,
/// and the program lands in the rootfs. Linked dynamically it needs the host's interpreter and
/// libc there too (<see cref="RootfsDoctor"/>); with <c>-static</c> it needs nothing.
/// </summary>
public static class RootfsCompiler
{
    const UnixFileMode Rwx755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <exception cref="DirectoryNotFoundException">the rootfs does not exist</exception>
    /// <exception cref="FileNotFoundException">the source does not exist</exception>
    /// <exception cref="ArgumentException">the output is not an absolute path to a file</exception>
    public static CompileResult Compile(string rootfs, string sourcePath, bool isStatic, string output = "/hello")
    {
        var view = new RootView(rootfs);
        if (!Directory.Exists(view.Root)) throw new DirectoryNotFoundException($"rootfs: {rootfs} is not a directory");
        if (!File.Exists(sourcePath)) throw new FileNotFoundException($"source: {sourcePath} does not exist", sourcePath);
        if (!output.StartsWith('/') || output.EndsWith('/'))
            throw new ArgumentException($"output: {output} must be an absolute path to a file inside the rootfs, e.g. /hello", nameof(output));

        output = RootView.Normalize(output);
        // Follow the rootfs's own symlinks inside it (e.g. /bin -> usr/bin), never out of it.
        var host = view.Resolve(output) ?? throw new IOException($"output: {output} goes through a symlink loop in the rootfs");
        Directory.CreateDirectory(Path.GetDirectoryName(host)!);
        // gcc writes a temporary name that is renamed over the old program: one still running keeps its copy (no ETXTBSY).
        var tmp = $"{host}.playground-{Environment.ProcessId}.tmp";

        var psi = new ProcessStartInfo("gcc") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (isStatic) psi.ArgumentList.Add("-static");
        foreach (var a in new[] { "-o", tmp, Path.GetFullPath(sourcePath) }) psi.ArgumentList.Add(a);
        string diagnostics;
        int exit;
        try
        {
            using var gcc = Process.Start(psi)!;
            var stdout = gcc.StandardOutput.ReadToEndAsync();
            diagnostics = gcc.StandardError.ReadToEnd();
            stdout.Wait();
            gcc.WaitForExit();
            exit = gcc.ExitCode;
        }
        catch (Win32Exception e)
        {
            return new CompileResult(false, output, $"gcc could not be started ({e.Message}); install it (Debian: apt-get install gcc libc6-dev)");
        }

        if (exit != 0 || !File.Exists(tmp))
        {
            File.Delete(tmp);
            return new CompileResult(false, output, diagnostics.Length > 0 ? diagnostics : $"gcc exited with status {exit}");
        }
        // The sandbox's root is an unprivileged uid on the host: others must be able to run it.
        File.SetUnixFileMode(tmp, Rwx755);
        File.Move(tmp, host, overwrite: true);
        return new CompileResult(true, output, diagnostics);
    }
}
