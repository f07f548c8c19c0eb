using System.Runtime.InteropServices;

namespace Playground.Engine.Interop;

/// <summary>
/// libseccomp (seccomp_init(3) and friends). Only the engine calls it: it compiles a filter to
/// BPF bytes, and init installs those bytes with prctl, so init never loads this library.
/// libseccomp reports failure as a negative errno in the return value, not in errno.
/// </summary>
internal static partial class LibSeccomp
{
    public const string Library = "libseccomp.so.2";

    // Values from seccomp.h of libseccomp 2.5.4.
    public const uint ActKillProcess = 0x80000000U, ActTrap = 0x00030000U, ActLog = 0x7ffc0000U, ActAllow = 0x7fff0000U;
    /// <summary>SCMP_ACT_NOTIFY: the call waits for the filter's listener to answer (SECCOMP_RET_USER_NOTIF).</summary>
    public const uint ActNotify = 0x7fc00000U;
    public static uint ActErrno(int errno) => 0x00050000U | ((uint)errno & 0x0000ffffU);

    /// <summary>enum scmp_filter_attr.</summary>
    public const int FltAtrCtlNnp = 3;

    /// <summary>enum scmp_compare.</summary>
    public const int CmpMaskedEq = 7;

    /// <summary>SCMP_ARCH_NATIVE: the architecture this process runs on.</summary>
    public const uint ArchNative = 0;

    /// <summary>struct scmp_arg_cmp: argument index, operator, two 64-bit operands.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ArgCmp
    {
        public uint Arg;
        public int Op;
        public ulong DatumA;
        public ulong DatumB;
    }

    /// <summary>Returns the syscall number on the native architecture, or a negative value when
    /// unknown (-1) or known only on other architectures (libseccomp's pseudo numbers).</summary>
    [LibraryImport(Library, EntryPoint = "seccomp_syscall_resolve_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SyscallResolveName(string name);

    /// <summary>Returns a malloc'd name, or null when the number is not a syscall of that arch.</summary>
    [LibraryImport(Library, EntryPoint = "seccomp_syscall_resolve_num_arch")]
    public static partial nint SyscallResolveNumArch(uint archToken, int num);

    /// <summary>Returns a filter context, or null (errno may say why).</summary>
    [LibraryImport(Library, EntryPoint = "seccomp_init", SetLastError = true)]
    public static partial nint Init(uint defaultAction);

    [LibraryImport(Library, EntryPoint = "seccomp_release")]
    public static partial void Release(nint ctx);

    [LibraryImport(Library, EntryPoint = "seccomp_attr_set")]
    public static partial int AttrSet(nint ctx, int attr, uint value);

    [LibraryImport(Library, EntryPoint = "seccomp_rule_add_array")]
    public static unsafe partial int RuleAddArray(nint ctx, uint action, int syscall, uint argCount, ArgCmp* args);

    [LibraryImport(Library, EntryPoint = "seccomp_export_bpf")]
    public static partial int ExportBpf(nint ctx, int fd);

    [LibraryImport(Library, EntryPoint = "seccomp_export_pfc")]
    public static partial int ExportPfc(nint ctx, int fd);

    /// <summary>memfd_create(2), from libc: an anonymous file the export calls write into.</summary>
    [LibraryImport("libc", EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int MemfdCreate(string name, uint flags);

    public const uint MfdCloexec = 1;
}
