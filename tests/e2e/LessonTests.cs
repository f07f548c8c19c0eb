using Playground.E2E.Support;
using Xunit.Abstractions;

namespace Playground.E2E;

/// <summary>A person follows the first lesson in the browser: buttons type the snippets into their host shell, checks turn green.</summary>
[Collection(AppCollection.Name)]
public sealed class LessonTests(AppFixture fixture, ITestOutputHelper log) : IAsyncLifetime
{
    IBrowserContext _visitor = default!;

    public async Task InitializeAsync() => _visitor = await fixture.NewVisitorAsync(1400, 900);
    public async Task DisposeAsync() => await _visitor.CloseAsync();

    [Fact]
    public async Task The_first_lesson_is_followed_by_clicking_its_snippets_and_its_checks_turn_green()
    {
        var page = await _visitor.NewPageAsync();
        page.SetDefaultTimeout(PlaygroundPage.Timeout);
        await page.GotoAsync("/lessons");
        var link = page.GetByRole(AriaRole.Link, new() { Name = "A root filesystem of one program" });
        Assert.Equal("/lessons/01-a-first-root", await link.GetAttributeAsync("href"));
        await page.GotoAsync("/lessons/01-a-first-root"); // not a click on the prerendered list: it may come before Blazor is up
        await PlaygroundPage.WaitUntilLiveAsync(page, "Open a host shell");

        // Checking before doing: the step is not done, and the page says what to do.
        var step1 = page.GetByLabel("step 1", new() { Exact = true });
        await step1.GetByRole(AriaRole.Button, new() { Name = "check step 1" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("check result 1")).ToContainTextAsync("There is no ~/rootfs/foo yet");
        await step1.GetByRole(AriaRole.Button, new() { Name = "Show a hint (1 of 1)" }).ClickAsync();
        await Assertions.Expect(step1.GetByLabel("hint")).ToContainTextAsync("here document");

        await page.GetByRole(AriaRole.Button, new() { Name = "Open a host shell" }).ClickAsync();
        var view = page.Locator(".terminal-view");
        await Assertions.Expect(view).ToHaveCountAsync(1);
        var shell = new TerminalScreen(page, (await view.GetAttributeAsync("data-terminal-id"))!);
        await shell.WaitForFirstPromptAsync();

        for (var n = 1; n <= 3; n++)
        {
            var step = page.GetByLabel($"step {n}", new() { Exact = true });
            var snippets = step.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^type snippet at line") });
            Assert.True(await snippets.CountAsync() > 0);
            for (var i = 0; i < await snippets.CountAsync(); i++)
            {
                var text = await step.Locator("pre.lesson-snippet").Nth(i).InnerTextAsync();
                await snippets.Nth(i).ClickAsync();
                // Its last line shows up typed at a prompt, then the prompt comes back when it has run.
                await shell.WaitForRowAsync(System.Text.RegularExpressions.Regex.Escape(text.TrimEnd().Split('\n')[^1]) + "$");
                await shell.WaitForPromptAsync();
            }
            await step.GetByRole(AriaRole.Button, new() { Name = $"check step {n}" }).ClickAsync();
            await Assertions.Expect(page.GetByLabel($"check result {n}")).ToContainTextAsync("Done: the check passed.");
            await Assertions.Expect(step.GetByLabel("step done")).ToBeVisibleAsync();
        }
        await shell.WaitForRowAsync("^hello$"); // the chroot that works at last, on the screen
        log.WriteLine(await shell.ScreenAsync());

        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Next: Bash history and readline" })).ToHaveAttributeAsync("href", "/lessons/02-history-and-readline");

        // The progress is kept: the course list says so.
        await page.GotoAsync("/lessons");
        await Assertions.Expect(page.GetByLabel("lesson A root filesystem of one program")).ToContainTextAsync("3 of 3 checks passed");
    }

    [Fact]
    public async Task A_spec_snippet_opens_in_the_builder()
    {
        var page = await _visitor.NewPageAsync();
        page.SetDefaultTimeout(PlaygroundPage.Timeout);
        await page.GotoAsync("/lessons/15-seccomp");
        var open = page.GetByRole(AriaRole.Link, new() { Name = "Open in builder" }).First;
        Assert.Matches(@"^/\?lesson=15-seccomp&line=\d+$", await open.GetAttributeAsync("href"));
        await page.GotoAsync((await open.GetAttributeAsync("href"))!);
        await PlaygroundPage.WaitUntilLiveAsync(page, "Run");
        await Assertions.Expect(page.GetByLabel("Path in your lab")).ToHaveValueAsync("/root/toyfs");
    }

    [Fact]
    public async Task A_bad_lesson_file_keeps_the_server_from_starting_and_is_named_with_its_line()
    {
        var dir = Directory.CreateTempSubdirectory("pg-bad-lessons-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "01-broken.md"), "---\ntitle: Broken\n---\n\n## A step\n\ntext\n");
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => PlaygroundApp.StartAsync(settings: [$"--Playground:LessonsDirectory={dir}"]));
            Assert.Contains("exited with 2", refused.Message);
            Assert.Contains($"{dir}/01-broken.md:1: front matter: summary is required", refused.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
