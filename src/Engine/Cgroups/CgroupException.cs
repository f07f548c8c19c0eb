using Playground.Engine.Interop;

namespace Playground.Engine.Cgroups;

/// <summary>
/// A cgroup file or directory operation failed. The message names the operation, the path and
/// the errno, e.g. "write 1000000000000000 to /sys/fs/cgroup/cpu/playground/x/cpu.cfs_quota_us failed with EINVAL (Invalid argument)".
/// </summary>
public sealed class CgroupException : Exception
{
    public string Path { get; }
    public int Errno { get; }

    public CgroupException(string operation, string path, int errno, Exception? inner = null, string? hint = null)
        : base(Format(operation, path, errno, hint), inner)
    {
        Path = path;
        Errno = errno;
    }

    static string Format(string operation, string path, int errno, string? hint)
    {
        var s = $"{operation} {path} failed";
        if (errno != 0) s += $" with {Interop.Errno.Name(errno)} ({Interop.Errno.Describe(errno)})";
        return string.IsNullOrEmpty(hint) ? s : $"{s}: {hint}";
    }
}
