using Playground.E2E.Support;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Playground.E2E;

/// <summary>One app and one Chromium for all the tests; each test is a new visitor (its own browser context, so its own cookie).</summary>
public sealed class AppFixture : IAsyncLifetime
{
    public PlaygroundApp App { get; private set; } = default!;
    public IPlaywright Playwright { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;
    /// <summary>The admin's password once a test has used the app's one-time admin link to set it.</summary>
    public string? AdminPassword { get; set; }

    public async Task InitializeAsync()
    {
        App = await PlaygroundApp.StartAsync();
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Chromium.LaunchAsync(Playwright);
    }

    /// <summary>A new visitor: a fresh browser context (no cookie yet) with this viewport.</summary>
    public async Task<IBrowserContext> NewVisitorAsync(int width = 1400, int height = 900)
    {
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = App.BaseUrl.ToString(),
            ViewportSize = new() { Width = width, Height = height },
        });
        context.SetDefaultTimeout(PlaygroundPage.Timeout);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
        if (App is not null) await App.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "the web app";
}
