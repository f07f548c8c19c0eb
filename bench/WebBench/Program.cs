using System.Diagnostics;
using System.Globalization;
using Playground.E2E.Support;
using Playground.WebBench;

// The web terminal measured as a person meets it: real Chromium (headless, Debian's), the real
// app started from its build, one visitor, one sandbox with busybox's shell. See README.md.

#if DEBUG
const string Configuration = "Debug";
#else
const string Configuration = "Release";
#endif

const int Keystrokes = 200, WarmupKeystrokes = 20, PerLine = 40;
const int MemorySeconds = 30, ThroughputRuns = 3;

var ThroughputBytes = long.TryParse(Environment.GetEnvironmentVariable("BENCH_THROUGHPUT_BYTES"), out var tb) ? tb : 50_000_000;
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var dll = PlaygroundApp.FindDll(Configuration);
Console.WriteLine($"app:      {dll}");
Console.WriteLine($"browser:  {Chromium.ExecutablePath} (headless) through Playwright");
Console.WriteLine($"machine:  {Environment.ProcessorCount} cores");
await using var app = await PlaygroundApp.StartAsync(dll);
// Ctrl-C: end as a normal exit does, so the app is stopped (PlaygroundApp stops it on process exit).
using var onCtrlC = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c =>
{
    c.Cancel = true;
    Console.WriteLine("interrupted: stopping the app");
    Environment.Exit(130);
});
Console.WriteLine($"app pid:  {app.ProcessId} on {app.BaseUrl}");
// BENCH_IDLE_LABS=N: N idle labs, each with an interactive bash on a PTY, on this machine while
// the echo is measured (then only (a) runs): the density figure through the browser.
var idleCount = int.TryParse(Environment.GetEnvironmentVariable("BENCH_IDLE_LABS"), out var il) ? il : 0;
using var idle = idleCount > 0 ? IdleLabs.Start(idleCount, Path.Combine(Path.GetDirectoryName(dll)!, "playground-init")) : null;
using var playwright = await Playwright.CreateAsync();
await using var browser = await Chromium.LaunchAsync(playwright);
var context = await browser.NewContextAsync(new() { BaseURL = app.BaseUrl.ToString(), ViewportSize = new() { Width = 1400, Height = 900 } });
context.SetDefaultTimeout(300_000);
var page = await PlaygroundPage.OpenAsync(context);
page.Page.SetDefaultTimeout(300_000);
var term = await page.RunAsync();
await term.FocusAsync();
var p = page.Page;
var results = new List<(string What, string Value, string Peer)>();

// The peer, side by side: a raw PTY -> WebSocket -> xterm.js terminal at the same size (PeerTerminal).
var (cols, rows) = await SizeAsync(term);
var sandboxCpus = FindDescendant(app.ProcessId, "sh") is { } shell ? CpuLimit.Of(shell) : null;
await using var peer = await PeerTerminal.StartAsync(
    Path.Combine(RepoRoot.Path, "src", "Web", "wwwroot", "lib"), sandboxCpus is { } c ? CpuLimit.Create(c) : null);
