using Playground.E2E.Support;
using Xunit.Abstractions;

namespace Playground.E2E;

/// <summary>The X-ray beside a running sandbox in the browser: what the kernel applied, and a refused mkdir as it happens.</summary>
[Collection(AppCollection.Name)]
public sealed class XrayTests(AppFixture fixture, ITestOutputHelper log) : IAsyncLifetime
{
    IBrowserContext _visitor = default!;

    public async Task InitializeAsync() => _visitor = await fixture.NewVisitorAsync(1600, 1000);
    public async Task DisposeAsync() => await _visitor.CloseAsync();

    [Fact]
    public async Task A_sandbox_with_mkdir_denied_shows_its_namespaces_and_capabilities_and_the_refused_mkdir_with_its_rule()
    {
        var page = await PlaygroundPage.OpenAsync(_visitor);
        var spec = Path.Combine(Path.GetTempPath(), $"xray-{Guid.NewGuid():n}.json");
        File.WriteAllText(spec, """
            { "rootfs": "/roots/busybox", "command": ["/bin/sh"], "terminal": true, "hostname": "xray",
              "namespaces": { "mount": true, "uts": true, "ipc": true, "pid": true, "net": false, "user": true, "cgroup": true },
              "capabilities": { "drop": ["CAP_CHOWN"] },
              "seccomp": { "rules": [{ "syscall": "mkdir", "action": "errno" }] } }
            """);
        // Load spec: Blazor's InputFile listens once its script has set up the element; the
        // builder shows the loaded spec when the net switch goes off (an early upload is retried).
        await page.Page.WaitForFunctionAsync("() => { const i = document.querySelector('input[type=file]'); return !!i && '_blazorInputFileNextFileId' in i; }");
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                await page.Page.Locator("input[type=file]").SetInputFilesAsync(spec);
                try
                {
                    await Assertions.Expect(page.Switch("net")).Not.ToBeCheckedAsync(new() { Timeout = 10_000 });
                    break;
                }
                catch (PlaywrightException) when (attempt < 3) { log.WriteLine($"upload {attempt} not taken yet"); }
            }
        }
        finally { File.Delete(spec); }
        var shell = await page.RunAsync();

        var xray = page.Page.GetByLabel("x-ray");
        await Assertions.Expect(xray.GetByLabel("namespace uts")).ToContainTextAsync("new");
        await Assertions.Expect(xray.GetByLabel("namespace net")).ToContainTextAsync("the lab's");
        await Assertions.Expect(xray.GetByLabel("capabilities effective")).Not.ToContainTextAsync("chown");
        await Assertions.Expect(xray.GetByLabel("capabilities effective")).ToContainTextAsync("kill");
        await Assertions.Expect(xray.GetByLabel("seccomp")).ToContainTextAsync("2 filter(s): your lab's, then the sandbox's own");
        // The rules in effect as compiled: docker-default's refusals and the spec's mkdir.
        await Assertions.Expect(xray.GetByLabel("compiled filter")).ToContainTextAsync("BPF instructions");
        await Assertions.Expect(xray.GetByLabel("compiled filter")).ToContainTextAsync("\"mkdir\"");
        await Assertions.Expect(xray.GetByLabel("mount /proc", new() { Exact = true })).ToHaveClassAsync("xray-spec"); // asked for by the spec
        await Assertions.Expect(xray.GetByLabel("mount /proc/keys", new() { Exact = true })).Not.ToHaveClassAsync("xray-spec"); // a mask, not asked for

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await shell.TypeLineAsync("mkdir /refused");
        await shell.WaitForRowAsync("Operation not permitted");
        // Pushed to the page as the supervisor answers the call, not at the X-ray's next 2 s refresh.
        await Assertions.Expect(xray.GetByLabel("refused call").First).ToContainTextAsync("mkdir refused by rule 'mkdir → errno 1' (EPERM), mkdir");
        log.WriteLine($"the refused mkdir was on the page {clock.ElapsedMilliseconds} ms after its line was typed");
        await Assertions.Expect(xray.GetByLabel("refused system calls")).ToContainTextAsync("1 refused so far");
        log.WriteLine(await xray.InnerTextAsync());
    }
}
