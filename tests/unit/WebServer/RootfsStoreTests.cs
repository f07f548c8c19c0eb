using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Playground.Engine.Spec;
using Playground.Tests.Launch;
using Playground.Web;
using Playground.Web.Rootfs;
using Playground.Web.Sandboxes;
using static Playground.Tests.Support.HostCommand;

using Playground.Tests.Support;

namespace Playground.Tests.WebServer;

/// <summary>A person's root filesystems: made whole or not at all, theirs only, owned by their range.</summary>
[Collection("sandbox")]
public sealed class RootfsStoreTests : IDisposable
{
    readonly SandboxFixture _f;
    readonly string _data = Directory.CreateTempSubdirectory("playground-rootfs-store-").FullName;
    const string Alice = "0123456789abcdef0123456789abcdef", Bob = "fedcba9876543210fedcba9876543210";
    readonly RootfsStore _store;
    readonly People _people;

    public RootfsStoreTests(SandboxFixture f)
    {
        _f = f;
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        _people = TestDb.People(Options);
        _store = new RootfsStore(_people, Options);
    }

    PlaygroundOptions Options => new() { DataDirectory = _data, MaxRootfsPerPerson = 4, ImportMaxBytes = 8 << 20, StoreBytes = 64L << 20 };
    Person A => _people.WithStore(Alice);

    /// <summary>Where a root is on the server (for the test's own looking; the store never joins paths so).</summary>
    string PathOf(string owner, string name)
    {
        using (_store.Open(owner, name)) { } // it exists, theirs
        return Path.Combine(_people.Get(owner).RootfsStore, name);
    }

