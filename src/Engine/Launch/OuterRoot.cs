using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Playground.Engine.Interop;

namespace Playground.Engine.Launch;

/// <summary>
/// Another sandbox's root (a lab's) as its processes see it, opened through /proc/PID/root: a
/// walk from there crosses that sandbox's own mounts, and with RESOLVE_IN_ROOT the kernel treats
/// it as "/", so a link made inside (an absolute one, "..") never leads to this host's files.
/// </summary>
internal sealed class OuterRoot : IDisposable
{
    const ulong InRoot = Openat2.RESOLVE_IN_ROOT | Openat2.RESOLVE_NO_MAGICLINKS;
    readonly SafeFileHandle _root;

    OuterRoot(SafeFileHandle root) => _root = root;

    public static OuterRoot Open(int pid)
    {
        var fd = Libc.open($"/proc/{pid}/root", Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            throw new SandboxException("outer root", "open", Marshal.GetLastPInvokeError(), $"the lab's root (/proc/{pid}/root) cannot be opened: has the lab ended?");
        return new OuterRoot(new SafeFileHandle(fd, ownsHandle: true));
    }

    /// <summary>The directory at <paramref name="path"/> inside (O_PATH), or null when there is none.</summary>
    public SafeFileHandle? OpenDirectory(string path)
    {
        var fd = Openat2.Open((int)_root.DangerousGetHandle(), path.TrimStart('/') is { Length: > 0 } p ? p : ".",
            Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, InRoot);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Whether <paramref name="path"/> inside is something other than a directory (a bind of a file needs a file to mount on).</summary>
    public bool IsFile(string path)
    {
        var fd = Openat2.Open((int)_root.DangerousGetHandle(), path.TrimStart('/'), Libc.O_PATH | Libc.O_CLOEXEC, InRoot);
        if (fd < 0) return false;
        try { return File.Exists($"/proc/self/fd/{fd}"); }
        finally { Libc.close(fd); }
    }

    /// <summary>Whether anything is at <paramref name="path"/> inside.</summary>
    public bool Exists(string path)
    {
        var fd = Openat2.Open((int)_root.DangerousGetHandle(), path.TrimStart('/') is { Length: > 0 } p ? p : ".", Libc.O_PATH | Libc.O_CLOEXEC, InRoot);
        if (fd < 0) return false;
        Libc.close(fd);
        return true;
    }

    public void Dispose() => _root.Dispose();
}
