using System.Net;
using System.Text.RegularExpressions;
using Playground.E2E.Support;
using Xunit.Abstractions;

namespace Playground.E2E;

/// <summary>Sign-in, anti-forgery and rate limits, as a plain HTTP client against the running app.</summary>
[Collection(AppCollection.Name)]
public sealed partial class AccountTests(ITestOutputHelper log)
{
    sealed class Client : IDisposable
    {
        public readonly CookieContainer Cookies = new();
        public readonly HttpClient Http;
        public Client(Uri baseUrl) => Http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false }) { BaseAddress = baseUrl };

        /// <summary>A page's anti-forgery token (its form's hidden field), with the matching cookie set.</summary>
        public async Task<string> TokenAsync(string page)
        {
            var html = await Http.GetStringAsync(page);
            return TokenField().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"no anti-forgery token on {page}");
        }

        public Task<HttpResponseMessage> PostAsync(string path, params (string, string)[] fields) =>
            Http.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2))));

        public bool SignedIn => Cookies.GetCookies(Http.BaseAddress!).Any(c => c.Name == "playground.user");
        public void Dispose() => Http.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    [Fact]
    public async Task The_first_admin_link_works_once_and_forms_need_their_anti_forgery_token()
    {
        // An app of its own: the shared app's admin link is another test's to use.
        await using var app = await PlaygroundApp.StartAsync();
        var link = app.AdminSignInLink ?? throw new InvalidOperationException("the app logged no admin link:\n" + app.RecentLog());
        using var admin = new Client(app.BaseUrl);
        var first = await admin.Http.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal("/account?welcome=true", first.Headers.Location?.OriginalString);
        Assert.True(admin.SignedIn);
        using var other = new Client(app.BaseUrl);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.GetAsync(link)).StatusCode); // once only
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.GetAsync("/signin/" + new string('a', 64))).StatusCode);

        // A form without its token is refused; with it, the password is set.
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/account/password", ("newPassword", "correct horse"))).StatusCode);
        var token = await admin.TokenAsync("/account");
        var saved = await admin.PostAsync("/account/password", ("newPassword", "correct horse"), ("__RequestVerificationToken", token));
        Assert.Equal("/account?saved=true", saved.Headers.Location?.OriginalString);

        // Then a password sign-in works from a fresh client; a wrong one says so.
        using var again = new Client(app.BaseUrl);
        var loginToken = await again.TokenAsync("/login");
        var wrong = await again.PostAsync("/account/login", ("userName", "admin"), ("password", "wrong horse"), ("__RequestVerificationToken", loginToken));
        Assert.Equal("/login?error=wrong", wrong.Headers.Location?.OriginalString);
        Assert.False(again.SignedIn);
        var right = await again.PostAsync("/account/login", ("userName", "admin"), ("password", "correct horse"), ("returnUrl", "https://evil.example/"), ("__RequestVerificationToken", loginToken));
        Assert.Equal("/", right.Headers.Location?.OriginalString); // never to another site
        Assert.True(again.SignedIn);
        Assert.Contains("Instructors", await again.Http.GetStringAsync("/admin"));
        // A guest is no admin.
        using var guest = new Client(app.BaseUrl);
        var page = await guest.Http.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/login?returnUrl=%2Fadmin", page.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task On_PostgreSQL_the_app_makes_its_admin_once_and_a_restart_keeps_the_accounts()
    {
        using var postgres = new Playground.Tests.Support.PostgresServer();
        var database = postgres.NewDatabase();
        string[] settings = ["--Playground:Database=postgres", $"--ConnectionStrings:Playground={database}"];
        await using (var app = await PlaygroundApp.StartAsync(settings: settings))
        {
            var link = app.AdminSignInLink ?? throw new InvalidOperationException("the app logged no admin link:\n" + app.RecentLog());
            Assert.False(File.Exists(Path.Combine(app.DataDirectory, "playground.db"))); // not SQLite
            using var admin = new Client(app.BaseUrl);
            Assert.Equal(HttpStatusCode.Redirect, (await admin.Http.GetAsync(link)).StatusCode);
            var token = await admin.TokenAsync("/account");
            var saved = await admin.PostAsync("/account/password", ("newPassword", "correct horse"), ("__RequestVerificationToken", token));
            Assert.Equal("/account?saved=true", saved.Headers.Location?.OriginalString);
        }
        // Another server on the same database: no second admin, the password holds.
        await using (var app = await PlaygroundApp.StartAsync(settings: settings))
        {
            Assert.Null(app.AdminSignInLink);
            using var again = new Client(app.BaseUrl);
            var loginToken = await again.TokenAsync("/login");
            var right = await again.PostAsync("/account/login", ("userName", "admin"), ("password", "correct horse"), ("__RequestVerificationToken", loginToken));
            Assert.Equal("/", right.Headers.Location?.OriginalString);
            Assert.Contains("Instructors", await again.Http.GetStringAsync("/admin"));
        }
        // PostgreSQL without a connection string is a bad setting, named.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => PlaygroundApp.StartAsync(settings: ["--Playground:Database=postgres"]));
        Assert.Contains("exited with 2", refused.Message);
        Assert.Contains("ConnectionStrings:Playground: required with Playground:Database postgres", refused.Message);
    }

    [Fact]
    public async Task Sign_in_and_join_attempts_are_rate_limited_per_address()
    {
        // An app of its own: the shared one's limits must not be spent by this test.
        await using var app = await PlaygroundApp.StartAsync(settings: ["--Playground:SignInsPerMinute=3", "--Playground:JoinsPerMinute=3", "--Playground:GuestsPerMinute=5"]);
        using var c = new Client(app.BaseUrl);
        var token = await c.TokenAsync("/login");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
            statuses.Add((await c.PostAsync("/account/login", ("userName", "admin"), ("password", $"guess {i}"), ("__RequestVerificationToken", token))).StatusCode);
        log.WriteLine(string.Join(", ", statuses));
        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        var joinToken = await c.TokenAsync("/join");
        var joins = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
            joins.Add((await c.PostAsync("/join", ("code", "ABCDEFGH"), ("name", "x"), ("__RequestVerificationToken", joinToken))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, joins[^1]);

        // New guests: GuestsPerMinute=5 a minute from one address, then 429 (a script without cookies cannot use up the id ranges).
        var guests = new List<HttpStatusCode>();
        for (var i = 0; i < 7; i++)
        {
            using var fresh = new HttpClient { BaseAddress = app.BaseUrl };
            guests.Add((await fresh.GetAsync("/rootfs")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, guests[^1]);
        Assert.Contains(HttpStatusCode.OK, guests);
    }
}
