using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Playground.E2E.Support;
using Xunit.Abstractions;

namespace Playground.E2E;

/// <summary>A terminal belongs to the visitor who started it; the hub takes connections from its own origin only.</summary>
[Collection(AppCollection.Name)]
public sealed class IsolationTests(AppFixture fixture, ITestOutputHelper log)
{
    [Fact]
    public async Task Another_visitor_can_neither_attach_to_nor_type_into_my_terminal()
    {
        var owner = await fixture.NewVisitorAsync();
        var other = await fixture.NewVisitorAsync();
        try
        {
            var mine = await PlaygroundPage.OpenAsync(owner);
            var term = await mine.RunAsync();
            var theirs = await PlaygroundPage.OpenAsync(other);
            var ownerCookie = (await owner.CookiesAsync()).Single(c => c.Name == "playground").Value;
            var otherCookie = (await other.CookiesAsync()).Single(c => c.Name == "playground").Value;
            Assert.NotEqual(ownerCookie, otherCookie);

            // The other visitor's page has the same SignalR client the terminals use: call the hub with my terminal's id.
            var outcome = await theirs.Page.EvaluateAsync<Dictionary<string, string>>(
                """
                async id => {
                    const c = new signalR.HubConnectionBuilder()
                        .withUrl('/hubs/terminal')
                        .withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol())
                        .build();
                    await c.start();
                    const tryInvoke = async (...args) => {
                        try { await c.invoke(...args); return 'accepted'; } catch (e) { return String(e?.message ?? e); }
                    };
                    const result = {};
                    result.input = await tryInvoke('Input', id, new TextEncoder().encode('echo intruder-$((2*21))\r'));
                    result.resize = await tryInvoke('Resize', id, 20, 5);
                    result.ack = await tryInvoke('Ack', id, 1024);
                    result.attach = await new Promise(resolve => {
                        c.stream('Attach', id).subscribe({
                            next: bytes => resolve(`got ${bytes.length} bytes`),
                            complete: () => resolve('completed'),
                            error: e => resolve(String(e?.message ?? e)),
                        });
                    });
                    await c.stop();
                    return result;
                }
                """, term.Id);

            foreach (var (call, result) in outcome) log.WriteLine($"{call}: {result}");
            foreach (var call in new[] { "input", "resize", "ack", "attach" })
                Assert.True(outcome[call].Contains("no such terminal", StringComparison.Ordinal), $"{call}: {outcome[call]}");

            // My terminal goes on, and never got the other visitor's keys (input is written in order:
            // had theirs been taken, it would be on the screen before my marker).
            await term.TypeLineAsync("echo owner-$((8*8))");
            await term.WaitForRowAsync("^owner-64$");
            Assert.DoesNotContain("intruder", await term.ScreenAsync());
            await term.TypeLineAsync("echo size:$(stty size)");
            var size = await term.WaitForRowAsync(@"^size:(\d+) (\d+)$");
            Assert.NotEqual(("5", "20"), (size[1], size[2]));
        }
        finally
        {
            await other.CloseAsync();
            await owner.CloseAsync();
        }
    }

    [Fact]
    public async Task A_hub_connection_from_another_origin_is_closed_before_any_call()
    {
        using var handler = new HttpClientHandler { CookieContainer = new(), UseCookies = true };
        using var http = new HttpClient(handler) { BaseAddress = fixture.App.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        (await http.GetAsync("/")).EnsureSuccessStatusCode(); // the page gives a visitor cookie
        Assert.Contains("playground=", handler.CookieContainer.GetCookieHeader(fixture.App.BaseUrl));

        // Control: from the app's own origin, the same steps reach the hub method (which finds no such terminal).
        var own = await CallHubAsync(http, handler.CookieContainer, fixture.App.BaseUrl.GetLeftPart(UriPartial.Authority));
        log.WriteLine($"own origin: {own}");
        Assert.StartsWith("completion:", own);
        Assert.Contains("no such terminal", own);

        var foreign = await CallHubAsync(http, handler.CookieContainer, "http://evil.example");
        log.WriteLine($"foreign origin: {foreign}");
        Assert.StartsWith("closed", foreign);
    }

    /// <summary>
    /// Negotiates, opens the WebSocket with this Origin, does the JSON protocol's handshake and
    /// invokes Resize on a terminal that does not exist: "completion: ..." when the hub answered,
    /// "closed ..." when the server closed the connection first.
    /// </summary>
    static async Task<string> CallHubAsync(HttpClient http, System.Net.CookieContainer cookies, string origin)
    {
        using var negotiate = new HttpRequestMessage(HttpMethod.Post, "hubs/terminal/negotiate?negotiateVersion=1");
        negotiate.Headers.Add("Origin", origin);
        using var response = await http.SendAsync(negotiate);
        response.EnsureSuccessStatusCode();
        var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("connectionToken").GetString();

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var ws = new ClientWebSocket();
        ws.Options.Cookies = cookies;
        ws.Options.SetRequestHeader("Origin", origin);
        var uri = new UriBuilder(new Uri(http.BaseAddress!, $"hubs/terminal?id={Uri.EscapeDataString(token!)}")) { Scheme = "ws" }.Uri;
        await ws.ConnectAsync(uri, cancel.Token);
        try
        {
            await SendAsync(ws, """{"protocol":"json","version":1}""", cancel.Token);
            await SendAsync(ws, """{"type":1,"invocationId":"1","target":"Resize","arguments":["00000000000000000000000000000000",80,24]}""", cancel.Token);
            var buffer = new byte[16 * 1024];
            var text = new StringBuilder();
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, cancel.Token);
                if (r.MessageType == WebSocketMessageType.Close) return $"closed ({ws.CloseStatus} {ws.CloseStatusDescription})";
                text.Append(Encoding.UTF8.GetString(buffer, 0, r.Count));
                if (!r.EndOfMessage) continue;
                foreach (var message in text.ToString().Split('\u001e', StringSplitOptions.RemoveEmptyEntries))
                {
                    var json = JsonDocument.Parse(message).RootElement;
                    if (!json.TryGetProperty("type", out var type)) continue; // the handshake's answer
                    if (type.GetInt32() == 3) return $"completion: {message}";
                    if (type.GetInt32() == 7) return $"closed (close message {message})";
                }
                text.Clear();
            }
        }
        catch (WebSocketException e)
        {
            return $"closed ({e.Message})";
        }
        catch (OperationCanceledException)
        {
            return "no answer and no close in 60 s";
        }
    }

    static Task SendAsync(ClientWebSocket ws, string json, CancellationToken cancel) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(json + "\u001e"), WebSocketMessageType.Text, true, cancel);
}
