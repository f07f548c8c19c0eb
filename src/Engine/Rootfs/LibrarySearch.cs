namespace Playground.Engine.Rootfs;

/// <summary>
/// Where glibc's dynamic linker looks for a DT_NEEDED name, in its order (ld.so(8), "Shared
/// object dependencies"; elf/dl-load.c, _dl_map_object): a name with a slash is a path; otherwise
/// DT_RPATH of the object and of each object that loaded it, up to the program (only when the
/// object has no DT_RUNPATH), then the object's own DT_RUNPATH, then /etc/ld.so.cache, then the
/// default directories. LD_LIBRARY_PATH and LD_PRELOAD are not read: a rootfs is examined as a
/// fresh execve with a clean environment would see it.
/// </summary>
internal sealed class LibrarySearch(RootView root, LdSoCache cache, Func<string, ElfInfo?> read)
{
    /// <summary>An object that is loaded: the path it was opened as (inside the root), its ELF facts, what loaded it.</summary>
    internal sealed record Loaded(string Path, string RealHost, ElfInfo Info, Loaded? Loader, string Origin);

    /// <summary>A library found for a name: the path the linker opens (inside the root) and the file it is.</summary>
    internal sealed record Found(string Path, string RealHost, ElfInfo Info);

    public RootView Root => root;

    /// <summary>The ELF facts of a host file, through the caller's cache.</summary>
    public ElfInfo? Read(string host) => read(host);

    public static LibrarySearch For(RootView root, Func<string, ElfInfo?> read)
    {
        var cache = root.Resolve("/etc/ld.so.cache") is { } host ? LdSoCache.Load(host) : LdSoCache.Empty;
        return new LibrarySearch(root, cache, read);
    }

    public Found? Find(string name, Loaded loader, Loaded program)
    {
        if (name.Contains('/')) return Candidate(RootView.Normalize(name), program.Info);

        if (loader.Info.RunPath.Count == 0)
        {
            // DT_RPATH is inherited: the loader's, its loader's, … up to the program's.
            for (var l = loader; l is not null; l = l.Loader)
                if (InDirectories(name, l.Info.RPath, l, program) is { } found) return found;
            if (!Chain(loader).Contains(program) && InDirectories(name, program.Info.RPath, program, program) is { } main)
                return main;
        }
        else if (InDirectories(name, loader.Info.RunPath, loader, program) is { } found)
            return found; // DT_RUNPATH is for the object's own needs only

        bool defaults = !loader.Info.NoDefaultLib;
        foreach (var path in cache.Lookup(name, program.Info))
        {
            if (!defaults && DefaultDirectories(program.Info).Contains(Path.GetDirectoryName(path))) continue;
            // ld.so tries the cache's answer once; a wrong file there sends it on to the default directories.
            if (Candidate(RootView.Normalize(path), program.Info) is { } found) return found;
            break;
        }
        if (defaults)
            foreach (var dir in DefaultDirectories(program.Info))
                if (Candidate($"{dir}/{name}", program.Info) is { } found) return found;
        return null;
    }

    /// <summary>The places the linker looks, in words for an explanation.</summary>
    public string Describe(ElfInfo program) =>
        "DT_RPATH/DT_RUNPATH, /etc/ld.so.cache, then " + string.Join(", ", DefaultDirectories(program));

    /// <summary>
    /// The system search path for the object's ABI. glibc's is configured when it is built:
    /// Debian's is the multiarch pair then /lib and /usr/lib; others use /lib64 and /usr/lib64 for
    /// 64-bit x86. Both are searched, so a root from either kind of distribution is understood.
    /// </summary>
    public static IReadOnlyList<string> DefaultDirectories(ElfInfo abi)
    {
        var dirs = new List<string>();
        if (Multiarch(abi) is { } triplet) dirs.AddRange([$"/lib/{triplet}", $"/usr/lib/{triplet}"]);
        if (abi.Bits == 64) dirs.AddRange(["/lib64", "/usr/lib64"]);
        else if (abi.MachineCode == 3) dirs.AddRange(["/lib32", "/usr/lib32"]);
        dirs.AddRange(["/lib", "/usr/lib"]);
        return dirs;
    }

    /// <summary>Debian's multiarch tuple for the object's ABI (the name of its library directories).</summary>
    internal static string? Multiarch(ElfInfo abi) => (abi.MachineCode, abi.Bits) switch
    {
        (62, 64) => "x86_64-linux-gnu",
        (62, 32) => "x86_64-linux-gnux32",
        (3, 32) => "i386-linux-gnu",
        (183, 64) => "aarch64-linux-gnu",
        (40, 32) => "arm-linux-gnueabihf",
        (243, 64) => "riscv64-linux-gnu",
        (21, 64) => abi.ByteOrder == "LSB" ? "powerpc64le-linux-gnu" : "powerpc64-linux-gnu",
        (22, 64) => "s390x-linux-gnu",
        _ => null,
    };

    Found? InDirectories(string name, IReadOnlyList<string> dirs, Loaded owner, Loaded program)
    {
        foreach (var dir in dirs)
            if (Candidate($"{Expand(dir, owner, program.Info)}/{name}", program.Info) is { } found)
                return found;
        return null;
    }

    /// <summary>
    /// $ORIGIN, $LIB and $PLATFORM (also as ${…}) in a DT_RPATH or DT_RUNPATH element (ld.so(8),
    /// "Dynamic string tokens"). $LIB is Debian's multiarch directory when the root has one, else
    /// lib64 or lib; $PLATFORM is what the kernel puts in AT_PLATFORM for the machine.
    /// </summary>
    string Expand(string dir, Loaded owner, ElfInfo abi)
    {
        if (!dir.Contains('$')) return RootView.Normalize(dir);
        var lib = Multiarch(abi) is { } t && Directory.Exists(root.Resolve($"/lib/{t}") ?? "") ? $"lib/{t}"
            : abi.Bits == 64 ? "lib64" : "lib";
        var platform = abi.MachineCode switch { 62 => abi.Bits == 64 ? "x86_64" : "i686", 3 => "i686", 183 => "aarch64", _ => "" };
        var expanded = dir
            .Replace("${ORIGIN}", owner.Origin).Replace("$ORIGIN", owner.Origin)
            .Replace("${LIB}", lib).Replace("$LIB", lib)
            .Replace("${PLATFORM}", platform).Replace("$PLATFORM", platform);
        return RootView.Normalize(expanded);
    }

    /// <summary>A path the linker would open: it counts when it is a file of the program's class and machine.</summary>
    Found? Candidate(string inRoot, ElfInfo abi)
    {
        if (root.Resolve(inRoot) is not { } real || !File.Exists(real)) return null;
        return read(real) is { } info && info.SameAbi(abi) ? new Found(inRoot, real, info) : null;
    }

    static IEnumerable<Loaded> Chain(Loaded l)
    {
        for (Loaded? x = l; x is not null; x = x.Loader) yield return x;
    }
}
