using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace Playground.WebBench;

/// <summary>
/// The peer the figures are set beside: the smallest web terminal made of the same parts, with
/// nothing of ours in the way. A PTY from util-linux's <c>script</c> running the same busybox
/// shell (its applets first on PATH, so <c>head</c>, <c>tr</c>, <c>fold</c> are busybox's, as in
/// the sandbox), its bytes copied as they come to a raw WebSocket (no SignalR, no MessagePack, no
/// flow control, no replay buffer, no sandbox), and the same xterm.js build with the same options,
/// at the same size, in the same Chromium.
/// </summary>
sealed class PeerTerminal : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly string _bin;
    readonly CpuLimit? _cpu;

    PeerTerminal(WebApplication app, string bin, CpuLimit? cpu)
    {
        _app = app;
        _bin = bin;
        _cpu = cpu;
    }

    public Uri BaseUrl { get; private set; } = null!;

    /// <param name="xtermLib">The app's wwwroot/lib (xterm.js as the app serves it, from its npm build).</param>
    /// <param name="cpu">The sandbox's CPU limit, given to the peer's shell too (or none).</param>
    public static async Task<PeerTerminal> StartAsync(string xtermLib, CpuLimit? cpu)
    {
        if (!File.Exists(Path.Combine(xtermLib, "xterm", "xterm.mjs")))
            throw new FileNotFoundException($"no xterm.js under {xtermLib}: build src/Web first (its build runs npm ci)");
        var bin = Directory.CreateTempSubdirectory("webbench-peer-").FullName;
        var install = Process.Start(new ProcessStartInfo("busybox", ["--install", "-s", bin]) { UseShellExecute = false })!;
        await install.WaitForExitAsync();
        if (install.ExitCode != 0) throw new InvalidOperationException("busybox --install failed (apt-get install busybox-static)");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var peer = new PeerTerminal(app, bin, cpu);
        app.UseWebSockets();
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(xtermLib), RequestPath = "/lib" });
        app.MapGet("/", () => Results.Content(Page, "text/html"));
        app.Map("/pty", peer.ServeAsync);
        await app.StartAsync();
        peer.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return peer;
    }

    async Task ServeAsync(HttpContext http)
    {
        if (!http.WebSockets.IsWebSocketRequest
            || !int.TryParse(http.Request.Query["cols"], out var cols) || !int.TryParse(http.Request.Query["rows"], out var rows))
        {
            http.Response.StatusCode = 400;
            return;
        }
        using var ws = await http.WebSockets.AcceptWebSocketAsync();
        // The shell in the PTY puts itself in the limited cgroup (its children inherit it); script,
        // the relay, stays outside, as the app's server is outside the sandbox's limit.
        var confine = _cpu is null ? "" : $"echo $$ > {_cpu.Procs} && ";
        var start = new ProcessStartInfo("script", ["-q", "-f", "-e", "-c", $"{confine}stty cols {cols} rows {rows} && exec busybox sh", "/dev/null"])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        start.Environment.Clear();
        start.Environment["PATH"] = $"{_bin}:/usr/bin:/bin"; // busybox's applets first, then script
        start.Environment["HOME"] = "/";
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["PS1"] = "$ ";
        using var shell = Process.Start(start)!;
        var output = Task.Run(async () =>
        {
            var buffer = new byte[32 * 1024];
            int n;
            while ((n = await shell.StandardOutput.BaseStream.ReadAsync(buffer)) > 0)
                await ws.SendAsync(buffer.AsMemory(0, n), WebSocketMessageType.Binary, true, default);
        });
        try
        {
            var keys = new byte[4096];
            var stdin = shell.StandardInput.BaseStream;
            while (true)
            {
                var r = await ws.ReceiveAsync(keys, default);
                if (r.MessageType == WebSocketMessageType.Close) break;
                await stdin.WriteAsync(keys.AsMemory(0, r.Count));
                await stdin.FlushAsync();
            }
        }
        catch (WebSocketException) { }
        finally
        {
            shell.Kill(entireProcessTree: true);
            await shell.WaitForExitAsync();
            try { await output; } catch (Exception e) when (e is IOException or WebSocketException or ObjectDisposedException) { }
        }
    }

    // The app's xterm.js options (TerminalView.razor.js), at the size the app's terminal had.
    // window.__bytesArrived, if the bench sets it, is told when terminal bytes reach the page.
    const string Page =
        """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>peer</title><link rel="stylesheet" href="/lib/xterm/xterm.css"></head>
        <body style="margin:0;background:#1e1e1e">
        <div class="terminal-view" data-terminal-id="peer"></div>
        <script type="module">
        import { Terminal } from '/lib/xterm/xterm.mjs';
        const q = new URLSearchParams(location.search);
        const cols = +q.get('cols'), rows = +q.get('rows');
        const term = new Terminal({
            cols, rows, cursorBlink: false, scrollback: 5000,
            fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace', fontSize: 14,
            theme: { background: '#1e1e1e' },
        });
        term.open(document.querySelector('.terminal-view'));
        const ws = new WebSocket(`ws://${location.host}/pty?cols=${cols}&rows=${rows}`);
        ws.binaryType = 'arraybuffer';
        const encoder = new TextEncoder();
        ws.onmessage = e => { window.__bytesArrived?.(); term.write(new Uint8Array(e.data)); };
        term.onData(d => ws.send(encoder.encode(d)));
        term.onBinary(d => ws.send(Uint8Array.from(d, c => c.charCodeAt(0))));
        term.focus();
        </script></body></html>
        """;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_bin, recursive: true);
        _cpu?.Dispose();
    }
}
