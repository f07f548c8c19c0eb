using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Playground.E2E.Support;

// The classroom measured against the real app: a terminal started in real Chromium, then driven
// and watched by SignalR clients (the .NET client, MessagePack, as the page's own client talks).
//   (a) the owner's keystroke echo unwatched, then watched by N viewers; the viewers' lag
//   (b) output throughput of `yes` for 10 s with recording on and off (two apps, same run)
// A benchmark: it prints figures, asserts nothing.

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
#if DEBUG
const string Configuration = "Debug";
#else
const string Configuration = "Release";
#endif
var viewers = int.TryParse(Environment.GetEnvironmentVariable("BENCH_VIEWERS"), out var v) ? v : 100;
const int Keys = 200, Warmup = 20, PerLine = 40;
var dll = PlaygroundApp.FindDll(Configuration);
Console.WriteLine($"app:      {dll}");
Console.WriteLine($"machine:  {Environment.ProcessorCount} cores");
using var playwright = await Playwright.CreateAsync();
await using var browser = await Chromium.LaunchAsync(playwright);

// ---- (a) -------------------------------------------------------------------------------------
await using (var app = await PlaygroundApp.StartAsync(dll))
{
    var (cookies, terminalId) = await StartTerminalAsync(app, browser);
    await using var owner = await Owner.ConnectAsync(app, cookies, terminalId);
    Console.WriteLine();
    Console.WriteLine($"(a) keystroke -> echo for the terminal's owner (a SignalR client: Input, then the echo on its Attach");
    Console.WriteLine($"    stream), {Keys} keys one at a time after {Warmup} not counted, {PerLine} per line; then the same with");
    Console.WriteLine($"    {viewers} more SignalR clients watching it (Watch), each stamping when the echo reached it.");
    var alone = await owner.EchoAsync(Keys, Warmup, PerLine, null);
    Console.WriteLine($"    unwatched:            {Summary(alone.Echo)}");
    var watchers = new List<Viewer>();
    for (var i = 0; i < viewers; i++) watchers.Add(await Viewer.ConnectAsync(app, cookies, terminalId));
    await Task.Delay(1000);
    var watched = await owner.EchoAsync(Keys, Warmup, PerLine, watchers);
    Console.WriteLine($"    watched by {viewers,3}:        {Summary(watched.Echo)}");
    Console.WriteLine($"    the viewers' lag (key sent -> echo at each viewer, {watched.Lag.Length} samples): {Summary(watched.Lag)}");
    Console.WriteLine($"    server: {app.ResidentBytes() / 1048576.0:0} MiB resident with {viewers} viewers");
    foreach (var w in watchers) await w.DisposeAsync();
    Console.WriteLine($"    echo p99 watched / unwatched: {P(watched.Echo, 99) / P(alone.Echo, 99):0.00}x (target within 1.20x); viewers' lag p99 {P(watched.Lag, 99):0.0} ms (target <= 50 ms)");
}

// ---- (c) BENCH_STUDENTS=N: a class of N students in N browser tabs ------------------------------
if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_STUDENTS"), out var studentCount) && studentCount > 0)
{
    await using var app = await PlaygroundApp.StartAsync(dll);
    Console.WriteLine();
    Console.WriteLine($"(c) {studentCount} students, each in a tab of their own with a host shell and one sandbox running (as");
    Console.WriteLine("    guests: the same labs, terminals and circuits as students), plus an instructor's grid of them all");
    Console.WriteLine("    (the admin, who teaches every class, watching each student's terminal as a thumbnail).");
    var clock = Stopwatch.StartNew();
    var tabs = new List<IBrowserContext>();
    (CookieContainer Cookies, string Id)? probe = null;
    for (var i = 0; i < studentCount; i++)
    {
        var context = await browser.NewContextAsync(new() { BaseURL = app.BaseUrl.ToString(), ViewportSize = new() { Width = 1400, Height = 900 } });
        context.SetDefaultTimeout(300_000);
        tabs.Add(context);
        var page = await PlaygroundPage.OpenAsync(context);
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Host shell", Exact = true }).ClickAsync();
        await Assertions.Expect(page.TerminalViews).ToHaveCountAsync(1);
        var term = await page.RunAsync();
        if (i == 0)
        {
            var cookies = new CookieContainer();
            foreach (var c in await context.CookiesAsync()) cookies.Add(new System.Net.Cookie(c.Name, c.Value, c.Path, c.Domain));
            probe = (cookies, term.Id);
        }
    }
    Console.WriteLine($"    {studentCount} tabs with {2 * studentCount} terminals in {clock.Elapsed.TotalSeconds:0} s");
    // The instructor: every student's running terminal watched, as the grid's thumbnails do.
    var grid = new List<Viewer>();
    var adminCookies = await AdminCookiesAsync(app);
    foreach (var id in await TerminalIdsAsync(app, tabs)) grid.Add(await Viewer.ConnectAsync(app, adminCookies, id));
    Console.WriteLine($"    the instructor watches {grid.Count} terminals");
    await Task.Delay(5000);
    var cpuBefore = ProcessCpuSeconds(app.ProcessId);
    var wall = Stopwatch.StartNew();
    await using (var owner = await Owner.ConnectAsync(app, probe!.Value.Cookies, probe.Value.Id))
    {
        var echo = await owner.EchoAsync(Keys, Warmup, PerLine, null);
        var cpu = (ProcessCpuSeconds(app.ProcessId) - cpuBefore) / wall.Elapsed.TotalSeconds * 100;
        Console.WriteLine($"    one student's echo (SignalR client): {Summary(echo.Echo)}");
        Console.WriteLine($"    server while measuring: {cpu:0}% of one core (app process, /proc/PID/stat); {app.ResidentBytes() / 1048576.0:0} MiB resident;");
        Console.WriteLine($"    machine MemAvailable {Machine.MemAvailableMiB():0} MiB");
    }
    foreach (var w in grid) await w.DisposeAsync();
    foreach (var t in tabs) await t.CloseAsync();
}

