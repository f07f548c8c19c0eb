using System.Runtime.InteropServices;

namespace Playground.Engine.Interop;

/// <summary>libseccomp (seccomp_init(3) and friends). Only the engine calls it; init installs bytes.</summary>
internal static partial class LibSeccomp
{
    public const string Library = "libseccomp.so.2";

    /// <summary>Returns the syscall number on the native architecture, or __NR_SCMP_ERROR (-1) when unknown.</summary>
    [LibraryImport(Library, EntryPoint = "seccomp_syscall_resolve_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SyscallResolveName(string name);
}
