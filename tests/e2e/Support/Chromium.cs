namespace Playground.E2E.Support;

/// <summary>Debian's Chromium (no browser is downloaded), headless, through Playwright.</summary>
public static class Chromium
{
    /// <summary>$PLAYGROUND_CHROMIUM if set, else /usr/bin/chromium (apt-get install chromium).</summary>
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("PLAYGROUND_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        if (!File.Exists(ExecutablePath))
            throw new FileNotFoundException($"no Chromium at {ExecutablePath}: apt-get install -y chromium", ExecutablePath);
        return playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox"],
            Timeout = 120_000,
        });
    }
}
