using System.Diagnostics;

namespace Playground.Engine.Rootfs;

/// <summary>
/// A full distribution root: Debian's minimal base (debootstrap --variant=minbase), built once
/// per suite into a cache and copied from there (cp -a) for each new root, since a build
/// downloads and unpacks a hundred packages. Needs debootstrap and a reachable Debian mirror.
/// </summary>
public static class DebianRootfs
{
    public const string DefaultSuite = "bookworm";
    public const string DefaultMirror = "http://deb.debian.org/debian";
    const string Complete = ".playground-complete";

    /// <summary>Why a Debian root cannot be made here, or null.</summary>
    public static string? Unavailable(string debootstrap = "/usr/sbin/debootstrap") =>
        File.Exists(debootstrap) ? null
        : $"debootstrap is not installed here ({debootstrap}): apt-get install debootstrap; it also needs a reachable Debian mirror";

    /// <summary>
    /// Makes <paramref name="dir"/> (which must not exist or be empty) a copy of the cached
    /// minbase root of <paramref name="suite"/>, building the cache first when it is missing.
    /// </summary>
    public static void Create(string dir, string cacheDir, string suite = DefaultSuite, string mirror = DefaultMirror,
        Action<string>? progress = null, string debootstrap = "/usr/sbin/debootstrap")
    {
        if (Unavailable(debootstrap) is { } why) throw new InvalidOperationException(why);
        if (!System.Text.RegularExpressions.Regex.IsMatch(suite, "^[a-z]{2,20}$"))
            throw new ArgumentException($"suite: '{suite}' is not accepted; give a Debian suite name like bookworm or trixie");
        if (!Uri.TryCreate(mirror, UriKind.Absolute, out var m) || m.Scheme is not ("http" or "https"))
            throw new ArgumentException($"mirror: '{mirror}' is not accepted; give an http(s) URL like {DefaultMirror}");
        var cached = Path.Combine(cacheDir, $"debian-{suite}-minbase");
        if (!File.Exists(Path.Combine(cached, Complete)))
        {
            var building = cached + ".building";
            if (Directory.Exists(building)) Directory.Delete(building, recursive: true);
            Directory.CreateDirectory(cacheDir);
            progress?.Invoke($"debootstrap --variant=minbase {suite} from {mirror} (once; later roots are copies)");
            var (code, log) = Run(progress, debootstrap, "--variant=minbase", suite, building, mirror);
            if (code != 0)
            {
                try { Directory.Delete(building, recursive: true); } catch (IOException) { }
                throw new InvalidOperationException($"debootstrap failed (exit {code}); is {mirror} reachable? The end of its log:\n{log}");
            }
            File.WriteAllText(Path.Combine(building, Complete), $"{suite} {mirror} {DateTime.UtcNow:O}\n");
            if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
            Directory.Move(building, cached);
        }
        progress?.Invoke($"copying the cached {suite} root");
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new ArgumentException($"dir: {dir} is not empty");
        if (Directory.Exists(dir)) Directory.Delete(dir);
        var (cp, cpLog) = Run(null, "cp", "-a", "--reflink=auto", "--", cached, dir);
        if (cp != 0) throw new IOException($"cp -a {cached} {dir}: {cpLog}");
        File.Delete(Path.Combine(dir, Complete));
    }

    static (int Code, string Tail) Run(Action<string>? progress, string file, params string[] args)
    {
        var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var tail = new Queue<string>();
        void Line(string? l)
        {
            if (l is null) return;
            lock (tail) { tail.Enqueue(l); if (tail.Count > 20) tail.Dequeue(); }
            if (l.StartsWith("I: ", StringComparison.Ordinal)) progress?.Invoke(l[3..]);
        }
        p.OutputDataReceived += (_, e) => Line(e.Data);
        p.ErrorDataReceived += (_, e) => Line(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        p.WaitForExit();
        lock (tail) return (p.ExitCode, string.Join('\n', tail));
    }
}
