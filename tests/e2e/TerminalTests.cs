using System.Text.RegularExpressions;
using Playground.E2E.Support;
using Xunit.Abstractions;

namespace Playground.E2E;

/// <summary>A person's sandbox in the browser: Run, then a real terminal into it.</summary>
[Collection(AppCollection.Name)]
public sealed class TerminalTests(AppFixture fixture, ITestOutputHelper log) : IAsyncLifetime
{
    IBrowserContext _visitor = default!;

    public async Task InitializeAsync() => _visitor = await fixture.NewVisitorAsync(1400, 900);
    public async Task DisposeAsync() => await _visitor.CloseAsync();

    [Fact]
    public async Task With_the_network_namespace_on_the_sandbox_has_only_loopback_and_its_shell_answers()
    {
        var page = await PlaygroundPage.OpenAsync(_visitor);
        await page.EnsureSwitchOnAsync("net");
        var term = await page.RunAsync();

        await term.TypeLineAsync("hostname; ip a; echo ip-$((20+3))-done");
        await term.WaitForRowAsync("^ip-23-done$");
        var rows = await term.RowsAsync();
        var command = Array.FindLastIndex(rows, r => r.EndsWith("hostname; ip a; echo ip-$((20+3))-done", StringComparison.Ordinal));
        var marker = Array.FindLastIndex(rows, r => r == "ip-23-done");
        Assert.True(command >= 0 && marker > command, $"command row {command}, marker row {marker}:\n{string.Join('\n', rows)}");
        var output = rows[(command + 1)..marker];
        log.WriteLine(string.Join('\n', output));

        Assert.Equal("sandbox", output[0]); // the builder's default hostname, in its own UTS namespace
        var interfaces = output.Select(r => Regex.Match(r, @"^\d+: ([^:@ ]+)[:@]")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["lo"], interfaces);
        Assert.Contains(output, r => r.StartsWith("link/loopback", StringComparison.Ordinal));
        Assert.DoesNotContain(output, r => Regex.IsMatch(r, @"\b(eth|ens|enp|eno|wl|veth|docker|br-|virbr|tun|tap)\w*\d"));

        await term.TypeLineAsync("echo $((6*7))");
        await term.WaitForRowAsync("^42$"); // the output, not the typed "echo $((6*7))"
    }

    [Fact]
    public async Task A_focused_terminal_runs_no_animation_so_an_echo_is_not_held_for_a_frame()
    {
        // Chromium holds WebSocket messages that follow a key until the next frame; with a CSS
        // animation running forever (a blinking cursor) there always is one, up to 16 ms away
        // (docs/web.md).
        var page = await PlaygroundPage.OpenAsync(_visitor);
        var term = await page.RunAsync();
        await term.FocusAsync();
        await term.TypeLineAsync("echo $((6*7))");
        await term.WaitForRowAsync("^42$");
        await Assertions.Expect(term.View.Locator(".xterm.focus")).ToHaveCountAsync(1);
        var running = await page.Page.EvaluateAsync<string[]>(
            "() => document.getAnimations().filter(a => a.playState === 'running' && a.effect?.getTiming().iterations === Infinity).map(a => (a.animationName ?? a.constructor.name) + ' on ' + (a.effect?.target?.outerHTML ?? '').slice(0, 160))");
        Assert.Empty(running);
    }

    [Fact]
    public async Task Resizing_the_window_resizes_the_terminal_the_shell_sees()
    {
        var page = await PlaygroundPage.OpenAsync(_visitor);
        var term = await page.RunAsync();
        var rowDivs = term.View.Locator(".xterm-rows > div");

        await term.TypeLineAsync("echo size-a:$(stty size):end");
        var before = await term.WaitForRowAsync(@"^size-a:(\d+) (\d+):end$");
        var (rows1, cols1) = (int.Parse(before[1]), int.Parse(before[2]));
        Assert.Equal(await rowDivs.CountAsync(), rows1); // the PTY has the size xterm.js shows

        await page.Page.SetViewportSizeAsync(900, 600);
        // xterm.js refits when its element resizes; its rows then change on the page, and the
        // Resize goes to the hub before any key typed after it (one connection, in order).
        await page.Page.WaitForFunctionAsync(
            "([id, n]) => document.querySelector(`div.terminal-view[data-terminal-id=\"${id}\"] .xterm-rows`).children.length !== n",
            new object[] { term.Id, rows1 });

        await term.TypeLineAsync("echo size-b:$(stty size):end");
        var after = await term.WaitForRowAsync(@"^size-b:(\d+) (\d+):end$");
        var (rows2, cols2) = (int.Parse(after[1]), int.Parse(after[2]));
        log.WriteLine($"stty size: {rows1} {cols1} at 1400x900, {rows2} {cols2} at 900x600");
        Assert.True(rows2 < rows1, $"rows {rows1} -> {rows2}");
        Assert.True(cols2 < cols1, $"columns {cols1} -> {cols2}");
        Assert.Equal(await rowDivs.CountAsync(), rows2);
    }

