using System.Net;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Playground.E2E.Support;
using Xunit.Abstractions;

namespace Playground.E2E;

/// <summary>
/// The terminal hub called by a program (Microsoft.AspNetCore.SignalR.Client), not a page: with
/// another person's cookie, or from another origin. Every call on a terminal that is not the
/// caller's to use answers "no such terminal", exactly as for a terminal that does not exist.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class HubAuthorizationTests(AppFixture fixture, ITestOutputHelper log)
{
    /// <summary>A hub connection with a fresh guest's cookie, from <paramref name="origin"/>.</summary>
    async Task<HubConnection> ConnectAsGuestAsync(string origin)
    {
        var cookies = new CookieContainer();
        using (var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = fixture.App.BaseUrl })
            (await http.GetAsync("/")).EnsureSuccessStatusCode(); // a guest identity, in the cookie
        return new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.App.BaseUrl, "/hubs/terminal"), o =>
            {
                o.Cookies = cookies;
                o.Headers["Origin"] = origin;
            })
            .AddMessagePackProtocol()
            .Build();
    }

    static async Task<string> Outcome(Func<Task> call)
    {
        try { await call(); return "accepted"; }
        catch (HubException e) { return e.Message; }
    }

    [Fact]
    public async Task Another_persons_terminal_does_not_exist_for_a_program_with_my_cookie()
    {
        var owner = await fixture.NewVisitorAsync();
        try
        {
            var term = await (await PlaygroundPage.OpenAsync(owner)).RunAsync();
            await using var intruder = await ConnectAsGuestAsync(fixture.App.BaseUrl.GetLeftPart(UriPartial.Authority));
            await intruder.StartAsync();
            var outcomes = new Dictionary<string, string>
            {
                ["Input"] = await Outcome(() => intruder.InvokeAsync("Input", term.Id, "echo intruder\r"u8.ToArray())),
                ["Resize"] = await Outcome(() => intruder.InvokeAsync("Resize", term.Id, 20, 5)),
                ["Ack"] = await Outcome(() => intruder.InvokeAsync("Ack", term.Id, 1024L)),
                ["WatchSize"] = await Outcome(() => intruder.InvokeAsync<int[]>("WatchSize", term.Id)),
                ["TakeOver"] = await Outcome(() => intruder.InvokeAsync("TakeOver", term.Id, true)),
                ["Attach"] = await Outcome(async () => { await foreach (var _ in intruder.StreamAsync<byte[]>("Attach", term.Id)) break; }),
                ["Watch"] = await Outcome(async () => { await foreach (var _ in intruder.StreamAsync<byte[]>("Watch", term.Id)) break; }),
            };
            foreach (var (call, outcome) in outcomes) log.WriteLine($"{call}: {outcome}");
            Assert.All(outcomes, o => Assert.Contains("no such terminal", o.Value));
            // ...exactly what a made-up id gets
            Assert.Contains("no such terminal", await Outcome(() => intruder.InvokeAsync("Input", new string('0', 32), "x"u8.ToArray())));
            // and the owner's shell never got the keys
            await term.TypeLineAsync("echo mine-$((3*3))");
            await term.WaitForRowAsync("^mine-9$");
            Assert.DoesNotContain("intruder", await term.ScreenAsync());
        }
        finally { await owner.CloseAsync(); }
    }

    [Fact]
    public async Task A_connection_from_another_site_is_closed_before_any_call()
    {
        await using var crossSite = await ConnectAsGuestAsync("http://evil.example");
        var closed = new TaskCompletionSource();
        crossSite.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        try { await crossSite.StartAsync(); }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or System.Net.WebSockets.WebSocketException)
        {
            log.WriteLine($"refused at start: {e.Message}");
            return;
        }
        // Accepted by the transport, then aborted by the hub: closed, and no call goes through.
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HubConnectionState.Disconnected, crossSite.State);
    }
}
