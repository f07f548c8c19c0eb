using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;
using Playground.Engine.Labs;
using Playground.Engine.Launch;
using Playground.Web;
using Playground.Web.Components.Workspace;
using Playground.Web.Sandboxes;

using Playground.Tests.Support;

namespace Playground.Tests.Web;

/// <summary>The lab panel against a real lab: its state, its use against its limits, its notice, Reset and End.</summary>
[Collection("sandbox")]
public sealed class LabPanelTests : IAsyncLifetime
{
    const string Alice = "0123456789abcdef0123456789abcdef";
    readonly string _data = Directory.CreateTempSubdirectory("playground-labpanel-").FullName;
    readonly BunitContext _ctx = new();
    People _people = default!;
    LabManager _labs = default!;
    SandboxHost _host = default!;

    public Task InitializeAsync()
    {
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        // A lifetime inside the warning: the notice shows as soon as the lab runs.
        var options = new PlaygroundOptions { DataDirectory = _data, StoreBytes = 64L << 20, LabMaxHours = 0.5, LabIdleMinutes = 60, LabWarningMinutes = 45 };
        _people = TestDb.People(options);
        _labs = new LabManager(new LabOptions { DataDirectory = _data, CgroupParent = "playground-labs-webtests", MemoryBytes = 256L << 20, WorkspaceBytes = 32L << 20 });
        _host = new SandboxHost(_people, options, NullLogger<SandboxHost>.Instance, _labs);
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton(_host);
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        return Task.CompletedTask;
    }

    [Fact]
    public void Shows_the_lab_its_use_against_its_limits_and_its_end_and_resets_and_ends_it()
    {
        var cut = _ctx.Render<LabPanel>(p => p.Add(x => x.Owner, Alice));
        Assert.Contains("not running", cut.Find("[aria-label='lab status']").TextContent);
        Assert.Empty(cut.FindAll("[aria-label='memory']"));

        _host.StartHostShell(Alice, TerminalSize.Default);
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("running since", cut.Find("[aria-label='lab status']").TextContent);
            Assert.Contains("of 256 MiB", cut.Find("[aria-label='memory']").TextContent); // its use is read with the next refresh
        }, TimeSpan.FromSeconds(10));
        Assert.Contains("of 32 MiB", cut.Find("[aria-label='workspace']").TextContent);
        Assert.Contains("of 1024", cut.Find("[aria-label='processes']").TextContent);
        Assert.Matches(@"/roots \d", cut.Find("[aria-label='/roots']").TextContent);
        Assert.Contains("labs last at most 30 minutes", cut.Find("[role='alert']").TextContent);
        Assert.DoesNotContain("Keep my lab", cut.Find("[role='alert']").TextContent); // typing does not stretch a lifetime

        var first = _host.LabOf(Alice)!;
        cut.FindAll("button").Single(b => b.TextContent == "Reset lab").Click();
        cut.FindAll("button").Single(b => b.TextContent == "Really reset the lab?").Click();
        cut.WaitForAssertion(() => Assert.NotEqual(first.InitPid, _host.LabOf(Alice)?.InitPid), TimeSpan.FromSeconds(10));
        // the reset has finished when its buttons are live again
        cut.WaitForAssertion(() => Assert.False(cut.FindAll("button").Single(b => b.TextContent == "End lab").HasAttribute("disabled")), TimeSpan.FromSeconds(10));
        Assert.Contains("running since", cut.Find("[aria-label='lab status']").TextContent);

        cut.FindAll("button").Single(b => b.TextContent == "End lab").Click();
        cut.FindAll("button").Single(b => b.TextContent == "Really end the lab?").Click();
        cut.WaitForAssertion(() => Assert.Contains("not running", cut.Find("[aria-label='lab status']").TextContent), TimeSpan.FromSeconds(10));
        Assert.Null(_host.LabOf(Alice));
    }

    public async Task DisposeAsync()
    {
        await _ctx.DisposeAsync();
        _host.Dispose();
        foreach (var lab in _labs.List()) _labs.End(lab.Name);
        _labs.Dispose();
        _people.UnmountStores();
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }
}
