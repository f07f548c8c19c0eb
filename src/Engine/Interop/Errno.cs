using System.Runtime.InteropServices;

namespace Playground.Engine.Interop;

/// <summary>errno numbers by their names in errno(3), for messages people read.</summary>
public static partial class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, ENOEXEC = 8,
        EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17,
        EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOTTY = 25,
        ETXTBSY = 26, EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EROFS = 30, EMLINK = 31, EPIPE = 32, ERANGE = 34,
        ENAMETOOLONG = 36, ENOSYS = 38, EOVERFLOW = 75, ENOTEMPTY = 39, ELOOP = 40, EOPNOTSUPP = 95, EUSERS = 87;

    static readonly Dictionary<int, string> Names = new()
    {
        [EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR", [EIO] = "EIO",
        [ENXIO] = "ENXIO", [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC", [EBADF] = "EBADF", [ECHILD] = "ECHILD",
        [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY",
        [EEXIST] = "EEXIST", [EXDEV] = "EXDEV", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR",
        [EINVAL] = "EINVAL", [ENFILE] = "ENFILE", [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY", [ETXTBSY] = "ETXTBSY",
        [EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE", [EROFS] = "EROFS", [EMLINK] = "EMLINK",
        [EPIPE] = "EPIPE", [ERANGE] = "ERANGE", [ENAMETOOLONG] = "ENAMETOOLONG", [ENOSYS] = "ENOSYS",
        [ENOTEMPTY] = "ENOTEMPTY", [EOVERFLOW] = "EOVERFLOW", [ELOOP] = "ELOOP", [EOPNOTSUPP] = "EOPNOTSUPP", [EUSERS] = "EUSERS",
    };

    public static string Name(int errno) => Names.TryGetValue(errno, out var n) ? n : $"errno {errno}";

    /// <summary>Accepts EPERM, eperm or a number.</summary>
    public static bool TryParse(string s, out int errno)
    {
        if (int.TryParse(s, out errno)) return errno is > 0 and < 4096;
        foreach (var (k, v) in Names)
            if (string.Equals(v, s, StringComparison.OrdinalIgnoreCase)) { errno = k; return true; }
        return false;
    }

    public static string Describe(int errno) => Marshal.PtrToStringUTF8(strerror(errno)) ?? "";

    [LibraryImport("libc")]
    private static partial nint strerror(int errnum);
}
