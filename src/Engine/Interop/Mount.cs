using System.Runtime.InteropServices;

namespace Playground.Engine.Interop;

// mount(2) and umount2(2) for the host side of a lab (its size-limited root). Raw: -1 and errno.
internal static partial class Mount
{
    public const ulong MS_NOSUID = 0x2, MS_NODEV = 0x4;
    public const int MNT_DETACH = 0x2;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string source, string target, string fstype, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);
}
