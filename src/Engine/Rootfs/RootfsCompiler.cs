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

    /// <param name="runAs">Run gcc as this uid and gid (setpriv) rather than as the caller: the source is someone else's
    /// (<c>#include "/etc/shadow"</c> must fail as it would for them). The source must be readable by them.</param>
    /// <exception cref="DirectoryNotFoundException">the rootfs does not exist</exception>
    /// <exception cref="FileNotFoundException">the source does not exist</exception>
    /// <exception cref="ArgumentException">the output is not an absolute path to a file</exception>
    public static CompileResult Compile(string rootfs, string sourcePath, bool isStatic, string output = "/hello", (uint Uid, uint Gid)? runAs = null)
    {
        if (!Directory.Exists(rootfs)) throw new DirectoryNotFoundException($"rootfs: {rootfs} is not a directory");
        if (!File.Exists(sourcePath)) throw new FileNotFoundException($"source: {sourcePath} does not exist", sourcePath);
        if (!output.StartsWith('/') || output.EndsWith('/') || output.Split('/').Any(p => p is "." or ".."))
            throw new ArgumentException($"output: {output} must be an absolute path to a file inside the rootfs, e.g. /hello", nameof(output));
        output = RootView.Normalize(output);

        // gcc writes into a directory of its own, outside the rootfs; the program is then copied in
        // through the kernel's chroot-style resolution (RootWriter), so no link in the rootfs can
        // lead the write out of it.
        var work = Directory.CreateTempSubdirectory("playground-gcc-").FullName;
        try
        {
            var built = Path.Combine(work, "program");
            if (runAs is { } id) Chown(work, id);
            var psi = new ProcessStartInfo(runAs is null ? "gcc" : "setpriv") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            if (runAs is { } who)
                foreach (var a in new[] { $"--reuid={who.Uid}", $"--regid={who.Gid}", "--clear-groups", "--no-new-privs", "--", "gcc" }) psi.ArgumentList.Add(a);
            if (isStatic) psi.ArgumentList.Add("-static");
            foreach (var a in new[] { "-o", built, Path.GetFullPath(sourcePath) }) psi.ArgumentList.Add(a);
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
            if (exit != 0 || !File.Exists(built))
                return new CompileResult(false, output, diagnostics.Length > 0 ? diagnostics : $"gcc exited with status {exit}");

            // The sandbox's root is an unprivileged uid on the host: others must be able to run it.
            File.SetUnixFileMode(built, Rwx755);
            using var writer = new RootWriter(rootfs, runAs); // theirs, when compiled for them
            writer.MakeDirectories(output[..output.LastIndexOf('/')]);
            writer.CopyFile(built, output);
            return new CompileResult(true, output, diagnostics);
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    static void Chown(string path, (uint Uid, uint Gid) id)
    {
        if (Interop.FileAt.fchownat(-100 /* AT_FDCWD */, path, (int)id.Uid, (int)id.Gid, 0) < 0)
            throw new IOException($"{path}: chown failed: {Interop.Errno.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
    }
}
