using System.Diagnostics;
using System.Text.RegularExpressions;
using Playground.Engine.Rootfs;
using Playground.Web.Sandboxes;

namespace Playground.Web.Rootfs;

public sealed record RootfsInfo(string Name, string Path, DateTime Modified);

/// <summary>
/// A person's root filesystems: DataDirectory/people/ID/store/rootfs/NAME (their
/// <see cref="StoreImage"/>, /roots/NAME in their lab), each owned by their lab's root. A new one
/// is built in the store's .work directory, out of the lab's sight, and renamed into place only
/// when it is complete: a failed build leaves nothing behind. Their lab's root can change the
/// store at any time (rename a root, swap one for a link), so an existing root is only ever
/// reached through a <see cref="RootHandle"/>: opened once, no link followed, then named by its
/// descriptor. Names are checked, never joined raw: NAME is 1 to 64 of a-z 0-9 . _ - and starts
/// with a letter or digit.
/// </summary>
public sealed partial class RootfsStore(People people, PlaygroundOptions options)
{
    /// <summary>Where uploads are spooled: DataDirectory/.work, in no person's store (the upload is counted by ImportMaxBytes, not their store).</summary>
    string WorkDirectory
    {
        get
        {
            var dir = Path.Combine(options.DataDirectory, ".work");
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return dir;
        }
    }

    string NewWorkPath(string what) => Path.Combine(WorkDirectory, $"{what}-{Guid.NewGuid():n}");

    /// <summary>A new name in the person's store's .work directory (the same filesystem as their roots).</summary>
    static string NewWorkPath(Person person, string what) => Path.Combine(person.StoreWork, $"{what}-{Guid.NewGuid():n}");

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex ValidName();

    /// <summary>What is wrong with a name for a root filesystem, or null.</summary>
    public static string? NameProblem(string? name) =>
        string.IsNullOrEmpty(name) ? "name: give one (e.g. toy)"
        : !ValidName().IsMatch(name) ? $"name: '{name}' is not accepted; use 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit"
        : null;

    public IReadOnlyList<RootfsInfo> List(string owner)
    {
        var store = people.WithStore(owner).RootfsStore;
        if (!Directory.Exists(store)) return [];
        return new DirectoryInfo(store).EnumerateDirectories()
            .Where(d => ValidName().IsMatch(d.Name) && d.LinkTarget is null)
            .OrderBy(d => d.Name, StringComparer.Ordinal)
            .Select(d => new RootfsInfo(d.Name, d.FullName, d.LastWriteTimeUtc))
            .ToList();
    }

    /// <summary>An existing root filesystem of this person, held open: use its <see cref="RootHandle.Path"/>, then dispose.</summary>
    public RootHandle Open(string owner, string name)
    {
        if (NameProblem(name) is { } problem) throw new ArgumentException(problem);
        return RootHandle.OpenChild(people.WithStore(owner).RootfsStore, name)
            ?? throw new ArgumentException($"name: there is no root filesystem called '{name}'");
    }

    /// <summary>Where a root of the store is in the person's lab.</summary>
    public static string LabPath(string name) => $"{Person.RootsInLab}/{name}";

    /// <summary>(used, size) of the person's store, in bytes.</summary>
    public (long Used, long Size) Space(string owner) => StoreImage.Space(people.WithStore(owner).Store);

    public Person PersonOf(string owner) => people.Get(owner);

    /// <summary>An empty root, with the usual directories (bin, dev, etc, proc, sys, tmp, usr…) if asked.</summary>
    public Task CreateEmptyAsync(string owner, string name, bool standardDirectories) =>
        CreateAsync(owner, name, (dir, _) =>
        {
            if (standardDirectories) BusyboxRootfs.CreateDirectories(dir);
            return true;
        }, chown: true);

    public Task CreateBusyboxAsync(string owner, string name) =>
        CreateAsync(owner, name, (dir, _) => { BusyboxRootfs.Create(dir); return true; }, chown: true);

    /// <summary>A tarball (tar, gz, xz, zst), extracted safely; the archive's ids 0-65535 become the person's range.</summary>
    public Task<ImportResult> ImportAsync(string owner, string name, Stream archive) =>
        CreateAsync(owner, name, (dir, person) => TarImport.Extract(archive, dir, ImportOptions(person)), chown: false);

    /// <summary>The largest tarball a person may upload (compressed or not).</summary>
    public long UploadLimit => options.ImportMaxBytes;

