using System.Diagnostics;

namespace Playground.Engine.Rootfs;

/// <summary>
/// The smallest useful root: one statically linked busybox and a link per applet, the
/// directories a Linux program expects, and just enough of /etc for <c>id</c> and <c>ls -l</c>
/// to print names. A static binary is the point: with no ELF interpreter and no shared
/// libraries, nothing from the host has to follow it into the root.
/// </summary>
public static class BusyboxRootfs
{
    // Mount points and conventional places; modes as on a Debian install.
    static readonly (string Path, UnixFileMode Mode)[] Directories =
    [
        ("bin", Rwx755), ("dev", Rwx755), ("proc", Rx555), ("sys", Rx555), ("etc", Rwx755),
        ("root", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute),
        ("usr", Rwx755), ("usr/bin", Rwx755), ("usr/sbin", Rwx755), ("sbin", Rwx755),
        ("var", Rwx755), ("run", Rwx755), ("home", Rwx755),
        // Sticky and world-writable, as tmp(7)-using programs assume (mktemp, sockets).
        ("tmp", Rwx777 | UnixFileMode.StickyBit),
    ];

    const UnixFileMode Rx555 = UnixFileMode.UserRead | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    const UnixFileMode Rwx755 = Rx555 | UnixFileMode.UserWrite;
    const UnixFileMode Rwx777 = Rwx755 | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>Builds (or brings up to date) a busybox root in <paramref name="dir"/>. Safe to call again.</summary>
    public static void Create(string dir, string busybox = "/bin/busybox")
    {
        if (!File.Exists(busybox))
            throw new FileNotFoundException($"busybox: {busybox} does not exist; install Debian's busybox-static or pass its path", busybox);
        var elf = ElfFile.TryRead(busybox) ?? throw new InvalidOperationException($"busybox: {busybox} is not an ELF binary");
        if (elf.Interpreter is { } interp)
            throw new InvalidOperationException(
                $"busybox: {busybox} is dynamically linked (its ELF interpreter is {interp}), so it would not run " +
                "inside a root without that loader and its libraries; use a static build (Debian: busybox-static)");

        dir = Path.GetFullPath(dir);
        CreateDirectories(dir);

        CopyBinary(busybox, Path.Combine(dir, "bin", "busybox"));
        foreach (var applet in Applets(busybox))
        {
            var link = Path.Combine(dir, "bin", applet);
            // Relative target: the link must resolve inside the new root, not on the host.
            if (File.Exists(link) || Directory.Exists(link) || new FileInfo(link).LinkTarget is not null) continue;
            File.CreateSymbolicLink(link, "busybox");
        }

        WriteIfChanged(Path.Combine(dir, "etc", "passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        WriteIfChanged(Path.Combine(dir, "etc", "group"), "root:x:0:\nnobody:x:65534:\n");
        WriteIfChanged(Path.Combine(dir, "etc", "hostname"), "playground\n");
    }

    /// <summary>The directories a Linux program expects (bin, dev, etc, proc, sys, tmp, usr…), with Debian's modes.</summary>
    public static void CreateDirectories(string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var (path, mode) in Directories)
        {
            var full = Path.Combine(dir, path);
            Directory.CreateDirectory(full);
            File.SetUnixFileMode(full, mode); // CreateDirectory applies the umask; set the mode we mean.
        }
    }

    /// <summary>The applet names busybox was built with, except "busybox" itself (the real file).</summary>
    static List<string> Applets(string busybox)
    {
        var psi = new ProcessStartInfo(busybox, "--list") { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"busybox: could not start {busybox} --list");
        var names = p.StandardOutput.ReadToEnd()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(n => n != "busybox" && !n.Contains('/'))
            .ToList();
        p.WaitForExit();
        if (p.ExitCode != 0 || names.Count == 0)
            throw new InvalidOperationException($"busybox: '{busybox} --list' failed (exit {p.ExitCode}); is it really busybox?");
        return names;
    }

    /// <summary>
    /// Copies through a temporary name and a rename, so a sandbox still running the old
    /// binary does not make the copy fail with ETXTBSY, and a crash never leaves half a file.
    /// </summary>
    static void CopyBinary(string from, string to)
    {
        if (File.Exists(to) && new FileInfo(to).Length == new FileInfo(from).Length &&
            File.ReadAllBytes(to).AsSpan().SequenceEqual(File.ReadAllBytes(from)))
            return;
        var tmp = to + ".tmp";
        File.Copy(from, tmp, overwrite: true);
        File.SetUnixFileMode(tmp, Rwx755);
        File.Move(tmp, to, overwrite: true);
    }

    static void WriteIfChanged(string path, string text)
    {
        if (File.Exists(path) && File.ReadAllText(path) == text) return;
        File.WriteAllText(path, text);
    }
}
