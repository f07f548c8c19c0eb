using Playground.E2E.Support;
using Xunit.Abstractions;

namespace Playground.E2E;

/// <summary>The workshop's host in the browser: a shell on the visitor's own lab.</summary>
[Collection(AppCollection.Name)]
public sealed class LabTests(AppFixture fixture, ITestOutputHelper log) : IAsyncLifetime
{
    IBrowserContext _visitor = default!;

    public async Task InitializeAsync() => _visitor = await fixture.NewVisitorAsync(1400, 900);
    public async Task DisposeAsync() => await _visitor.CloseAsync();

    [Fact]
    public async Task Host_shell_opens_a_root_shell_on_the_visitors_own_lab_where_namespaces_work_by_hand()
    {
        var page = await PlaygroundPage.OpenAsync(_visitor);
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Host shell", Exact = true }).ClickAsync();
        await Assertions.Expect(page.TerminalViews).ToHaveCountAsync(1);
        var id = await page.TerminalViews.First.GetAttributeAsync("data-terminal-id");
        var term = new TerminalScreen(page.Page, id!);
        await term.WaitForFirstPromptAsync();
        await term.TypeLineAsync("echo uid=$(id -u) on $(hostname)");
        await term.WaitForRowAsync("^uid=0 on lab-[0-9a-f]{12}$");
        await term.WaitForPromptAsync();
        await term.TypeLineAsync("unshare -n ip -o link | cut -d: -f2");
        await term.WaitForRowAsync("^lo$"); // a network namespace made by hand, inside the lab
        await term.WaitForPromptAsync();
        log.WriteLine(await term.ScreenAsync());

        // The lab outlives its shells until ended; ending it ends the shell too.
        var end = page.Page.GetByRole(AriaRole.Button, new() { Name = "End lab" });
        await end.ClickAsync();
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Really end the lab?" }).ClickAsync();
        await Assertions.Expect(page.Page.GetByLabel("exit status")).Not.ToHaveTextAsync("running");
    }

    [Fact]
    public async Task A_root_built_by_hand_in_the_host_shell_runs_from_the_builder_and_the_lab_panel_shows_its_use()
    {
        var page = await PlaygroundPage.OpenAsync(_visitor);
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Host shell", Exact = true }).ClickAsync();
        await Assertions.Expect(page.TerminalViews).ToHaveCountAsync(1);
        var shell = new TerminalScreen(page.Page, (await page.TerminalViews.First.GetAttributeAsync("data-terminal-id"))!);
        await shell.WaitForFirstPromptAsync();
        // The store the builder lists is the lab's /roots; a root can also be anywhere in the lab.
        await shell.TypeLineAsync("ls /roots");
        await shell.WaitForRowAsync("^busybox$");
        await shell.WaitForPromptAsync();
        await shell.TypeLineAsync("mkdir -p rootfs/bin && cp /roots/busybox/bin/busybox rootfs/bin/");
        await shell.WaitForPromptAsync();
        await shell.TypeLineAsync("echo built-by-$((6*7)) > rootfs/marker");
        await shell.WaitForPromptAsync();

        // The lab panel: running, its memory against the lab's limit.
        await Assertions.Expect(page.Page.GetByLabel("lab status")).ToContainTextAsync("running since");
        await Assertions.Expect(page.Page.GetByLabel("memory", new() { Exact = true })).ToContainTextAsync("of 1 GiB");

        await page.Page.GetByLabel("Path in your lab").FillAsync("/root/rootfs");
        await page.Page.GetByLabel("Path in your lab").PressAsync("Tab");
        await page.Page.GetByRole(AriaRole.Textbox, new() { Name = "Command", Exact = true }).FillAsync("/bin/busybox cat /marker");
        await Assertions.Expect(page.Page.GetByText("argv: [/bin/busybox] [cat] [/marker]")).ToBeVisibleAsync();
        await page.RunButton.ClickAsync();
        await Assertions.Expect(page.TerminalViews).ToHaveCountAsync(2); // the shell's tab stays alive, hidden
        var visible = page.Page.Locator("div.terminal-view[data-terminal-id]:visible");
        await Assertions.Expect(visible).ToHaveCountAsync(1);
        var id = await visible.GetAttributeAsync("data-terminal-id");
        var run = new TerminalScreen(page.Page, id!);
        await run.WaitForRowAsync("^built-by-42$");
        log.WriteLine(await run.ScreenAsync());
    }
}