    [Fact]
    public async Task Ctrl_C_stops_yes_and_the_shell_takes_the_next_command()
    {
        var page = await PlaygroundPage.OpenAsync(_visitor);
        var term = await page.RunAsync();

        await term.TypeLineAsync("yes");
        // the screen fills with y
        await page.Page.WaitForFunctionAsync(
            "id => Array.from(document.querySelector(`div.terminal-view[data-terminal-id=\"${id}\"] .xterm-rows`).children).filter(r => r.textContent.trim() === 'y').length >= 10",
            term.Id);

        await page.Page.Keyboard.PressAsync("Control+c");
        await term.WaitForPromptAsync();
        await term.TypeLineAsync("echo done-$((1+1))");
        await term.WaitForRowAsync("^done-2$");
    }

    [Fact]
    public async Task After_a_reload_the_same_shell_is_there_with_its_recent_output()
    {
        var page = await PlaygroundPage.OpenAsync(_visitor);
        var term = await page.RunAsync();
        await term.TypeLineAsync("kept=shell-$((4*4)); echo pid-$$-before");
        var pid = (await term.WaitForRowAsync(@"^pid-(\d+)-before$"))[1];
        await term.TypeLineAsync("echo mark-$((3*5))-before-reload");
        await term.WaitForRowAsync("^mark-15-before-reload$");

        await page.ReloadAsync();

        await Assertions.Expect(page.TerminalViews).ToHaveCountAsync(1);
        Assert.Equal(term.Id, await page.TerminalViews.First.GetAttributeAsync("data-terminal-id"));
        var again = await page.TerminalAsync(term.Id, term.Prompt);
        await again.WaitForRowAsync("^mark-15-before-reload$"); // replayed
        await again.TypeLineAsync("echo pid-$$-after:$kept");
        var after = await again.WaitForRowAsync(@"^pid-(\d+)-after:(.*)$");
        log.WriteLine($"shell pid {pid} before the reload, {after[1]} after; $kept={after[2]}");
        Assert.Equal(pid, after[1]);
        Assert.Equal("shell-16", after[2]); // the variable set before the reload: the same shell
    }

    [Fact]
    public async Task A_reload_does_not_answer_again_the_terminal_queries_of_the_replayed_output()
    {
        // busybox ash asks the terminal where its cursor is (ESC [6n) after each prompt. Those
        // questions are in the output a reload replays; answering them again would type the
        // answers (ESC [row;colR) into whatever reads the terminal now: here a `read`.
        var page = await PlaygroundPage.OpenAsync(_visitor);
        var term = await page.RunAsync();
        await term.TypeLineAsync("echo one-$((0+1))");
        await term.WaitForRowAsync("^one-1$");
        await term.TypeLineAsync("echo reading-$((1+1)); read -r line; echo \"got:${#line}:$line\"");
        await term.WaitForRowAsync("^reading-2$"); // `read` is next: what the terminal sends now is its line

        await page.ReloadAsync();
        var again = await page.TerminalAsync(term.Id, term.Prompt);
        await again.WaitForRowAsync("^one-1$"); // replayed
        await again.FocusAsync();
        await page.Page.Keyboard.TypeAsync("after-reload");
        await page.Page.Keyboard.PressAsync("Enter");
        var got = await again.WaitForRowAsync("^got:(\\d+):(.*)$");
        log.WriteLine(got[0]);
        Assert.Equal("after-reload", got[2]);
        Assert.Equal("12", got[1]);
    }

    [Fact]
    public async Task A_second_tab_takes_the_terminal_over_and_the_first_does_not_claim_the_process_ended()
    {
        var first = await PlaygroundPage.OpenAsync(_visitor);
        var term = await first.RunAsync();
        await term.TypeLineAsync("echo before-$((2+3))");
        await term.WaitForRowAsync("^before-5$");

        // The same visitor in a second tab: the sandbox is there, and its terminal attaches there.
        var second = await PlaygroundPage.OpenAsync(_visitor);
        var there = await second.TerminalAsync(term.Id, term.Prompt);
        await there.WaitForRowAsync("^before-5$");
        await there.TypeLineAsync("echo in-second-$((3+4))");
        await there.WaitForRowAsync("^in-second-7$");

        // The first tab says where the terminal went, and does not say the process ended (it runs on).
        await term.WaitForRowAsync("another tab");
        Assert.DoesNotContain("the process has ended", await term.ScreenAsync());
    }
}
