namespace Playground.E2E.Support;

/// <summary>The playground's page (/) as a person uses it: the builder on the left, sandboxes on the right.</summary>
public sealed class PlaygroundPage(IPage page)
{
    /// <summary>Generous: the machine is slow, and a first visit makes the visitor's busybox root.</summary>
    public const float Timeout = 90_000;

    public IPage Page { get; } = page;

    public ILocator RunButton => Page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true });
    public ILocator Switch(string name) => Page.GetByRole(AriaRole.Switch, new() { Name = name, Exact = true });
    public ILocator TerminalViews => Page.Locator("div.terminal-view[data-terminal-id]");

    public static async Task<PlaygroundPage> OpenAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var p = new PlaygroundPage(page);
        await page.GotoAsync("/");
        await p.WaitUntilInteractiveAsync();
        return p;
    }

    /// <summary>
    /// The page is prerendered: until Blazor's circuit is up, a click on Run or a switch does
    /// nothing (or desynchronises a switch). Blazor keeps the handlers it wires on the element
    /// (a "_blazorEvents_N" property), so the Run button having one means the page is live.
    /// </summary>
    public async Task WaitUntilInteractiveAsync()
    {
        await RunButton.WaitForAsync(new() { State = WaitForSelectorState.Visible });
        await Page.WaitForFunctionAsync(
            """
            () => {
                const run = [...document.querySelectorAll('button')].find(b => b.getAttribute('aria-label') === 'Run');
                return !!run && Object.keys(run).some(k => k.startsWith('_blazorEvents_'));
            }
            """, null, new() { Timeout = Timeout });
    }

    /// <summary>Any page: waits until the button whose text is <paramref name="buttonText"/> has Blazor's handlers (the circuit is up).</summary>
    public static async Task WaitUntilLiveAsync(IPage page, string buttonText) =>
        await page.WaitForFunctionAsync(
            """
            text => {
                const b = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === text);
                return !!b && Object.keys(b).some(k => k.startsWith('_blazorEvents_'));
            }
            """, buttonText, new() { Timeout = Timeout });

    public async Task ReloadAsync()
    {
        await Page.ReloadAsync();
        await WaitUntilInteractiveAsync();
    }

    /// <summary>Turns a namespace switch on (if it is off) and checks that it is on.</summary>
    public async Task EnsureSwitchOnAsync(string name)
    {
        var s = Switch(name);
        if (!await s.IsCheckedAsync()) await s.CheckAsync();
        await Assertions.Expect(s).ToBeCheckedAsync(new() { Timeout = Timeout });
    }

    /// <summary>Turns a namespace switch off (if it is on) and checks that it is off.</summary>
    public async Task EnsureSwitchOffAsync(string name)
    {
        var s = Switch(name);
        if (await s.IsCheckedAsync()) await s.UncheckAsync();
        await Assertions.Expect(s).Not.ToBeCheckedAsync(new() { Timeout = Timeout });
    }

    /// <summary>Presses Run and returns the new sandbox's terminal once its shell shows a prompt.</summary>
    public async Task<TerminalScreen> RunAsync()
    {
        var before = await TerminalViews.CountAsync();
        await Assertions.Expect(RunButton).ToBeEnabledAsync(new() { Timeout = Timeout });
        await RunButton.ClickAsync();
        await Assertions.Expect(TerminalViews).ToHaveCountAsync(before + 1, new() { Timeout = Timeout });
        var id = await TerminalViews.Nth(before).GetAttributeAsync("data-terminal-id")
                 ?? throw new InvalidOperationException("a terminal view without data-terminal-id");
        var terminal = new TerminalScreen(Page, id);
        await terminal.WaitForFirstPromptAsync();
        return terminal;
    }

    /// <summary>The terminal with this id on the page (e.g. after a reload), once xterm.js is in it.</summary>
    public async Task<TerminalScreen> TerminalAsync(string id, string? prompt)
    {
        var t = new TerminalScreen(Page, id, prompt);
        await t.View.Locator(".xterm-rows").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return t;
    }
}
