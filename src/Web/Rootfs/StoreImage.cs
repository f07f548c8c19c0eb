using System.Diagnostics;
using Playground.Engine.Rootfs;

namespace Playground.Web.Rootfs;

/// <summary>
/// A person's root filesystem store: an ext4 filesystem in a sparse file of its own
/// (DataDirectory/people/ID/store.img, <c>StoreBytes</c> big), loop-mounted at
/// DataDirectory/people/ID/store. Its size is the person's disk budget: a student filling it
/// (from the UI, a sandbox or the lab's host shell, where it is /roots) fills only it, never the
/// server's disk. It outlives their lab (ending or resetting a lab keeps their roots).
/// Inside: rootfs/ (the roots, owned by the person's lab root, bind-mounted into the lab) and
/// .work/ (root's only, 0700, never in the lab: roots being built or deleted), on the same
/// filesystem so a finished root is renamed into place.
/// </summary>
public static class StoreImage
{
    /// <summary>Mounted (made the first time) with rootfs/ owned by <paramref name="owner"/> and an empty .work/.</summary>
    public static void Ensure(string image, string mountPoint, long bytes, uint owner)
    {
        if (!IsMountPoint(mountPoint))
        {
            if (!File.Exists(image))
            {
                var fresh = image + ".new";
                File.Delete(fresh);
                using (var f = new FileStream(fresh, FileMode.CreateNew)) f.SetLength(bytes); // sparse
                // No reserved blocks (the person may use it all), a small journal (the default is 64 MiB).
                Run("mkfs.ext4", "-q", "-F", "-m", "0", "-J", "size=8", "-E", "root_owner=0:0,nodiscard", fresh);
                File.Move(fresh, image);
            }
            Directory.CreateDirectory(mountPoint);
            Run("mount", "-o", "loop,nosuid,nodev", image, mountPoint);
        }
        var rootfs = Path.Combine(mountPoint, "rootfs");
        if (!Directory.Exists(rootfs))
        {
            Directory.CreateDirectory(rootfs);
            TreeOwner.Chown(rootfs, owner, owner);
        }
        File.SetUnixFileMode(rootfs, (UnixFileMode)0x1ed);
        var work = Path.Combine(mountPoint, ".work");
        if (Directory.Exists(work)) Run("rm", "-rf", "--one-file-system", "--", work); // what a crash left half made
        Directory.CreateDirectory(work);
        File.SetUnixFileMode(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Unmounts the store (its loop device goes with it). False if it was not mounted.</summary>
    public static bool Unmount(string mountPoint)
    {
        if (!IsMountPoint(mountPoint)) return false;
        Run("umount", mountPoint);
        return true;
    }

    /// <summary>(used, size) in bytes.</summary>
    public static (long Used, long Size) Space(string mountPoint) => Playground.Engine.Labs.LabManager.Space(mountPoint);

    /// <summary>Whether a filesystem is mounted exactly at <paramref name="path"/> in this mount namespace (/proc/self/mountinfo).</summary>
    public static bool IsMountPoint(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) == full) return true;
        }
        return false;
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \ooo.</summary>
    static string Unescape(string s) =>
        s.Contains('\\') ? System.Text.RegularExpressions.Regex.Replace(s, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString()) : s;

    internal static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new IOException($"{file} {string.Join(' ', args)}: {err.Result.Trim()}");
    }
}
