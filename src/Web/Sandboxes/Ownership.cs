using System.Runtime.InteropServices;

namespace Playground.Web.Sandboxes;

/// <summary>Paths as the kernel resolves them (ownership of trees: <see cref="Playground.Engine.Rootfs.TreeOwner"/>).</summary>
internal static partial class Ownership
{
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint realpath(string path, nint resolved);

    /// <summary>realpath(3): every symlink resolved; null if the path does not exist.</summary>
    public static string? RealPath(string path)
    {
        var p = realpath(path, 0);
        if (p == 0) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { Marshal.FreeHGlobal(p); }
    }
}
