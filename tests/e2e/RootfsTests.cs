using System.Diagnostics;
using Playground.E2E.Support;
using Xunit.Abstractions;

namespace Playground.E2E;

/// <summary>
/// The workshop's first lesson in the browser: an empty root, a compiled hello that cannot run,
/// the Doctor saying why and copying the loader and libc, then the hello running in a sandbox.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class RootfsTests(AppFixture fixture, ITestOutputHelper log) : IAsyncLifetime
{
    IBrowserContext _visitor = default!;

    public async Task InitializeAsync() => _visitor = await fixture.NewVisitorAsync(1400, 900);
    public async Task DisposeAsync() => await _visitor.CloseAsync();

    async Task<IPage> OpenRootfsPageAsync()
    {
        await PlaygroundPage.OpenAsync(_visitor); // a first visit makes the visitor's busybox root
        var page = await _visitor.NewPageAsync();
        page.SetDefaultTimeout(PlaygroundPage.Timeout);
        await page.GotoAsync("/rootfs");
        var create = page.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true });
        await create.WaitForAsync();
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('button')].some(b => b.textContent.trim() === 'Create' && Object.keys(b).some(k => k.startsWith('_blazorEvents_')))");
        return page;
    }

    static ILocator Button(IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    [Fact]
    public async Task A_dynamic_hello_is_compiled_diagnosed_fixed_and_runs_in_a_sandbox()
    {
        var page = await OpenRootfsPageAsync();
        await page.GetByLabel("Name").FillAsync("hello-lab");
        await Button(page, "Create").ClickAsync();
        await Assertions.Expect(page.GetByText("hello-lab is ready")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Tab, new() { Name = "Compile C" }).ClickAsync();
        await Button(page, "Compile").ClickAsync();
        await Assertions.Expect(page.GetByText("/hello is in the root.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Tab, new() { Name = "Doctor" }).ClickAsync();
        await Button(page, "Examine").ClickAsync();
        await Assertions.Expect(page.GetByText("1 file would not run:")).ToBeVisibleAsync();
        var row = page.Locator("tr", new() { HasText = "/hello" });
        await Assertions.Expect(row).ToContainTextAsync("ld-linux-x86-64.so.2");
        await Assertions.Expect(row).ToContainTextAsync("libc.so.6");
        await Button(page, "Copy what is missing").ClickAsync();
        await Assertions.Expect(page.GetByText("Every ELF file here has its interpreter and libraries.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Tab, new() { Name = "Files" }).ClickAsync();
        await Button(page, "hello").ClickAsync();
        await Assertions.Expect(page.GetByText("interpreter:")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("needed libraries: libc.so.6")).ToBeVisibleAsync();

        // Back to the builder: this root, this command, Run.
        var builder = await PlaygroundPage.OpenAsync(_visitor);
        await builder.Page.GetByLabel("Root filesystem").ClickAsync();
        await builder.Page.GetByRole(AriaRole.Option, new() { Name = "hello-lab" }).ClickAsync();
        var command = builder.Page.GetByLabel("Command");
        await command.FillAsync("/hello");
        await Assertions.Expect(builder.Page.GetByText("argv: [/hello]")).ToBeVisibleAsync();
        await builder.RunButton.ClickAsync();
        await Assertions.Expect(builder.TerminalViews).ToHaveCountAsync(1);
        var id = await builder.TerminalViews.First.GetAttributeAsync("data-terminal-id");
        var term = new TerminalScreen(builder.Page, id!);
        var rows = await term.WaitForRowAsync("^Hello, World!$");
        log.WriteLine(await term.ScreenAsync());
    }

    [Fact]
    public async Task An_uploaded_tarball_with_hostile_entries_is_imported_and_the_refused_ones_are_listed()
    {
        var dir = Directory.CreateTempSubdirectory("playground-e2e-tar-").FullName;
        try
        {
            // A tiny root with a file, and an entry that climbs out (GNU tar keeps it with -P).
            Directory.CreateDirectory(Path.Combine(dir, "root", "etc"));
            File.WriteAllText(Path.Combine(dir, "root", "etc", "motd"), "hello from a tarball\n");
            File.WriteAllText(Path.Combine(dir, "evil"), "x");
            var tar = Path.Combine(dir, "upload.tar.gz");
            Run("tar", "-C", Path.Combine(dir, "root"), "-czPf", tar, "etc", "../evil");

            var page = await OpenRootfsPageAsync();
            await page.GetByLabel("Start from").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "a tarball (tar, tar.gz, tar.xz, tar.zst)" }).ClickAsync();
            await page.GetByLabel("Name").FillAsync("from-tar");
            // Blazor's InputFile listens once its script has set up the element (it then carries _blazorInputFileNextFileId).
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('input[type=file]'); return !!i && '_blazorInputFileNextFileId' in i; }");
            await page.Locator("input[type=file]").SetInputFilesAsync(tar);
            await Assertions.Expect(page.Locator("p", new() { HasText = "upload.tar.gz (" })).ToBeVisibleAsync();
            await Button(page, "Create").ClickAsync();
            await Assertions.Expect(page.GetByText("1 entry was refused")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("../evil")).ToBeVisibleAsync();
            await Button(page, "etc/").ClickAsync();
            await Button(page, "motd").ClickAsync();
            await Assertions.Expect(page.GetByText("hello from a tarball")).ToBeVisibleAsync();
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    static void Run(string file, params string[] args)
    {
        var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file}: {err}");
    }
}
