using System.Text;

namespace Playground.Engine.Rootfs;

/// <summary>
/// One object of a closure: <paramref name="Name"/> as it was asked for (the program's path, the
/// PT_INTERP path, or a DT_NEEDED name), <paramref name="Path"/> the host path the dynamic linker
/// would open for it (symlinks not followed, as <c>ldd</c> prints it), or null when it is missing.
/// An object already listed higher up the tree has no children the second time.
/// </summary>
public sealed record ClosureNode(string Name, string? Path, IReadOnlyList<ClosureNode> Children)
{
    /// <summary>The program's ELF interpreter (PT_INTERP), which the kernel loads before anything else.</summary>
    public bool IsInterpreter { get; init; }
}

/// <summary>
/// <paramref name="Files"/>: the program, its interpreter and every library, in the order the
/// linker loads them (breadth first), as host paths, each once. <paramref name="Missing"/>: the
/// interpreter path or DT_NEEDED names that could not be found.
/// </summary>
public sealed record Closure(ClosureNode Tree, IReadOnlyList<string> Files, IReadOnlyList<string> Missing);

/// <summary>
/// The files a program needs to start: its interpreter and the libraries glibc's ld.so would load,
/// found the way it finds them (<see cref="LibrarySearch"/>), inside a root. Read from the ELF
/// headers; nothing is run.
/// </summary>
public static class ElfClosure
{
    /// <summary>
    /// The closure of <paramref name="program"/>, a path inside <paramref name="root"/> (on the
    /// host when the root is "/"), with every library looked for inside that root.
    /// </summary>
    /// <exception cref="FileNotFoundException">the program is not in the root</exception>
    /// <exception cref="InvalidDataException">the program is not an ELF file</exception>
    public static Closure Of(string program, string root = "/")
    {
        var view = new RootView(root);
        var inRoot = view.IsHost ? Path.GetFullPath(program) : RootView.Normalize(program);
        var cache = new Dictionary<string, ElfInfo?>();
        var search = LibrarySearch.For(view, ReadCached(cache));
        var host = view.Resolve(inRoot);
        if (host is null || !File.Exists(host))
            throw new FileNotFoundException($"{program}: no such file{(view.IsHost ? "" : $" in {view.Root}")}", view.Host(inRoot));
        return Of(inRoot, host, search);
    }

