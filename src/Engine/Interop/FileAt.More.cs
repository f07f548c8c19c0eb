using System.Runtime.InteropServices;
using System.Text;

namespace Playground.Engine.Interop;

internal static unsafe partial class FileAt
{
    [LibraryImport(C, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int renameat(int olddirfd, string oldpath, int newdirfd, string newpath);

    [LibraryImport(C, EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint readlinkat_raw(int dirfd, string path, byte* buf, nint size);

    /// <summary>readlinkat(2): the target of the symlink <paramref name="path"/> in <paramref name="dirfd"/>, or null (errno).</summary>
    public static string? readlinkat(int dirfd, string path)
    {
        var buf = new byte[4096];
        fixed (byte* p = buf)
        {
            var n = readlinkat_raw(dirfd, path, p, buf.Length);
            return n < 0 ? null : Encoding.UTF8.GetString(buf, 0, (int)n);
        }
    }
}
