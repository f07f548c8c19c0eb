using Playground.Engine.Interop;

namespace Playground.Engine.Cgroups;

/// <summary>
/// Reads and writes of cgroupfs files and directories. Every failure becomes a
/// <see cref="CgroupException"/> naming the path and errno, because the kernel's answer
/// (EINVAL on a limit, EBUSY on rmdir) is the only explanation a person gets.
/// </summary>
internal static class CgroupFs
{
    public static void Write(string path, string value)
    {
        try { File.WriteAllText(path, value); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CgroupException($"write {value} to", path, ErrnoOf(e), e);
        }
    }

    public static string Read(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CgroupException("read", path, ErrnoOf(e), e);
        }
    }

    public static long ReadLong(string path) => long.Parse(Read(path).Trim());

    /// <summary>"max" (v2) means no limit.</summary>
    public static long? ReadLimit(string path)
    {
        var s = Read(path).Trim();
        return s == "max" ? null : long.Parse(s);
    }

    /// <summary>The value of <paramref name="key"/> in a flat-keyed file such as memory.events or memory.oom_control.</summary>
    public static long? ReadKey(string path, string key)
    {
        if (!File.Exists(path)) return null;
        foreach (var line in Read(path).Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == key) return long.Parse(parts[1]);
        }
        return null;
    }

    /// <summary>Pids in cgroup.procs of <paramref name="dir"/> and of every cgroup below it:
    /// a sandbox with a cgroup namespace may have made children of its own.</summary>
    public static IEnumerable<int> ReadProcsRecursive(string dir)
    {
        var path = Path.Combine(dir, "cgroup.procs");
        if (!File.Exists(path)) yield break;   // removed meanwhile
        foreach (var line in Read(path).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            yield return int.Parse(line);
        foreach (var child in SafeSubdirectories(dir))
            foreach (var pid in ReadProcsRecursive(child))
                yield return pid;
    }

    /// <summary>mkdir that refuses an existing directory: a leftover cgroup with the same
    /// name must not be adopted with its old processes and limits.</summary>
    public static void MakeDirExclusive(string path)
    {
        if (Directory.Exists(path)) throw new CgroupException("mkdir", path, Errno.EEXIST);
        MakeDir(path);
    }

    public static void MakeDir(string path)
    {
        try { Directory.CreateDirectory(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CgroupException("mkdir", path, ErrnoOf(e), e);
        }
    }

    /// <summary>rmdir of a cgroup that may be empty: true if it is gone, false if it still holds
    /// processes or children (EBUSY); other errors throw.</summary>
    public static bool TryRemoveEmpty(string path)
    {
        try { Directory.Delete(path, recursive: false); return true; }
        catch (DirectoryNotFoundException) { return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var errno = ErrnoOf(e);
            if (errno is Errno.EBUSY or Errno.ENOTEMPTY) return false;
            if (errno == Errno.ENOENT) return true;
            throw new CgroupException("rmdir", path, errno, e);
        }
    }

    /// <summary>rmdir of the cgroup and its descendants, deepest first. EBUSY is retried until
    /// <paramref name="deadline"/>: killed tasks stay charged to the cgroup until they finish exiting.</summary>
    public static void RemoveTree(string path, DateTime deadline)
    {
        if (!Directory.Exists(path)) return;
        foreach (var child in SafeSubdirectories(path)) RemoveTree(child, deadline);
        while (true)
        {
            try { Directory.Delete(path, recursive: false); return; }
            catch (DirectoryNotFoundException) { return; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                var errno = ErrnoOf(e);
                if (errno == Errno.ENOENT) return;
                if (errno != Errno.EBUSY || DateTime.UtcNow >= deadline)
                    throw new CgroupException("rmdir", path, errno, e);
                Thread.Sleep(10);
            }
        }
    }

    public static string[] SafeSubdirectories(string dir)
    {
        try { return Directory.GetDirectories(dir); }
        catch (DirectoryNotFoundException) { return []; }
    }

    /// <summary>
    /// The errno behind a .NET file exception. On Unix the runtime keeps it as the HResult of
    /// a plain IOException (EINVAL, EBUSY…) or of the inner exception (EACCES, EPERM), and
    /// turns ENOENT into a *NotFoundException.
    /// </summary>
    public static int ErrnoOf(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is FileNotFoundException or DirectoryNotFoundException) return Errno.ENOENT;
            if (x.GetType() == typeof(IOException) && x.HResult is > 0 and < 4096) return x.HResult;
        }
        return e is UnauthorizedAccessException ? Errno.EACCES : 0;
    }
}
