using Playground.Engine.Interop;

namespace Playground.Engine.Seccomp;

/// <summary>Syscall names as libseccomp knows them on this machine's architecture.</summary>
public static class Syscalls
{
    public static bool IsKnown(string name) =>
        !string.IsNullOrWhiteSpace(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') &&
        LibSeccomp.SyscallResolveName(name) >= 0;
}
