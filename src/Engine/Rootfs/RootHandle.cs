using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Playground.Engine.Interop;

namespace Playground.Engine.Rootfs;

/// <summary>
/// A directory held open (O_PATH) and named by its descriptor, <c>/proc/self/fd/N</c>: whatever
/// is renamed or swapped for a link at its old path meanwhile, the name keeps meaning this
/// directory. For roots whose owner (a lab) can change their parent directory while the server
/// works in them.
/// </summary>
public sealed class RootHandle : IDisposable
{
    readonly SafeFileHandle _fd;

    RootHandle(SafeFileHandle fd) => _fd = fd;

    /// <summary>The path that names this directory, for this process, while the handle is open.</summary>
    public string Path => $"/proc/self/fd/{_fd.DangerousGetHandle()}";

    /// <summary>
    /// The directory <paramref name="name"/> right in <paramref name="parent"/>: no link followed,
    /// no mount crossed, nothing above. Null when there is no such directory (a link is none).
    /// </summary>
    public static RootHandle? OpenChild(string parent, string name)
    {
        if (name.Length == 0 || name.Contains('/') || name is "." or "..") return null;
        var dir = Libc.open(parent, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (dir < 0) return null;
        try
        {
            var fd = Openat2.Open(dir, name, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC,
                Openat2.RESOLVE_BENEATH | Openat2.RESOLVE_NO_SYMLINKS | Openat2.RESOLVE_NO_XDEV);
            return fd < 0 ? null : new RootHandle(new SafeFileHandle(fd, ownsHandle: true));
        }
        finally { Libc.close(dir); }
    }

    public void Dispose() => _fd.Dispose();
}
