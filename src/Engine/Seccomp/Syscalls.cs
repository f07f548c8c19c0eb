using System.Runtime.InteropServices;
using Playground.Engine.Interop;

namespace Playground.Engine.Seccomp;

/// <summary>Syscall names as libseccomp knows them on this machine's architecture.</summary>
public static class Syscalls
{
    public static bool IsKnown(string name) => Number(name) is not null;

    /// <summary>The syscall number on the native architecture, or null for names that are
    /// malformed, unknown, or known only on other architectures (e.g. vm86 on x86_64).</summary>
    public static int? Number(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')) return null;
        var nr = LibSeccomp.SyscallResolveName(name);
        return nr >= 0 ? nr : null;
    }

    /// <summary>The name of syscall <paramref name="number"/> on the native architecture, or null.</summary>
    public static string? Name(int number) => byNumber.Value.GetValueOrDefault(number);

    static readonly Lazy<Dictionary<int, string>> byNumber = new(() =>
        Names.Select(n => (Name: n, Nr: Number(n))).Where(x => x.Nr is not null).GroupBy(x => x.Nr!.Value).ToDictionary(g => g.Key, g => g.First().Name));

    /// <summary>Every syscall name of the native architecture, sorted, for autocomplete.</summary>
    public static IReadOnlyList<string> Names => names.Value;

    static readonly Lazy<IReadOnlyList<string>> names = new(LoadNames);

    // x86_64 numbers are dense below ~460 in libseccomp 2.5; 1024 leaves room for newer tables.
    const int HighestNumberProbed = 1024;

    static unsafe IReadOnlyList<string> LoadNames()
    {
        var list = new List<string>();
        for (var nr = 0; nr < HighestNumberProbed; nr++)
        {
            var p = LibSeccomp.SyscallResolveNumArch(LibSeccomp.ArchNative, nr);
            if (p == 0) continue;
            list.Add(Marshal.PtrToStringUTF8(p)!);
            NativeMemory.Free((void*)p); // libseccomp strdup()s the name; NativeMemory.Free is C free()
        }
        list.Sort(StringComparer.Ordinal);
        return list;
    }
}