    /// <summary>
    /// An uploaded tarball: spooled to a file beside the person's roots (the upload reads
    /// asynchronously and must not sit in memory), imported from there, then removed.
    /// </summary>
    public async Task<ImportResult> ImportUploadAsync(string owner, string name, Stream upload, CancellationToken cancel = default)
    {
        if (NameProblem(name) is { } problem) throw new ArgumentException(problem);
        var spool = NewWorkPath("upload");
        try
        {
            await using (var file = new FileStream(spool, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
                await upload.CopyToAsync(file, 1 << 20, cancel);
            await using var archive = new FileStream(spool, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            return await ImportAsync(owner, name, archive);
        }
        finally { File.Delete(spool); }
    }

    /// <summary>A Docker image's filesystem (docker create + export), extracted as a tarball is.</summary>
    public Task<ImportResult> FromImageAsync(string owner, string name, string image, Action<string>? progress, CancellationToken cancel = default) =>
        CreateAsync(owner, name, (dir, person) =>
            DockerImage.ExportAsync(image, s => TarImport.Extract(s, dir, ImportOptions(person)), options.DockerHost, pull: true, progress, cancel)
                .GetAwaiter().GetResult(), chown: false);

    /// <summary>Debian's minimal base (debootstrap, cached per suite in DataDirectory/cache), ids moved into the person's range.</summary>
    public Task CreateDebianAsync(string owner, string name, Action<string>? progress) =>
        CreateAsync(owner, name, (dir, person) =>
        {
            lock (DebianCacheLock) // one debootstrap at a time fills the cache; the others then copy it
                DebianRootfs.Create(dir, Path.Combine(options.DataDirectory, "cache"), progress: progress);
            TreeOwner.ShiftIds(dir, person.OutsideId, Person.IdsPerPerson);
            return true;
        }, chown: false);

    static readonly object DebianCacheLock = new();

    /// <summary>Why a Debian root cannot be made on this server, or null.</summary>
    public static string? DebianUnavailable => DebianRootfs.Unavailable();

    public void Delete(string owner, string name)
    {
        using (Open(owner, name)) { } // it exists, and is a directory
        var person = people.WithStore(owner);
        // Out of sight first (rename(2) moves the entry itself, a link never followed), then removed
        // by rm, whose walk does not follow a link a sandbox swaps in meanwhile.
        var trash = NewWorkPath(person, "deleted");
        Directory.Move(Path.Combine(person.RootfsStore, name), trash);
        RemoveTree(trash);
    }

    public void Rename(string owner, string name, string newName)
    {
        using (Open(owner, name)) { }
        if (NameProblem(newName) is { } problem) throw new ArgumentException(problem.Replace("name:", "new name:"));
        var store = people.WithStore(owner).RootfsStore;
        var target = Path.Combine(store, newName);
        if (Path.Exists(target) || new FileInfo(target).LinkTarget is not null) throw new ArgumentException($"new name: '{newName}' is taken");
        Directory.Move(Path.Combine(store, name), target);
    }

    /// <summary>
    /// A copy with everything as it is (modes, owners, links, hard links, times): the root read
    /// as a tarball by <see cref="RootfsTree"/> and unpacked by <see cref="TarImport"/>, both
    /// walking by descriptor, so a link swapped in meanwhile leads neither side out.
    /// </summary>
    public Task DuplicateAsync(string owner, string name, string copyName)
    {
        var source = Open(owner, name);
        return CreateAsync(owner, copyName, (dir, _) =>
        {
            using var held = source;
            var pipe = new System.IO.Pipelines.Pipe();
            var reading = Task.Run(() =>
            {
                try
                {
                    using (var w = pipe.Writer.AsStream()) RootfsTree.WriteTar(source.Path, w, id => id, id => id);
                }
                catch (Exception e) { pipe.Writer.Complete(e); throw; }
            });
            using (var r = pipe.Reader.AsStream())
                TarImport.Extract(r, dir, new ImportOptions { MaxBytes = long.MaxValue, MaxEntries = long.MaxValue, AllowDevices = true });
            reading.GetAwaiter().GetResult();
            return true;
        }, chown: false);
    }

    /// <summary>What keeps each ELF file of the root from running: its missing interpreter and libraries.</summary>
    public Task<IReadOnlyList<DoctorFinding>> ExamineAsync(string owner, string name)
    {
        return Task.Run(() =>
        {
            using var root = Open(owner, name);
            return RootfsDoctor.Examine(root.Path);
        });
    }

    /// <summary>Copies what the Doctor found missing from the server's own libraries; returns what was copied.</summary>
    public Task<IReadOnlyList<string>> FixAsync(string owner, string name) => Edit(owner, name, (dir, root) => RootfsDoctor.Fix(dir, owner: root));

    /// <summary>
    /// A program of the server (a world-readable ELF executable under /usr, /bin, /sbin or /lib)
    /// with its interpreter and libraries, at the same paths in the root; returns its tree.
    /// </summary>
    public Task<string> AddProgramAsync(string owner, string name, string program) => Edit(owner, name, (dir, root) =>
    {
        var problem = ProgramProblem(program);
        if (problem is not null) throw new ArgumentException(problem);
        var closure = ElfClosure.Of(program);
        if (closure.Missing.Count > 0)
            throw new InvalidOperationException($"program: {program} needs {string.Join(", ", closure.Missing)}, which this server does not have either");
        RootfsFiles.CopyInto(dir, closure.Files, root);
        return ElfClosure.Render(closure.Tree);
    });

    /// <summary>Why a host path may not be added as a program, or null.</summary>
    public static string? ProgramProblem(string program)
    {
        if (!Path.IsPathRooted(program)) return $"program: give an absolute path on the server, like /usr/bin/ls (not '{program}')";
        var full = Path.GetFullPath(program);
        if (!new[] { "/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/" }.Any(full.StartsWith))
            return $"program: {program} is not under /usr, /bin, /sbin or /lib; only the server's installed programs can be added";
        var real = Ownership.RealPath(full);
        if (real is null || !File.Exists(real)) return $"program: {program} does not exist on this server";
        if ((File.GetUnixFileMode(real) & UnixFileMode.OtherRead) == 0) return $"program: {program} is not readable by everyone on this server";
        if (ElfFile.TryRead(real) is null) return $"program: {program} is not an ELF program (a script? add its interpreter instead)";
        return null;
    }

    /// <summary>
    /// Compiles C source into the root with the server's gcc, run as the person's own root id
    /// (never as the server's root: the source is theirs, #include "/etc/shadow" included).
    /// </summary>
    public async Task<CompileResult> CompileAsync(string owner, string name, string source, bool isStatic, string output)
    {
        var person = people.WithStore(owner);
        // The source in a directory of the person's own (0700) where gcc, running as them, reads it.
        var work = Directory.CreateTempSubdirectory("playground-source-").FullName;
        try
        {
            var file = Path.Combine(work, "program.c");
            await File.WriteAllTextAsync(file, source);
            TreeOwner.ChownTree(work, person.OutsideId, person.OutsideId);
            return await Edit(owner, name, (dir, root) => RootfsCompiler.Compile(dir, file, isStatic, output, runAs: root));
        }
        finally { RemoveTree(work); }
    }

    /// <summary>
    /// Runs a change to an existing root. Whatever the server's root makes in it is made as the
    /// person's root id (<paramref name="change"/> gets that id), by descriptor, beneath the root.
    /// </summary>
    async Task<T> Edit<T>(string owner, string name, Func<string, (uint Uid, uint Gid), T> change)
    {
        var person = people.WithStore(owner);
        return await Task.Run(() =>
        {
            using var root = Open(owner, name);
            return change(root.Path, (person.OutsideId, person.OutsideId));
        });
    }

    ImportOptions ImportOptions(Person person) => new()
    {
        MaxBytes = options.ImportMaxBytes,
        MaxEntries = options.ImportMaxEntries,
        MapUid = id => (int)person.OutsideId + (id is >= 0 and < (int)Person.IdsPerPerson ? id : 65534),
        MapGid = id => (int)person.OutsideId + (id is >= 0 and < (int)Person.IdsPerPerson ? id : 65534),
    };

    /// <summary>
    /// Builds a new root filesystem in a hidden work directory and renames it into place;
    /// removes the work directory if the build throws. <paramref name="chown"/>: everything
    /// becomes the person's root's (builders that write as the server's root).
    /// </summary>
    async Task<T> CreateAsync<T>(string owner, string name, Func<string, Person, T> build, bool chown)
    {
        if (NameProblem(name) is { } problem) throw new ArgumentException(problem);
        var person = people.WithStore(owner);
        var target = Path.Combine(person.RootfsStore, name);
        if (Taken(target)) throw new ArgumentException($"name: '{name}' is taken");
        if (List(owner).Count >= options.MaxRootfsPerPerson)
            throw new InvalidOperationException($"you have {options.MaxRootfsPerPerson} root filesystems, the most this server keeps per person: delete one first");
        var work = NewWorkPath(person, "new");
        Directory.CreateDirectory(work);
        File.SetUnixFileMode(work, (UnixFileMode)0x1ed);
        try
        {
            var result = await Task.Run(() => build(work, person));
            if (chown) TreeOwner.ChownTree(work, person.OutsideId, person.OutsideId);
            else TreeOwner.Chown(work, person.OutsideId, person.OutsideId);
            if (Taken(target)) throw new ArgumentException($"name: '{name}' was taken meanwhile");
            Directory.Move(work, target);
            return result;
        }
        catch
        {
            if (Directory.Exists(work)) RemoveTree(work);
            throw;
        }
    }

    static bool Taken(string path) => Path.Exists(path) || new FileInfo(path).LinkTarget is not null;

    /// <summary>What a crash left behind: roots half made or half deleted, spooled uploads.</summary>
    public static void SweepWorkDirectory(string dataDirectory)
    {
        var work = Path.Combine(dataDirectory, ".work");
        if (Directory.Exists(work)) RemoveTree(work);
    }

    /// <summary>
    /// rm -rf, as GNU rm does it: a descriptor-based walk that never follows a symlink, even one
    /// swapped in while it runs, and stays on one filesystem (a mount left inside is not emptied).
    /// </summary>
    static void RemoveTree(string path) => Run("rm", "-rf", "--one-file-system", "--", path);

    static void Run(string file, params string[] args)
    {
        var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, UseShellExecute = false })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new IOException($"{file}: {err.Trim()}");
    }
}
