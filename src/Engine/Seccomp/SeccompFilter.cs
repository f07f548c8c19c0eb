using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Playground.Engine.Interop;

namespace Playground.Engine.Seccomp;

/// <summary>
/// One libseccomp filter context, released exactly once. Each call's negative-errno result
/// becomes a <see cref="SandboxException"/> naming the call.
/// </summary>
internal sealed class SeccompFilter : SafeHandle
{
    const string Step = "compile seccomp";

    public SeccompFilter(uint defaultAction) : base(0, ownsHandle: true)
    {
        SetHandle(LibSeccomp.Init(defaultAction));
        if (IsInvalid)
            throw new SandboxException(Step, $"seccomp_init(0x{defaultAction:x8})", Marshal.GetLastPInvokeError(),
                "libseccomp refused the default action or is out of memory");
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        LibSeccomp.Release(handle);
        return true;
    }

    public void SetAttribute(int attr, uint value, string attrName) =>
        Check(LibSeccomp.AttrSet(handle, attr, value), $"seccomp_attr_set({attrName}, {value})");

    public unsafe void AddRule(uint action, string syscall, int number, ReadOnlySpan<LibSeccomp.ArgCmp> conditions)
    {
        fixed (LibSeccomp.ArgCmp* args = conditions)
            Check(LibSeccomp.RuleAddArray(handle, action, number, (uint)conditions.Length, args),
                $"seccomp_rule_add_array({syscall}, 0x{action:x8})");
    }

    public byte[] ExportBpf() => Export(LibSeccomp.ExportBpf, "seccomp_export_bpf");

    public string ExportPfc() => Encoding.UTF8.GetString(Export(LibSeccomp.ExportPfc, "seccomp_export_pfc"));

    // The export calls write to an fd; a memfd keeps the bytes in memory and needs no temp path.
    byte[] Export(Func<nint, int, int> export, string call)
    {
        var fd = LibSeccomp.MemfdCreate("playground-seccomp", LibSeccomp.MfdCloexec);
        if (fd < 0) throw new SandboxException(Step, "memfd_create", Marshal.GetLastPInvokeError(), "");
        using var file = new SafeFileHandle(fd, ownsHandle: true);
        Check(export(handle, fd), call);
        var bytes = new byte[RandomAccess.GetLength(file)];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(file, bytes.AsSpan(read), read);
            if (n == 0) break;
            read += n;
        }
        return read == bytes.Length ? bytes : bytes[..read];
    }

    static void Check(int rc, string call)
    {
        if (rc < 0) throw new SandboxException(Step, call, -rc, Hint(-rc));
    }

    static string Hint(int errno) => errno switch
    {
        Errno.EACCES => "the rule's action equals the filter's default action",
        Errno.EINVAL => "libseccomp rejected an argument (unknown action, syscall or attribute)",
        Errno.EOPNOTSUPP => "this kernel or libseccomp does not support the requested action",
        _ => "",
    };
}
