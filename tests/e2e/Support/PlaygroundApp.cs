using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Playground.E2E.Support;

/// <summary>
/// The real web app as a separate process: the Playground.Web.dll that `dotnet build src/Web`
/// made (nothing is built here), on a free loopback port, with a data directory of its own that
/// is removed when the app is stopped. It runs as root like in production (namespaces, cgroups).
/// </summary>
public sealed partial class PlaygroundApp : IAsyncDisposable
{
    readonly Process _process;
    readonly object _logLock = new();
    readonly Queue<string> _log = new();

    PlaygroundApp(Process process, Uri baseUrl, string dataDirectory, string dll)
    {
        _process = process;
        BaseUrl = baseUrl;
        DataDirectory = dataDirectory;
        Dll = dll;
    }

    public Uri BaseUrl { get; }
    public string DataDirectory { get; }
    public string Dll { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>The one-time admin sign-in link the app logs on its first start (null until it has).</summary>
    public string? AdminSignInLink { get; private set; }

    /// <summary>The app's last lines of output (stdout and stderr), for failure messages.</summary>
    public string RecentLog()
    {
        lock (_logLock) return string.Join('\n', _log);
    }

    /// <summary>
    /// The built app: $PLAYGROUND_WEB_DLL if set, else src/Web/bin/CONFIGURATION/net10.0/Playground.Web.dll
    /// for the preferred configuration (what `dotnet build src/Web` makes is Debug), else the other one.
    /// </summary>
    public static string FindDll(string preferredConfiguration = "Debug")
    {
        if (Environment.GetEnvironmentVariable("PLAYGROUND_WEB_DLL") is { Length: > 0 } explicitDll)
            return File.Exists(explicitDll) ? explicitDll : throw new FileNotFoundException("PLAYGROUND_WEB_DLL does not exist", explicitDll);
        var configurations = new[] { preferredConfiguration, "Debug", "Release" }.Distinct();
        return configurations
                   .Select(c => Path.Combine(RepoRoot.Path, "src", "Web", "bin", c, "net10.0", "Playground.Web.dll"))
                   .FirstOrDefault(File.Exists)
               ?? throw new FileNotFoundException("Playground.Web.dll is not built: run `dotnet build src/Web` first");
    }

    public static async Task<PlaygroundApp> StartAsync(string? dll = null, TimeSpan? startTimeout = null, params string[] settings)
    {
        dll ??= FindDll();
        var port = FreePort();
        var baseUrl = new Uri($"http://127.0.0.1:{port}/");
        var data = Directory.CreateTempSubdirectory("playground-e2e-").FullName;
        // Each person's sandbox root (a mapped uid) must be able to walk down to its rootfs.
        File.SetUnixFileMode(data, (UnixFileMode)0x1ed); // 0755
        var start = new ProcessStartInfo("dotnet")
        {
            // The dll's directory is the content root: its appsettings.json applies, as when deployed.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Labs of its own (ids apart from a real server's) that end with the app, not outliving the test.
        foreach (var a in (string[])[dll, "--urls", baseUrl.ToString().TrimEnd('/'), $"--Playground:DataDirectory={data}",
                     "--Playground:EndLabsOnStop=true",
                     // every visitor of a test or bench comes from 127.0.0.1
                     "--Playground:GuestsPerMinute=100000", .. settings])
            start.ArgumentList.Add(a);
        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var app = new PlaygroundApp(process, baseUrl, data, dll);
        // If this process ends without disposing (Ctrl-C on the bench, a test host stopped), the app must not outlive it.
        AppDomain.CurrentDomain.ProcessExit += app.OnProcessExit;
        process.OutputDataReceived += (_, e) => app.Log(e.Data);
        process.ErrorDataReceived += (_, e) => app.Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await app.WaitUntilAnsweringAsync(startTimeout ?? TimeSpan.FromSeconds(90));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return app;
    }

    void Log(string? line)
    {
        if (line is null) return;
        if (AdminSignInLink is null && SignInLink().Match(line) is { Success: true } m) AdminSignInLink = m.Value;
        lock (_logLock)
        {
            _log.Enqueue(line);
            while (_log.Count > 300) _log.Dequeue();
        }
    }

    async Task WaitUntilAnsweringAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"the app exited with {_process.ExitCode} before answering:\n{RecentLog()}");
            try
            {
                // A static file: it answers once Kestrel and the app's pipeline are up.
                using var response = await http.GetAsync(new Uri(BaseUrl, "app.css"));
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the app did not answer on {BaseUrl} within {timeout}:\n{RecentLog()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Resident memory of the app process (VmRSS in /proc/PID/status), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
        throw new InvalidOperationException("no VmRSS");
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    void OnProcessExit(object? sender, EventArgs e)
    {
        lock (_logLock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        if (!_process.HasExited)
        {
            kill(_process.Id, 15);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(15))) _process.Kill(entireProcessTree: true);
        }
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }

    bool _disposed;

    /// <summary>SIGTERM (the app stops its sandboxes on the way out), SIGKILL if it lingers, then the data directory goes.</summary>
    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        lock (_logLock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        if (!_process.HasExited)
        {
            kill(_process.Id, 15);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await _process.WaitForExitAsync(grace.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        }
        _process.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"https?://\S+/signin/[0-9a-f]{64}")]
    private static partial System.Text.RegularExpressions.Regex SignInLink();
}
