namespace Playground.E2E.Support;

/// <summary>
/// One xterm.js terminal on the page, read the way a person reads it: the rows on the screen
/// (xterm.js's DOM renderer, one div per row in .xterm-rows), and typed into with the keyboard.
/// </summary>
public sealed class TerminalScreen(IPage page, string id, string? prompt = null)
{
    public IPage Page { get; } = page;
    public string Id { get; } = id;
    public ILocator View => Page.Locator($"div.terminal-view[data-terminal-id='{Id}']");
    /// <summary>The shell's prompt as first seen (e.g. "/ #"), trimmed.</summary>
    public string? Prompt { get; private set; } = prompt;

    const string RowsScript =
        """
        id => {
            const rows = document.querySelector(`div.terminal-view[data-terminal-id="${id}"] .xterm-rows`);
            return rows ? Array.from(rows.children, r => r.textContent.replace(/\u00a0/g, ' ').trim()) : [];
        }
        """;

    /// <summary>The screen's rows, each trimmed.</summary>
    public async Task<string[]> RowsAsync() => await Page.EvaluateAsync<string[]>(RowsScript, Id);

    public async Task<string> ScreenAsync() => string.Join('\n', await RowsAsync());

    public async Task FocusAsync() => await View.Locator(".xterm-screen").ClickAsync();

    /// <summary>Types a line as keystrokes (xterm.js's textarea gets each key) and presses Enter.</summary>
    public async Task TypeLineAsync(string line)
    {
        await TypeAsync(line);
        await Page.Keyboard.PressAsync("Enter");
    }

    /// <summary>
    /// Types text at the prompt and waits for the shell to echo all of it, as a person checks what
    /// they typed before pressing Enter. If keys were lost, the line is erased (Ctrl-U) and typed
    /// again: busybox ash asks the terminal where its cursor is after each prompt (ESC [6n), and
    /// drops keys that reach it together with xterm.js's answer, i.e. typed within a few
    /// milliseconds of the prompt appearing. Before the first prompt is known, types blind.
    /// </summary>
    public async Task TypeAsync(string text)
    {
        await FocusAsync();
        if (Prompt is null)
        {
            await Page.Keyboard.TypeAsync(text);
            return;
        }
        var expected = $"{Prompt} {text}".Trim();
        for (var attempt = 1; ; attempt++)
        {
            await Page.Keyboard.TypeAsync(text);
            if (await LastRowBecomesAsync(expected, attempt < 3 ? 15_000 : PlaygroundPage.Timeout)) return;
            if (attempt == 3)
                throw new TimeoutException($"typed `{text}` three times and the shell never echoed it whole; the screen:\n{await ScreenAsync()}");
            await Page.Keyboard.PressAsync("Control+u");
            if (!await LastRowBecomesAsync(Prompt, PlaygroundPage.Timeout))
                throw new TimeoutException($"Ctrl-U did not clear the line; the screen:\n{await ScreenAsync()}");
        }
    }

    /// <summary>Whether the last non-empty row (trimmed) becomes <paramref name="text"/> within the timeout.</summary>
    async Task<bool> LastRowBecomesAsync(string text, float timeout)
    {
        try
        {
            await Page.WaitForFunctionAsync(
                """
                ([id, text]) => {
                    const rows = document.querySelector(`div.terminal-view[data-terminal-id="${id}"] .xterm-rows`);
                    if (!rows) return false;
                    const texts = Array.from(rows.children, r => r.textContent.replace(/\u00a0/g, ' ').trim()).filter(t => t.length > 0);
                    return texts.length > 0 && texts[texts.length - 1] === text;
                }
                """, new object[] { Id, text }, new() { Timeout = timeout });
            return true;
        }
        catch (TimeoutException) { return false; }
    }

    /// <summary>
    /// Waits until a row (trimmed) matches <paramref name="pattern"/> (a JavaScript regex; anchor
    /// it with ^...$ for "alone on its line") and returns the last such row's groups.
    /// </summary>
    public async Task<string[]> WaitForRowAsync(string pattern, float timeout = PlaygroundPage.Timeout)
    {
        try
        {
            var handle = await Page.WaitForFunctionAsync(
                """
                ([id, pattern]) => {
                    const rows = document.querySelector(`div.terminal-view[data-terminal-id="${id}"] .xterm-rows`);
                    if (!rows) return null;
                    const re = new RegExp(pattern);
                    const texts = Array.from(rows.children, r => r.textContent.replace(/\u00a0/g, ' ').trim());
                    for (let i = texts.length - 1; i >= 0; i--) {
                        const m = texts[i].match(re);
                        if (m) return Array.from(m, g => g ?? '');
                    }
                    return null;
                }
                """, new object[] { Id, pattern }, new() { Timeout = timeout });
            return await handle.JsonValueAsync<string[]>();
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"no row matching /{pattern}/ on terminal {Id}; the screen:\n{await ScreenAsync()}", e);
        }
    }

    /// <summary>Waits until the last non-empty row ends like a shell prompt, and remembers it.</summary>
    public async Task WaitForFirstPromptAsync()
    {
        await WaitForRowAsync(@"[#$]$");
        Prompt = (await RowsAsync()).Last(r => r.Length > 0);
    }

    /// <summary>Waits until the last non-empty row is the prompt again (nothing typed after it).</summary>
    public async Task WaitForPromptAsync(float timeout = PlaygroundPage.Timeout)
    {
        var prompt = Prompt ?? throw new InvalidOperationException("no prompt seen yet");
        if (!await LastRowBecomesAsync(prompt, timeout))
            throw new TimeoutException($"no prompt ({prompt}) at the end of terminal {Id}; the screen:\n{await ScreenAsync()}");
    }

    /// <summary>Runs `clear` and waits until the prompt is all the screen shows.</summary>
    public async Task ClearAsync()
    {
        var prompt = Prompt ?? throw new InvalidOperationException("no prompt seen yet");
        await TypeLineAsync("clear");
        try
        {
            await Page.WaitForFunctionAsync(
                """
                ([id, prompt]) => {
                    const rows = document.querySelector(`div.terminal-view[data-terminal-id="${id}"] .xterm-rows`);
                    const texts = Array.from(rows.children, r => r.textContent.replace(/\u00a0/g, ' ').trim()).filter(t => t.length > 0);
                    return texts.length === 1 && texts[0] === prompt;
                }
                """, new object[] { Id, prompt });
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"`clear` did not leave only the prompt on terminal {Id}; the screen:\n{await ScreenAsync()}", e);
        }
    }
}
