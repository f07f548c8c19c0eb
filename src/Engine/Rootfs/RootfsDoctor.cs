namespace Playground.Engine.Rootfs;

/// <summary>
/// One ELF file of a rootfs that would not start there. <paramref name="File"/> is its path inside
/// the rootfs; <paramref name="MissingInterpreter"/> its PT_INTERP when the rootfs lacks it;
/// <paramref name="MissingLibraries"/> the DT_NEEDED names (its own or its libraries') not found there.
/// </summary>
public sealed record DoctorFinding(string File, string? MissingInterpreter, IReadOnlyList<string> MissingLibraries, string Explanation);

/// <summary>
/// The workshop's "chroot rootfs /foo: No such file or directory" found before anyone runs
/// anything: every ELF file whose interpreter or libraries the rootfs lacks, and the copy from
/// the host that mends it.
/// </summary>
public static class RootfsDoctor
{
    // Kernel file systems are mounted there at launch; what an unmounted rootfs holds there is not its programs.
    static readonly string[] Skipped = ["/proc", "/sys", "/dev"];

    /// <summary>Every ELF file in <paramref name="rootfs"/> that needs something the rootfs does not have, looked for inside it.</summary>
    public static IReadOnlyList<DoctorFinding> Examine(string rootfs)
    {
        var view = new RootView(rootfs);
        if (!Directory.Exists(view.Root)) throw new DirectoryNotFoundException($"{rootfs}: no such directory");
        var search = LibrarySearch.For(view, ElfClosure.ReadCached(new Dictionary<string, ElfInfo?>()));
        var findings = new List<DoctorFinding>();
        foreach (var host in Files(view.Root))
        {
            if (search.Read(host) is not { } info || (info.Interpreter is null && info.Needed.Count == 0)) continue;
            if (info.Type is "relocatable" or "core") continue;
            var inRoot = view.InRoot(host);
            var closure = ElfClosure.Of(inRoot, host, search);
            if (closure.Missing.Count == 0) continue;
            var interp = info.Interpreter is { } i && closure.Missing.Contains(i) ? i : null;
            var libs = closure.Missing.Where(m => m != interp).ToList();
            findings.Add(new DoctorFinding(inRoot, interp, libs, Explain(inRoot, info, interp, libs, search.Describe(info))));
        }
        return findings;
    }

    /// <summary>
    /// Copies from <paramref name="hostRoot"/> what the findings name: for each file, its closure
    /// resolved there, the parts the rootfs lacks (with the symlinks on their way). Returns the
    /// paths written inside the rootfs. A library the host has in a directory the rootfs's linker
    /// does not search stays missing: <see cref="Examine"/> still reports it.
    /// </summary>
    /// <param name="owner">Who owns what is copied in; null: whoever runs this.</param>
    public static IReadOnlyList<string> Fix(string rootfs, string hostRoot = "/", (uint Uid, uint Gid)? owner = null)
    {
        var target = new RootView(rootfs);
        var hostView = new RootView(hostRoot);
        var onHost = LibrarySearch.For(hostView, ElfClosure.ReadCached(new Dictionary<string, ElfInfo?>()));
        var written = new List<string>();
        // A second round only helps when a copied library brought needs of its own that the host
        // resolved differently; it stops as soon as a round copies nothing.
        for (int round = 0; round < 3; round++)
        {
            var wanted = new List<string>();
            foreach (var finding in Examine(rootfs))
            {
                var program = target.Resolve(finding.File)!;
                var closure = ElfClosure.Of(finding.File, program, onHost, Path.GetDirectoryName(target.InRoot(program)));
                foreach (var file in closure.Files.Skip(1).Select(hostView.InRoot))
                    if (!target.FileExists(file) && !wanted.Contains(file)) wanted.Add(file);
            }
            if (wanted.Count == 0) break;
            written.AddRange(RootfsFiles.CopyInto(target.Root, wanted, hostView.Root, owner));
        }
        return written;
    }

    static string Explain(string file, ElfInfo info, string? interp, IReadOnlyList<string> libs, string searched)
    {
        var why = new List<string>();
        if (interp is not null)
            why.Add($"{file} is dynamically linked: execve(2) starts its ELF interpreter {interp} first, and the rootfs " +
                    $"has no such file, so the kernel fails with ENOENT (\"No such file or directory\") although {file} exists.");
        var subject = interp is not null ? "Then the dynamic linker"
            : info.Type == "shared object" ? $"{file} is a library; a program that loads it would start, but the dynamic linker"
            : $"{file} starts, but its dynamic linker";
        if (libs.Count > 0)
            why.Add($"{subject} would not find {string.Join(", ", libs)} in the rootfs (it looks in {searched}) and would " +
                    "stop before main with \"error while loading shared libraries\" (exit status 127).");
        why.Add("Copy what is missing from the host (`playground rootfs doctor DIR --fix`, or cp the files `ldd` lists), " +
                "or link the program statically (gcc -static) so that it needs nothing.");
        return string.Join(' ', why);
    }

    /// <summary>Regular files under <paramref name="root"/>, not following symlinks (a link to a library is its target's business).</summary>
    static IEnumerable<string> Files(string root)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint,
        };
        var skipped = Skipped.Select(s => root.TrimEnd('/') + s + "/").ToArray();
        return Directory.EnumerateFiles(root, "*", options)
            .Where(f => !skipped.Any(s => f.StartsWith(s, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal);
    }
}