var peerContext = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
peerContext.SetDefaultTimeout(300_000);
var peerPage = await peerContext.NewPageAsync();
await peerPage.GotoAsync(new Uri(peer.BaseUrl, $"/?cols={cols}&rows={rows}").ToString());
var peerTerm = new TerminalScreen(peerPage, "peer");
await peerTerm.WaitForFirstPromptAsync();
Console.WriteLine($"peer:     {peer.BaseUrl} - util-linux script's PTY running the same busybox sh, raw WebSocket, the");
Console.WriteLine($"          same xterm.js and options; both terminals {cols}x{rows}; both shells limited to {(sandboxCpus is { } l ? $"{l:0.##} CPU" : "no CPU limit")}");

// ---- (a) keystroke to echo -------------------------------------------------------------------
Console.WriteLine();
Console.WriteLine("(a) keystroke -> echo: a capturing keydown listener on the document stamps performance.now()");
Console.WriteLine("    when Chromium delivers the key (before xterm.js sees it); a MutationObserver on .xterm-rows");
Console.WriteLine("    stamps the DOM mutation (xterm.js's render) in which one more 'x' is on the screen. In between:");
Console.WriteLine("    xterm.js onData -> SignalR/MessagePack Input -> PTY -> busybox ash echoes -> PTY -> Attach");
Console.WriteLine("    stream -> term.write -> render (the time the echo's bytes reach the page is shown apart: a hook on");
Console.WriteLine("    SignalR's MessagePack parser; on the peer, its WebSocket's onmessage). Keys one at a time (the next");
Console.WriteLine($"    once the last echo was seen), {PerLine} per command line (': xxxx...', then Enter and clear), {WarmupKeystrokes} warm-up keys");
Console.WriteLine("    not counted.");
// When the echo's bytes are back in the app's page: a stream item parsed by SignalR's MessagePack protocol.
await p.EvaluateAsync(
    """
    () => {
        const P = signalR.protocols.msgpack.MessagePackHubProtocol.prototype;
        const parse = P.parseMessages;
        P.parseMessages = function (...args) {
            const messages = parse.apply(this, args);
            if (messages.some(m => m.type === 2)) window.__bytesArrived?.();
            return messages;
        };
    }
    """);
var (echo, arrival) = await EchoAsync(term);
Console.WriteLine($"    Playground: {Summary(echo)} on screen; bytes back in the page: {Summary(arrival)}");
var (peerEcho, peerArrival) = await EchoAsync(peerTerm);
Console.WriteLine($"    peer:       {Summary(peerEcho)} on screen; bytes back in the page: {Summary(peerArrival)}");
results.Add(("keystroke -> echo on screen p50", $"{Percentile(echo, 50):0.0} ms", $"{Percentile(peerEcho, 50):0.0} ms"));
results.Add(("keystroke -> echo on screen p99", $"{Percentile(echo, 99):0.0} ms", $"{Percentile(peerEcho, 99):0.0} ms"));
results.Add(("keystroke -> bytes back p50", $"{Percentile(arrival, 50):0.0} ms", $"{Percentile(peerArrival, 50):0.0} ms"));
results.Add(("keystroke -> bytes back p99", $"{Percentile(arrival, 99):0.0} ms", $"{Percentile(peerArrival, 99):0.0} ms"));
if (idle is not null)
{
    Console.WriteLine();
    Console.WriteLine($"with {idleCount} idle labs (each with a bash) on the machine; MemAvailable now {Machine.MemAvailableMiB():0} MiB:");
    foreach (var (what, value, peerValue) in results) Console.WriteLine($"  {what,-34} {value,10}   peer {peerValue,10}");
    return 0;
}

// ---- (b) output throughput -------------------------------------------------------------------
var throughputCommand = $"head -c {ThroughputBytes} /dev/zero | tr '\\0' x | fold -w 100; echo; echo tp-$((6*7))-end";
Console.WriteLine();
Console.WriteLine($"(b) throughput: `{throughputCommand}`");
Console.WriteLine("    from the Enter keydown (performance.now() in the page) to the DOM mutation that shows the end");
Console.WriteLine("    marker's row followed by the next prompt; everything in between is rendered by xterm.js (and in");
Console.WriteLine("    Playground acknowledged: flow control), so this is the rate a person's tab actually shows.");
var lines = ThroughputBytes / 100;
Console.WriteLine($"    {ThroughputBytes / 1e6:0} MB of x in {lines} lines ({(ThroughputBytes + lines * 2) / 1e6:0.0} MB through the PTY: fold's newlines become CR LF)");
Console.WriteLine($"    {ThroughputRuns} runs each, Playground and peer in turn (this machine's speed drifts); the median is kept");
var rates = new List<double>();
var peerRates = new List<double>();
for (var run = 1; run <= ThroughputRuns; run++)
{
    rates.Add(ThroughputBytes / 1e6 / await ThroughputAsync(term));
    peerRates.Add(ThroughputBytes / 1e6 / await ThroughputAsync(peerTerm));
    Console.WriteLine($"    run {run}: Playground {rates[^1]:0.0} MB/s, peer {peerRates[^1]:0.0} MB/s");
}
var rate = rates.Order().ElementAt(ThroughputRuns / 2);
var peerRate = peerRates.Order().ElementAt(ThroughputRuns / 2);
results.Add(("output throughput (median)", $"{rate:0.0} MB/s", $"{peerRate:0.0} MB/s"));
await peerContext.CloseAsync();

// ---- (c) server memory while a tab is paused during `yes` ------------------------------------
Console.WriteLine();
Console.WriteLine($"(c) server memory: `yes` in the terminal; VmRSS of the app (/proc/{app.ProcessId}/status) every second,");
Console.WriteLine($"    5 s with the tab live, then {MemorySeconds} s with the tab's JavaScript paused through CDP (Debugger.pause:");
Console.WriteLine("    nothing is received or acknowledged; BENCH_PAUSE=frozen uses Page.setWebLifecycleState frozen instead,");
Console.WriteLine("    which here did not stop a visible page from receiving and acknowledging). The CPU time of `yes`");
Console.WriteLine("    (utime+stime in /proc/PID/stat) shows whether flow control holds it: it stops growing once the");
Console.WriteLine("    server stops reading the PTY. A hook counts the batches and Acks the page handled while paused.");
await term.ClearAsync();
await term.TypeLineAsync("yes");
await p.WaitForFunctionAsync(
    "id => Array.from(document.querySelector(`div.terminal-view[data-terminal-id=\"${id}\"] .xterm-rows`).children).filter(r => r.textContent.trim() === 'y').length >= 10",
    term.Id);
var yesPid = FindDescendant(app.ProcessId, "yes");
var live = new List<(long Rss, double YesCpu)>();
for (var i = 0; i < 5; i++) { live.Add((app.ResidentBytes(), YesCpuSeconds(yesPid))); await Task.Delay(1000); }
// Every Ack the page sends and every stream batch it receives, stamped with the wall clock, to
// check afterwards that the page really did nothing while it was paused.
await p.EvaluateAsync(
    """
    () => {
        const a = window.__flow = { acks: [], batches: [] };
        const invoke = signalR.HubConnection.prototype.invoke;
        signalR.HubConnection.prototype.invoke = function (method, ...args) {
            if (method === 'Ack') a.acks.push([Date.now(), args[1]]);
            return invoke.call(this, method, ...args);
        };
        const P = signalR.protocols.msgpack.MessagePackHubProtocol.prototype;
        const parse = P.parseMessages;
        P.parseMessages = function (...args) {
            const messages = parse.apply(this, args);
            for (const m of messages) if (m.type === 2) a.batches.push([Date.now(), m.item.length]);
            return messages;
        };
    }
    """);
var cdp = await context.NewCDPSessionAsync(p);
string pause;
var pausedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
if (Environment.GetEnvironmentVariable("BENCH_PAUSE") == "frozen")
{
    await cdp.SendAsync("Page.setWebLifecycleState", new Dictionary<string, object> { ["state"] = "frozen" });
    pause = "Page.setWebLifecycleState frozen";
}
else
{
    await cdp.SendAsync("Debugger.enable");
    await cdp.SendAsync("Debugger.pause");
    pause = "Debugger.pause";
}
var paused = new List<(long Rss, double YesCpu)>();
var clock = Stopwatch.StartNew();
for (var i = 0; i < MemorySeconds; i++)
{
    paused.Add((app.ResidentBytes(), YesCpuSeconds(yesPid)));
    var next = TimeSpan.FromSeconds(i + 1) - clock.Elapsed;
    if (next > TimeSpan.Zero) await Task.Delay(next);
}
Console.WriteLine("    second  state   VmRSS MiB  yes CPU s");
for (var i = 0; i < live.Count; i++) Console.WriteLine($"    {i - live.Count,6}  live    {live[i].Rss / 1048576.0,9:0.0}  {live[i].YesCpu,9:0.00}");
for (var i = 0; i < paused.Count; i++) Console.WriteLine($"    {i,6}  paused  {paused[i].Rss / 1048576.0,9:0.0}  {paused[i].YesCpu,9:0.00}");
var resumedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
if (pause.StartsWith("Debugger")) await cdp.SendAsync("Debugger.resume");
else await cdp.SendAsync("Page.setWebLifecycleState", new Dictionary<string, object> { ["state"] = "active" });
var acksWhilePaused = await p.EvaluateAsync<double[]>("([from, to]) => window.__flow.acks.filter(a => a[0] > from && a[0] < to).map(a => a[1])", new object[] { pausedAt + 500, resumedAt });
var batchesWhilePaused = await p.EvaluateAsync<double[]>("([from, to]) => window.__flow.batches.filter(b => b[0] > from && b[0] < to).map(b => b[1])", new object[] { pausedAt + 500, resumedAt });
Console.WriteLine($"    while paused (after the first 0.5 s) the page received {batchesWhilePaused.Length} batches ({batchesWhilePaused.Sum() / 1024:0} KiB) and sent {acksWhilePaused.Length} acks ({acksWhilePaused.Sum() / 1024:0} KiB)");
if (acksWhilePaused.Length > 0) Console.WriteLine("    WARNING: the page was not really paused: these samples are not those of a tab that stopped acknowledging");
var rss = paused.Select(f => f.Rss / 1048576.0).ToArray();
var yesGrowth = yesPid is null ? double.NaN : paused[^1].YesCpu - paused[Math.Min(3, paused.Count - 1)].YesCpu;
Console.WriteLine($"    paused with {pause}; `yes` pid {yesPid?.ToString() ?? "not found"}");
results.Add(("app VmRSS, tab live, `yes`", $"{live.Min(l => l.Rss) / 1048576.0:0.0} .. {live.Max(l => l.Rss) / 1048576.0:0.0} MiB ({live.Count} samples)", "-"));
results.Add(("app VmRSS, tab paused, `yes`", $"{rss.Min():0.0} .. {rss.Max():0.0} MiB ({rss.Length} samples, 1/s, {pause})", "-"));
results.Add(("`yes` CPU, paused s 3..end", double.IsNaN(yesGrowth) ? "n/a" : $"+{yesGrowth:0.00} s over {paused.Count - 1 - Math.Min(3, paused.Count - 1)} s", "-"));

// ---- the table -------------------------------------------------------------------------------
Console.WriteLine();
Console.WriteLine($"Playground web terminal, {Configuration} app, headless Chromium, {Environment.ProcessorCount} cores");
var width = results.Max(r => r.What.Length);
var valueWidth = results.Max(r => r.Value.Length);
Console.WriteLine($"| {"figure".PadRight(width)} | {"Playground".PadRight(valueWidth)} | peer (raw PTY -> WebSocket -> xterm.js)");
Console.WriteLine($"|-{new string('-', width)}-|-{new string('-', valueWidth)}-|------");
foreach (var (what, value, peerValue) in results) Console.WriteLine($"| {what.PadRight(width)} | {value.PadRight(valueWidth)} | {peerValue}");

await context.CloseAsync();
return 0;

// Keys one at a time into a terminal, each stamped at keydown, at its bytes' arrival in the page
// (window.__bytesArrived, called by the page's hook) and at the render that shows it.
async Task<(double[] Echo, double[] Arrival)> EchoAsync(TerminalScreen t)
{
    await t.FocusAsync();
    await t.Page.EvaluateAsync(
        """
        id => {
            const rows = document.querySelector(`div.terminal-view[data-terminal-id="${id}"] .xterm-rows`);
            const count = () => { let n = 0; for (const r of rows.children) for (const ch of r.textContent) if (ch === 'x') n++; return n; };
            const b = window.__echo = { samples: [], arrivals: [], pending: null };
            document.addEventListener('keydown', e => {
                if (e.key === 'x') b.pending = { t0: performance.now(), want: count() + 1, arrived: null };
            }, true);
            window.__bytesArrived = () => { if (b.pending && b.pending.arrived === null) b.pending.arrived = performance.now(); };
            b.observer = new MutationObserver(() => {
                if (b.pending && count() >= b.pending.want) {
                    const now = performance.now();
                    b.samples.push(now - b.pending.t0);
                    b.arrivals.push((b.pending.arrived ?? now) - b.pending.t0);
                    b.pending = null;
                }
            });
            b.observer.observe(rows, { childList: true, subtree: true, characterData: true });
        }
        """, t.Id);
    await TypeMeasuredAsync(t, WarmupKeystrokes);
    await t.Page.EvaluateAsync("() => { window.__echo.samples = []; window.__echo.arrivals = []; }");
    await TypeMeasuredAsync(t, Keystrokes);
    var echo = (await t.Page.EvaluateAsync<double[]>("() => window.__echo.samples")).Order().ToArray();
    var arrival = (await t.Page.EvaluateAsync<double[]>("() => window.__echo.arrivals")).Order().ToArray();
    await t.Page.EvaluateAsync("() => { window.__echo.observer.disconnect(); window.__bytesArrived = null; }");
    return (echo, arrival);
}

async Task TypeMeasuredAsync(TerminalScreen t, int keys)
{
    var typed = 0;
    while (typed < keys)
    {
        await t.ClearAsync();
        await t.TypeAsync(": ");
        var n = Math.Min(PerLine, keys - typed);
        for (var i = 0; i < n; i++)
        {
            var before = await t.Page.EvaluateAsync<int>("() => window.__echo.samples.length");
            await t.Page.Keyboard.PressAsync("x");
            try { await t.Page.WaitForFunctionAsync("n => window.__echo.samples.length > n", before, new() { Timeout = 60_000 }); }
            catch (TimeoutException)
            {
                var state = await t.Page.EvaluateAsync<string>("() => JSON.stringify(window.__echo)");
                throw new TimeoutException($"no echo of key {typed + i + 1} seen in 60 s; {state}; the screen:\n{await t.ScreenAsync()}");
            }
        }
        await t.Page.Keyboard.PressAsync("Enter");
        await t.WaitForPromptAsync();
        typed += n;
    }
}

// The throughput command, from its Enter to the render that shows the end marker and the next prompt.
async Task<double> ThroughputAsync(TerminalScreen t)
{
    await t.ClearAsync();
    await t.Page.EvaluateAsync(
        """
        ([id, prompt]) => {
            const rows = document.querySelector(`div.terminal-view[data-terminal-id="${id}"] .xterm-rows`);
            const b = window.__tp = { t0: null, t1: null, armed: true };
            document.addEventListener('keydown', e => {
                if (e.key === 'Enter' && b.armed) { b.armed = false; b.t0 = performance.now(); }
            }, true);
            const observer = new MutationObserver(() => {
                if (b.t0 === null || b.t1 !== null) return;
                const texts = Array.from(rows.children, r => r.textContent.replace(/\u00a0/g, ' ').trim()).filter(t => t.length > 0);
                const n = texts.length;
                if (n >= 2 && texts[n - 1] === prompt && texts[n - 2] === 'tp-42-end') { b.t1 = performance.now(); observer.disconnect(); }
            });
            observer.observe(rows, { childList: true, subtree: true, characterData: true });
        }
        """, new object[] { t.Id, t.Prompt! });
    await t.TypeAsync(throughputCommand);
    await t.Page.Keyboard.PressAsync("Enter");
    try { await t.Page.WaitForFunctionAsync("() => window.__tp.t1 !== null", null, new() { Timeout = 900_000, PollingInterval = 250 }); }
    catch (TimeoutException)
    {
        throw new TimeoutException($"the throughput run did not end in 15 minutes; {await t.Page.EvaluateAsync<string>("() => JSON.stringify(window.__tp)")}; the screen:\n{await t.ScreenAsync()}");
    }
    return await t.Page.EvaluateAsync<double>("() => (window.__tp.t1 - window.__tp.t0) / 1000");
}

// The terminal's size as its PTY has it.
static async Task<(int Cols, int Rows)> SizeAsync(TerminalScreen t)
{
    await t.ClearAsync();
    await t.TypeLineAsync("stty size");
    var m = await t.WaitForRowAsync(@"^(\d+) (\d+)$");
    await t.WaitForPromptAsync();
    return (int.Parse(m[2]), int.Parse(m[1]));
}

static string Summary(double[] sorted) =>
    $"min {sorted[0]:0.0}, p50 {Percentile(sorted, 50):0.0}, p90 {Percentile(sorted, 90):0.0}, p99 {Percentile(sorted, 99):0.0}, max {sorted[^1]:0.0} ms ({sorted.Length} keys)";

static double Percentile(double[] sorted, double pct)
{
    // nearest rank
    var rank = (int)Math.Ceiling(pct / 100 * sorted.Length);
    return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
}

static int? FindDescendant(int ancestor, string comm)
{
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
        try
        {
            if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() != comm) continue;
            for (var p = Parent(pid); p > 1; p = Parent(p))
                if (p == ancestor) return pid;
        }
        catch (IOException) { }
    }
    return null;
}

static int Parent(int pid)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
}

static double YesCpuSeconds(int? pid)
{
    if (pid is null) return double.NaN;
    try
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // after the command: state(0) ppid(1) ... utime(11) stime(12), in clock ticks (100 Hz)
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }
    catch (IOException) { return double.NaN; }
}