// ---- (b) -------------------------------------------------------------------------------------
Console.WriteLine();
Console.WriteLine("(b) `yes` for 10 s into a terminal read by its owner (a SignalR client acknowledging each batch),");
Console.WriteLine("    with every terminal recorded (asciicast v2) and without: two apps, one after the other, 3 runs each.");
var rates = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
for (var run = 0; run < 3; run++)
    foreach (var record in new[] { true, false })
    {
        await using var app = await PlaygroundApp.StartAsync(dll, null, $"--Playground:RecordTerminals={record}");
        var (cookies, terminalId) = await StartTerminalAsync(app, browser);
        await using var owner = await Owner.ConnectAsync(app, cookies, terminalId);
        var bytes = await owner.ThroughputAsync("yes", TimeSpan.FromSeconds(10));
        rates[record].Add(bytes / 10.0 / 1e6);
        Console.WriteLine($"    run {run + 1}, recording {(record ? "on " : "off")}: {rates[record][^1]:0.0} MB/s");
    }
var on = rates[true].Order().ElementAt(1);
var off = rates[false].Order().ElementAt(1);
Console.WriteLine($"    median: recording on {on:0.0} MB/s, off {off:0.0} MB/s: {(off - on) / off * 100:0.0}% slower with recording");
return 0;

static double ProcessCpuSeconds(int pid)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(f[11]) + long.Parse(f[12])) / 100.0;
}

// The admin signed in (by the first-start link), whose cookie may watch every terminal.
static async Task<CookieContainer> AdminCookiesAsync(PlaygroundApp app)
{
    var cookies = new CookieContainer();
    using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = app.BaseUrl };
    (await http.GetAsync(app.AdminSignInLink ?? throw new InvalidOperationException("no admin link in the app's log"))).EnsureSuccessStatusCode();
    return cookies;
}

// Each tab's most recent terminal (its sandbox), as the grid's thumbnail shows it.
static async Task<List<string>> TerminalIdsAsync(PlaygroundApp app, List<IBrowserContext> tabs)
{
    var ids = new List<string>();
    foreach (var t in tabs)
        foreach (var page in t.Pages)
            ids.Add((await page.Locator("div.terminal-view[data-terminal-id]").Last.GetAttributeAsync("data-terminal-id"))!);
    return ids;
}

// A visitor's terminal, started as a person would (Run in real Chromium); its cookie for the clients.
static async Task<(CookieContainer Cookies, string TerminalId)> StartTerminalAsync(PlaygroundApp app, IBrowser browser)
{
    var context = await browser.NewContextAsync(new() { BaseURL = app.BaseUrl.ToString(), ViewportSize = new() { Width = 1400, Height = 900 } });
    context.SetDefaultTimeout(120_000);
    var page = await PlaygroundPage.OpenAsync(context);
    var term = await page.RunAsync();
    var cookies = new CookieContainer();
    foreach (var c in await context.CookiesAsync()) cookies.Add(new System.Net.Cookie(c.Name, c.Value, c.Path, c.Domain));
    await context.CloseAsync(); // its attachment goes; the terminal stays the visitor's
    return (cookies, term.Id);
}

static string Summary(double[] sorted) =>
    sorted.Length == 0 ? "no samples" : $"p50 {P(sorted, 50):0.00}, p90 {P(sorted, 90):0.00}, p99 {P(sorted, 99):0.00}, max {sorted[^1]:0.00} ms";