    /// <summary>
    /// The closure of the ELF file at <paramref name="programHost"/>, known inside its root as
    /// <paramref name="programInRoot"/>, with its needs looked for by <paramref name="search"/>
    /// (which may be another root: the doctor resolves a rootfs's program on the host).
    /// <paramref name="origin"/> is the program's $ORIGIN when it lives in another root than the search.
    /// </summary>
    internal static Closure Of(string programInRoot, string programHost, LibrarySearch search, string? origin = null)
    {
        var view = search.Root;
        var info = search.Read(programHost) ?? throw new InvalidDataException($"{programInRoot}: not an ELF file");

        // The program's $ORIGIN is where it really is (glibc reads /proc/self/exe); a library's is
        // the directory of the path it was opened as (elf/dl-object.c).
        origin ??= Path.GetDirectoryName(view.InRoot(programHost)) ?? "/";
        var program = new LibrarySearch.Loaded(programInRoot, programHost, info, null, origin);
        var loaded = new List<LibrarySearch.Loaded> { program };
        var byName = new Dictionary<string, LibrarySearch.Loaded>(StringComparer.Ordinal);
        var byFile = new Dictionary<string, LibrarySearch.Loaded>(StringComparer.Ordinal) { [programHost] = program };
        var deps = new Dictionary<LibrarySearch.Loaded, List<(string Name, LibrarySearch.Loaded? Object)>>();
        var missing = new List<string>();
        var opened = new List<string> { programInRoot };
        if (info.Soname is { } own) byName[own] = program;

        LibrarySearch.Loaded? interpreter = null;
        if (info.Interpreter is { } interp)
        {
            var interpInRoot = RootView.Normalize(interp);
            // The kernel maps PT_INTERP as it is named; it is not searched for.
            if (view.Resolve(interpInRoot) is { } real && File.Exists(real) && search.Read(real) is { } interpInfo)
            {
                interpreter = new LibrarySearch.Loaded(interpInRoot, real, interpInfo, null, Path.GetDirectoryName(interpInRoot) ?? "/");
                Register(interpreter, interp);
                loaded.Add(interpreter);
                byFile.TryAdd(real, interpreter);
                opened.Add(interpInRoot);
            }
            else missing.Add(interp);
        }

        // Breadth first, as _dl_map_object_deps: each object's needs in order, then theirs. A name
        // already loaded (as asked, as opened, or as a DT_SONAME) is not looked for again.
        var queue = new Queue<LibrarySearch.Loaded>([program]);
        while (queue.TryDequeue(out var obj))
        {
            var list = deps[obj] = [];
            foreach (var name in obj.Info.Needed)
            {
                if (byName.TryGetValue(name, out var known)) { list.Add((name, known)); continue; }
                var found = search.Find(name, obj, program);
                if (found is null)
                {
                    if (!missing.Contains(name)) missing.Add(name);
                    list.Add((name, null));
                    continue;
                }
                if (!opened.Contains(found.Path)) opened.Add(found.Path);
                // The same file reached by another path is the same object (ld.so compares st_dev/st_ino).
                if (!byFile.TryGetValue(found.RealHost, out var lib))
                {
                    lib = new LibrarySearch.Loaded(found.Path, found.RealHost, found.Info, obj, Path.GetDirectoryName(found.Path) ?? "/");
                    byFile[found.RealHost] = lib;
                    loaded.Add(lib);
                    queue.Enqueue(lib);
                }
                Register(lib, name);
                list.Add((name, lib));
            }
        }

        var expanded = new HashSet<LibrarySearch.Loaded>();
        ClosureNode Node(string name, LibrarySearch.Loaded obj, bool isInterpreter = false)
        {
            var children = new List<ClosureNode>();
            if (expanded.Add(obj))
            {
                if (obj == program && interpreter is not null) children.Add(Node(info.Interpreter!, interpreter, true));
                else if (obj == program && info.Interpreter is { } lost) children.Add(new ClosureNode(lost, null, []) { IsInterpreter = true });
                if (deps.TryGetValue(obj, out var needs))
                    foreach (var (n, dep) in needs)
                        children.Add(dep is null ? new ClosureNode(n, null, []) : Node(n, dep));
            }
            return new ClosureNode(name, view.Host(obj.Path), children) { IsInterpreter = isInterpreter };
        }
        var tree = Node(programInRoot, program);
        return new Closure(tree, opened.Select(view.Host).ToList(), missing);

        void Register(LibrarySearch.Loaded obj, string name)
        {
            byName.TryAdd(name, obj);
            byName.TryAdd(obj.Path, obj);
            if (obj.Info.Soname is { } soname) byName.TryAdd(soname, obj);
        }
    }

    /// <summary>
    /// The tree, one line per object, two spaces deeper per level:
    /// <c>libc.so.6 → /lib/x86_64-linux-gnu/libc.so.6</c>; "(above)" when it was already listed,
    /// "not found" when it is missing.
    /// </summary>
    public static string Render(ClosureNode tree)
    {
        var text = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Line(ClosureNode node, int depth)
        {
            text.Append(' ', depth * 2).Append(node.Name);
            if (node.Path is null) text.Append(" → not found");
            else if (node.Path != node.Name) text.Append(" → ").Append(node.Path);
            if (node.IsInterpreter) text.Append(" (interpreter)");
            if (node.Path is not null && !seen.Add(node.Path) && node.Children.Count == 0) text.Append(" (above)");
            text.Append('\n');
            foreach (var child in node.Children) Line(child, depth + 1);
        }
        Line(tree, 0);
        return text.ToString();
    }

    internal static Func<string, ElfInfo?> ReadCached(Dictionary<string, ElfInfo?> cache) => path =>
    {
        if (!cache.TryGetValue(path, out var info)) cache[path] = info = ElfFile.TryRead(path);
        return info;
    };
}