    [Fact]
    public async Task New_roots_are_listed_whole_and_owned_by_the_persons_root()
    {
        await _store.CreateEmptyAsync(Alice, "empty", standardDirectories: false);
        await _store.CreateEmptyAsync(Alice, "dirs", standardDirectories: true);
        Assert.Equal(["busybox", "dirs", "empty"], _store.List(Alice).Select(r => r.Name));
        Assert.Empty(Directory.EnumerateFileSystemEntries(PathOf(Alice, "empty")));
        Assert.True(Directory.Exists(Path.Combine(PathOf(Alice, "dirs"), "proc")));
        foreach (var path in Tree(PathOf(Alice, "dirs")))
            Assert.Equal(A.OutsideId, Owner(path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(A.RootfsStore, ".*"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../escape")]
    [InlineData(".hidden")]
    [InlineData("Upper")]
    [InlineData("a/b")]
    [InlineData("-dash")]
    public async Task Bad_names_are_refused_naming_the_field_and_nothing_is_made(string name)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => _store.CreateEmptyAsync(Alice, name, false));
        Assert.StartsWith("name:", e.Message);
        Assert.Equal(["busybox"], _store.List(Alice).Select(r => r.Name));
        Assert.False(Directory.Exists(Path.Combine(_data, "escape")));
    }

    [Fact]
    public async Task A_taken_name_and_the_per_person_limit_are_refused()
    {
        await _store.CreateEmptyAsync(Alice, "one", false);
        var taken = await Assert.ThrowsAsync<ArgumentException>(() => _store.CreateEmptyAsync(Alice, "one", false));
        Assert.Contains("taken", taken.Message);
        await _store.CreateEmptyAsync(Alice, "two", false);
        await _store.CreateEmptyAsync(Alice, "three", false); // busybox + 3 = the limit of 4
        var full = await Assert.ThrowsAsync<InvalidOperationException>(() => _store.CreateEmptyAsync(Alice, "four", false));
        Assert.Contains("4 root filesystems", full.Message);
    }

    [Fact]
    public async Task A_failed_import_leaves_nothing_and_a_good_one_maps_the_archives_ids_into_the_range()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => _store.ImportUploadAsync(Alice, "junk", new MemoryStream("not an archive at all"u8.ToArray())));
        Assert.DoesNotContain(_store.List(Alice), r => r.Name == "junk");
        Assert.Empty(Directory.EnumerateFileSystemEntries(A.RootfsStore, ".*"));

        var tar = new MemoryStream();
        using (var w = new TarWriter(tar, leaveOpen: true))
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "etc/") { Mode = (UnixFileMode)0x1ed });
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/www") { Uid = 33, Gid = 33, Mode = (UnixFileMode)0x1a4, DataStream = new MemoryStream("web\n"u8.ToArray()) });
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "../outside") { DataStream = new MemoryStream("x"u8.ToArray()) });
        }
        tar.Position = 0;
        var result = await _store.ImportUploadAsync(Alice, "www", tar);
        Assert.Equal(["../outside"], result.Refused.Select(r => r.Name));
        var root = PathOf(Alice, "www");
        Assert.Equal(A.OutsideId + 33, Owner(Path.Combine(root, "etc", "www")));
        Assert.Equal(A.OutsideId, Owner(Path.Combine(root, "etc")));
        Assert.Equal(A.OutsideId, Owner(root));
        Assert.False(File.Exists(Path.Combine(A.RootfsStore, "outside")));
    }

    [Fact]
    public async Task Duplicate_rename_and_delete_and_nobody_else_can_name_them()
    {
        await _store.DuplicateAsync(Alice, "busybox", "copy");
        Assert.Equal(A.OutsideId, Owner(Path.Combine(PathOf(Alice, "copy"), "bin", "busybox")));
        _store.Rename(Alice, "copy", "renamed");
        Assert.Equal(["busybox", "renamed"], _store.List(Alice).Select(r => r.Name));
        var bobs = Assert.Throws<ArgumentException>(() => _store.Open(Bob, "renamed"));
        Assert.Contains("no root filesystem called 'renamed'", bobs.Message);
        Assert.Throws<ArgumentException>(() => _store.Delete(Bob, "renamed"));
        _store.Delete(Alice, "renamed");
        Assert.Equal(["busybox"], _store.List(Alice).Select(r => r.Name));
        Assert.Throws<ArgumentException>(() => _store.Rename(Alice, "busybox", "../up"));
    }

    [Fact]
    public void The_first_busybox_is_not_brought_back_once_deleted_and_crash_leftovers_are_swept()
    {
        _store.Delete(Alice, "busybox");
        Assert.Empty(new RootfsStore(TestDb.People(Options), Options).List(Alice));
        var work = Path.Combine(_data, ".work");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "upload-1"), "half");
        Directory.CreateDirectory(Path.Combine(A.StoreWork, "new-0123", "bin"));
        _people.UnmountStores(); // a reboot
        _ = TestDb.People(Options).Get(Alice); // a restart, and Alice comes back
        Assert.False(Directory.Exists(work));
        Assert.Empty(Directory.EnumerateFileSystemEntries(A.StoreWork));
        Assert.Empty(_store.List(Alice));
    }

    [Fact]
    public async Task A_root_swapped_for_a_link_by_the_lab_is_no_root_and_nothing_is_done_through_it()
    {
        // The lab's root owns /roots (the store's rootfs/): it can put a link where a root was.
        var outside = Directory.CreateTempSubdirectory("playground-outside-").FullName;
        try
        {
            Directory.Move(Path.Combine(A.RootfsStore, "busybox"), Path.Combine(A.RootfsStore, "real"));
            File.CreateSymbolicLink(Path.Combine(A.RootfsStore, "busybox"), outside);
            Assert.Throws<ArgumentException>(() => _store.Open(Alice, "busybox"));
            await Assert.ThrowsAsync<ArgumentException>(() => _store.FixAsync(Alice, "busybox"));
            await Assert.ThrowsAsync<ArgumentException>(() => _store.AddProgramAsync(Alice, "busybox", "/usr/bin/ls"));
            Assert.Throws<ArgumentException>(() => _store.Delete(Alice, "busybox"));
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
            Assert.DoesNotContain("busybox", _store.List(Alice).Select(r => r.Name)); // a link is not listed
            // a root held open stays that root when its name is swapped meanwhile
            using var held = _store.Open(Alice, "real");
            Directory.Move(Path.Combine(A.RootfsStore, "real"), Path.Combine(A.RootfsStore, "elsewhere"));
            File.CreateSymbolicLink(Path.Combine(A.RootfsStore, "real"), outside);
            Assert.True(File.Exists(Path.Combine(held.Path, "bin", "busybox")));
        }
        finally { Directory.Delete(outside, recursive: true); }
    }

    [Fact]
    public void The_store_is_a_filesystem_of_its_own_size_so_filling_it_fills_nothing_else()
    {
        var (used, size) = _store.Space(Alice);
        Assert.InRange(size, Options.StoreBytes / 2, Options.StoreBytes); // less the journal and tables
        Assert.True(used > 0);
        var hostFreeBefore = new DriveInfo(_data).AvailableFreeSpace;
        var fill = Path.Combine(A.RootfsStore, "busybox", "fill");
        using (var dd = Process.Start(new ProcessStartInfo("dd", ["if=/dev/zero", $"of={fill}", "bs=1M", $"count={Options.StoreBytes >> 20}"]) { RedirectStandardError = true })!)
        {
            var err = dd.StandardError.ReadToEnd();
            dd.WaitForExit();
            Assert.NotEqual(0, dd.ExitCode);
            Assert.Contains("No space left on device", err);
        }
        Assert.True(_store.Space(Alice).Used >= size * 9 / 10);
        // the server's own disk lost at most the image's size (it is sparse; never more)
        Assert.True(hostFreeBefore - new DriveInfo(_data).AvailableFreeSpace <= Options.StoreBytes);
        File.Delete(fill);
    }

    [Fact]
    public async Task A_link_in_the_root_that_points_at_the_server_leads_a_copy_into_the_root_never_out()
    {
        var outside = Directory.CreateTempSubdirectory("playground-outside-").FullName;
        try
        {
            await _store.CreateEmptyAsync(Alice, "trap", false);
            var root = PathOf(Alice, "trap");
            File.CreateSymbolicLink(Path.Combine(root, "usr"), outside); // absolute: in the root it means <root>/tmp/...
            await _store.AddProgramAsync(Alice, "trap", "/usr/bin/ls");
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
            Assert.True(File.Exists(Path.Combine(root, outside.TrimStart('/'), "bin", "ls")));
        }
        finally { Directory.Delete(outside, recursive: true); }
    }

    [Theory]
    [InlineData("usr/bin/ls", "absolute path")]
    [InlineData("/etc/shadow", "not under /usr")]
    [InlineData("/usr/bin/no-such-program", "does not exist")]
    [InlineData("/usr/share/common-licenses/GPL-3", "not an ELF program")]
    public void Programs_that_may_not_be_added_are_refused_with_the_reason(string program, string reason)
    {
        var problem = RootfsStore.ProgramProblem(program);
        Assert.NotNull(problem);
        Assert.Contains(reason, problem);
        Assert.StartsWith("program:", problem);
    }

    [Fact]
    public async Task A_program_added_with_its_libraries_runs_in_an_empty_root_and_the_copies_are_the_persons()
    {
        await _store.CreateEmptyAsync(Alice, "ls", false);
        var tree = await _store.AddProgramAsync(Alice, "ls", "/usr/bin/ls");
        Assert.Contains("libc.so.6", tree);
        var root = PathOf(Alice, "ls");
        Assert.All(Tree(root), p => Assert.Equal(A.OutsideId, Owner(p)));
        var run = _f.Run(SandboxSpec.Default(root, ["/usr/bin/ls", "/"]) with { UidMap = A.IdMap, GidMap = A.IdMap });
        Assert.Equal(0, run.Exit.Code);
        Assert.Contains("usr", run.Out);
    }

    [Fact]
    public async Task Compiling_runs_as_the_persons_root_so_the_servers_secrets_stay_out()
    {
        await _store.CreateEmptyAsync(Alice, "c", false);
        var leak = await _store.CompileAsync(Alice, "c", "#include \"/etc/shadow\"\nint main(void){return 0;}\n", isStatic: true, "/leak");
        Assert.False(leak.Ok);
        Assert.Contains("Permission denied", leak.Diagnostics);
        Assert.DoesNotContain("root:", leak.Diagnostics);

        var hello = await _store.CompileAsync(Alice, "c", "#include <stdio.h>\nint main(void){printf(\"Hello, World!\\n\");return 0;}\n", isStatic: true, "/hello");
        Assert.True(hello.Ok, hello.Diagnostics);
        var root = PathOf(Alice, "c");
        var run = _f.Run(SandboxSpec.Default(root, ["/hello"]) with { UidMap = A.IdMap, GidMap = A.IdMap });
        Assert.Equal("Hello, World!\n", run.Out);
    }

    [Fact]
    public async Task The_doctor_finds_what_a_dynamic_hello_lacks_and_the_fix_makes_it_run()
    {
        await _store.CreateEmptyAsync(Alice, "dyn", false);
        Assert.True((await _store.CompileAsync(Alice, "dyn", "#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n", isStatic: false, "/hello")).Ok);
        var finding = Assert.Single(await _store.ExamineAsync(Alice, "dyn"));
        Assert.Equal("/hello", finding.File);
        Assert.NotNull(finding.MissingInterpreter);
        Assert.Contains("libc.so.6", finding.MissingLibraries);
        var copied = await _store.FixAsync(Alice, "dyn");
        Assert.NotEmpty(copied);
        Assert.Empty(await _store.ExamineAsync(Alice, "dyn"));
        var root = PathOf(Alice, "dyn");
        Assert.All(Tree(root), p => Assert.Equal(A.OutsideId, Owner(p)));
        Assert.Equal("hi\n", _f.Run(SandboxSpec.Default(root, ["/hello"]) with { UidMap = A.IdMap, GidMap = A.IdMap }).Out);
    }

    [Fact]
    public async Task The_download_is_the_owners_root_with_inside_ids_and_nobody_elses()
    {
        var bobMissing = new DefaultHttpContext { User = Visitor(Bob) };
        await _store.CreateEmptyAsync(Alice, "alices", false);
        await RootfsDownload.Handle(bobMissing, "alices", _store);
        Assert.Equal(404, bobMissing.Response.StatusCode);

        var alice = new DefaultHttpContext { User = Visitor(Alice) };
        var body = new MemoryStream();
        alice.Response.Body = body;
        await RootfsDownload.Handle(alice, "busybox", _store);
        Assert.Equal("application/gzip", alice.Response.ContentType);
        var tgz = Path.Combine(_data, "dl.tar.gz");
        await File.WriteAllBytesAsync(tgz, body.ToArray());
        var listing = Output("tar", "--numeric-owner", "-tvzf", tgz);
        Assert.Contains(" 0/0 ", listing);
        Assert.Contains("bin/busybox", listing);
        Assert.DoesNotContain($" {A.OutsideId}/", listing);
    }

    static ClaimsPrincipal Visitor(string id) => new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id)], "test"));

    static IEnumerable<string> Tree(string root) =>
        new[] { root }.Concat(Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }));

    static uint Owner(string path) => uint.Parse(Output("stat", "-c", "%u", path).Trim());


    public void Dispose()
    {
        _people.UnmountStores();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