static double P(double[] sorted, double pct) => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(pct / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

/// <summary>The terminal's owner: attached, typing, acknowledging what it reads.</summary>
sealed class Owner : IAsyncDisposable
{
    readonly HubConnection _hub;
    readonly string _id;
    readonly Channel<(long Stamp, byte[] Bytes)> _output = Channel.CreateUnbounded<(long, byte[])>();
    readonly CancellationTokenSource _stop = new();
    long _received;

    Owner(HubConnection hub, string id) => (_hub, _id) = (hub, id);

    public static async Task<Owner> ConnectAsync(PlaygroundApp app, CookieContainer cookies, string id)
    {
        var hub = Hubs.Connect(app, cookies);
        await hub.StartAsync();
        var o = new Owner(hub, id);
        _ = Task.Run(o.ReadAsync);
        await Task.Delay(500);
        return o;
    }

    async Task ReadAsync()
    {
        try
        {
            await foreach (var batch in _hub.StreamAsync<byte[]>("Attach", _id, _stop.Token))
            {
                var now = Stopwatch.GetTimestamp();
                Interlocked.Add(ref _received, batch.Length);
                _output.Writer.TryWrite((now, batch));
                await _hub.SendAsync("Ack", _id, (long)batch.Length);
            }
        }
        catch (OperationCanceledException) { }
    }

    public async Task<(double[] Echo, double[] Lag)> EchoAsync(int keys, int warmup, int perLine, List<Viewer>? viewers)
    {
        while (_output.Reader.TryRead(out _)) { }
        var echo = new List<double>();
        var lag = new List<double>();
        for (var i = 0; i < keys + warmup; i++)
        {
            if (i % perLine == 0)
            {
                await _hub.SendAsync("Input", _id, "\u0015: "u8.ToArray()); // ^U clears the line
                await Task.Delay(50);
                while (_output.Reader.TryRead(out _)) { }
                if (viewers is not null) foreach (var w in viewers) w.Drain();
            }
            var sent = Stopwatch.GetTimestamp();
            if (viewers is not null) foreach (var w in viewers) w.Expect('x');
            await _hub.SendAsync("Input", _id, "x"u8.ToArray());
            var (at, _) = await WaitForAsync((byte)'x');
            if (i >= warmup) echo.Add(Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds);
            if (viewers is not null)
                foreach (var w in viewers)
                    if (await w.SeenAsync() is { } seen && i >= warmup) lag.Add(Stopwatch.GetElapsedTime(sent, seen).TotalMilliseconds);
            await Task.Delay(10);
        }
        return (echo.Order().ToArray(), lag.Order().ToArray());
    }

    async Task<(long Stamp, byte[] Bytes)> WaitForAsync(byte b)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var item = await _output.Reader.ReadAsync(timeout.Token);
            if (Array.IndexOf(item.Bytes, b) >= 0) return item;
        }
    }

    /// <summary>Bytes read (and acknowledged) while <paramref name="command"/> runs for <paramref name="time"/>.</summary>
    public async Task<long> ThroughputAsync(string command, TimeSpan time)
    {
        await _hub.SendAsync("Input", _id, System.Text.Encoding.ASCII.GetBytes(command + "\r"));
        await Task.Delay(1000); // under way
        var start = Interlocked.Read(ref _received);
        while (_output.Reader.TryRead(out _)) { }
        var drain = Task.Run(async () => { while (!_stop.IsCancellationRequested) { while (_output.Reader.TryRead(out _)) { } await Task.Delay(50); } });
        await Task.Delay(time);
        var bytes = Interlocked.Read(ref _received) - start;
        await _hub.SendAsync("Input", _id, "\u0003"u8.ToArray()); // ^C
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _hub.DisposeAsync();
    }
}

/// <summary>A watcher: stamps when the awaited character reaches it.</summary>
sealed class Viewer : IAsyncDisposable
{
    readonly HubConnection _hub;
    readonly CancellationTokenSource _stop = new();
    readonly Channel<(long Stamp, byte[] Bytes)> _output = Channel.CreateUnbounded<(long, byte[])>();
    byte _expected;

    Viewer(HubConnection hub) => _hub = hub;

    public static async Task<Viewer> ConnectAsync(PlaygroundApp app, CookieContainer cookies, string id)
    {
        var hub = Hubs.Connect(app, cookies);
        await hub.StartAsync();
        var v = new Viewer(hub);
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in hub.StreamAsync<byte[]>("Watch", id, v._stop.Token))
                    v._output.Writer.TryWrite((Stopwatch.GetTimestamp(), batch));
            }
            catch (OperationCanceledException) { }
        });
        return v;
    }

    public void Drain() { while (_output.Reader.TryRead(out _)) { } }
    public void Expect(byte b) => _expected = b;
    public void Expect(char c) => Expect((byte)c);

    /// <summary>When the expected character arrived (waits up to 5 s), or null.</summary>
    public async Task<long?> SeenAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            while (true)
            {
                var item = await _output.Reader.ReadAsync(timeout.Token);
                if (Array.IndexOf(item.Bytes, _expected) >= 0) return item.Stamp;
            }
        }
        catch (OperationCanceledException) { return null; }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _hub.DisposeAsync();
    }
}

/// <summary>A hub connection as the page makes it: the visitor's cookie, the app's own origin, WebSockets, MessagePack.</summary>
static class Hubs
{
    public static HubConnection Connect(PlaygroundApp app, CookieContainer cookies) =>
    new HubConnectionBuilder()
        .WithUrl(new Uri(app.BaseUrl, "/hubs/terminal"), o =>
        {
            o.Cookies = cookies;
            o.Headers["Origin"] = app.BaseUrl.GetLeftPart(UriPartial.Authority);
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
            o.SkipNegotiation = true;
        })
        .AddMessagePackProtocol()
        .Build();
}
