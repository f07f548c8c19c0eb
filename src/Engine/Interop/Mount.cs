using System.Runtime.InteropServices;

namespace Playground.Engine.Interop;

// mount(2) and umount2(2) for the host side of a lab (its size-limited root). Raw: -1 and errno.
internal static partial class Mount
{
    public const ulong MS_NOSUID = 0x2, MS_NODEV = 0x4;
    public const int MNT_DETACH = 0x2;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string source, string target, string fstype, ulong flags, string? data);

    [StructLayout(LayoutKind.Sequential)]
    struct Statfs
    {
        public long Type, Bsize, Blocks, Bfree, Bavail, Files, Ffree;
        public long Fsid, Namelen, Frsize, Flags, Spare0, Spare1, Spare2, Spare3;
    }

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statfs(string path, out Statfs buf);

    /// <summary>statfs(2) of the filesystem holding <paramref name="path"/>: its size and free bytes (what root could still write).</summary>
    public static (long Total, long Free) StatFs(string path) =>
        statfs(path, out var s) < 0
            ? throw new IOException($"{path}: statfs failed: {Errno.Describe(Marshal.GetLastPInvokeError())}")
            : (s.Blocks * s.Bsize, s.Bfree * s.Bsize);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);
}
