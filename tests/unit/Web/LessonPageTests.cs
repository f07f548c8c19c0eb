using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;
using Playground.Engine.Labs;
using Playground.Engine.Lessons;
using Playground.Tests.Support;
using Playground.Web;
using Playground.Web.Components.Lessons;
using Playground.Web.Lessons;
using Playground.Web.Sandboxes;

namespace Playground.Tests.Web;

/// <summary>The lesson page against a real lab: a check that fails says why, hints one at a time, Type it reaches the host shell, the check then passes and is kept.</summary>
[Collection("sandbox")]
public sealed class LessonPageTests : IAsyncLifetime
{
    const string Alice = "0123456789abcdef0123456789abcdef";
    readonly string _data = Directory.CreateTempSubdirectory("playground-lessonpage-").FullName;
    readonly BunitContext _ctx = new();
    People _people = default!;
    LabManager _labs = default!;
    SandboxHost _host = default!;
    Course _course = default!;

    const string Lesson = """
        ---
        title: Make a file
        summary: One step.
        ---

        ## The file

        Make it:

        ```run
        echo made > /root/made.txt
        ```

        ```check "There is no /root/made.txt yet."
        grep -qx made made.txt
        ```

        > Hint: First hint.

        > Hint: Second hint.
        """;

    public Task InitializeAsync()
    {
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        var options = new PlaygroundOptions { DataDirectory = _data, StoreBytes = 64L << 20 };
        var db = TestDb.Factory(options);
        _people = new People(options, db, NullLogger<People>.Instance);
        _labs = new LabManager(new LabOptions { DataDirectory = _data, CgroupParent = "playground-labs-webtests", MemoryBytes = 256L << 20, WorkspaceBytes = 32L << 20 });
        _host = new SandboxHost(_people, options, NullLogger<SandboxHost>.Instance, _labs);
        _course = new Course([LessonParser.Parse("lessons/01-make.md", "01-make", Lesson)], db);
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton(_host);
        _ctx.Services.AddSingleton(_course);
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        var auth = _ctx.AddAuthorization();
        auth.SetAuthorized("guest");
        auth.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, Alice));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_failing_check_says_why_hints_come_one_at_a_time_and_typing_the_snippet_makes_it_pass()
    {
        var cut = _ctx.Render<LessonPage>(p => p.Add(x => x.Id, "01-make"));
        await cut.InvokeAsync(() => Button(cut, "check step 1").Click()); // in one go: the page re-renders as the lab and terminal come and go
        cut.WaitForAssertion(() => Assert.Contains("Your lab is not running", cut.Find("[aria-label='check result 1']").TextContent), TimeSpan.FromSeconds(10));

        Assert.Empty(cut.FindAll("[aria-label='hint']"));
        cut.FindAll("button").Single(b => b.TextContent.Contains("Show a hint (1 of 2)")).Click();
        Assert.Equal(["First hint."], cut.FindAll("[aria-label='hint']").Select(h => h.TextContent.Trim()));
        cut.FindAll("button").Single(b => b.TextContent.Contains("Show a hint (2 of 2)")).Click();
        Assert.Equal(2, cut.FindAll("[aria-label='hint']").Count);
        Assert.DoesNotContain(cut.FindAll("button"), b => b.TextContent.Contains("Show a hint"));

        await cut.InvokeAsync(() => Button(cut, "type snippet at line 10").Click()); // opens the host shell, then types into it
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".lesson-terminal [data-terminal-id]")), TimeSpan.FromSeconds(10));
        await WaitForFileAsync();
        await cut.InvokeAsync(() => Button(cut, "check step 1").Click()); // in one go: the page re-renders as the lab and terminal come and go
        cut.WaitForAssertion(() => Assert.Contains("Done: the check passed.", cut.Find("[aria-label='check result 1']").TextContent), TimeSpan.FromSeconds(10));
        Assert.NotNull(cut.Find("[aria-label='step done']"));
        var kept = await _course.OfAsync(Alice, "01-make");
        Assert.NotNull(kept[1].PassedAt);
        Assert.Equal(1, kept[1].Failures); // the check before the lab ran
    }

    [Fact]
    public void No_such_lesson()
    {
        var cut = _ctx.Render<LessonPage>(p => p.Add(x => x.Id, "99-none"));
        Assert.Contains("No such lesson.", cut.Markup);
    }

    static AngleSharp.Dom.IElement Button(IRenderedComponent<LessonPage> cut, string label) =>
        cut.FindAll("button").Single(b => b.GetAttribute("aria-label") == label);

    async Task WaitForFileAsync()
    {
        for (var i = 0; i < 100; i++)
        {
            if (_labs.Find(SandboxHost.LabName(_people.Get(Alice))) is { } lab && File.Exists(Path.Combine(_data, "labs", lab.Name, "root", "root", "made.txt"))) return;
            await Task.Delay(100);
        }
        Assert.Fail("the snippet did not reach the host shell");
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
