using System.Runtime.InteropServices;

namespace Playground.Web.Sandboxes;

internal static partial class Ownership
{
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint uid, uint gid);

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

    /// <summary>chown -hR: every entry of the tree, symlinks themselves (never their targets).</summary>
    public static void ChownTree(string root, uint uid, uint gid)
    {
        Change(root);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions
                 { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }))
            Change(entry.FullName);

        void Change(string path)
        {
            if (lchown(path, uid, gid) < 0)
                throw new IOException($"lchown {path}: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
