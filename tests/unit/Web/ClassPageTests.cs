using Bunit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;
using Playground.Engine.Labs;
using Playground.Web;
using Playground.Web.Accounts;
using Playground.Web.Components.Accounts;
using Playground.Web.Sandboxes;

using Playground.Tests.Support;

namespace Playground.Tests.Web;

/// <summary>
/// The instructor's class page rendered with a real database (SQLite in a temporary file,
/// migrated), Identity and the real classes service: what an instructor sees of their class,
/// and that another instructor's class is "no such class".
/// </summary>
[Collection("sandbox")]
public sealed class ClassPageTests : IAsyncLifetime
{
    readonly string _data = Directory.CreateTempSubdirectory("playground-classpage-").FullName;
    readonly BunitContext _ctx = new();
    People _people = default!;
    LabManager _labs = default!;
    SandboxHost _host = default!;
    string _ada = "", _bob = "", _classId = "", _grace = "";
    readonly Presence _presence = new();

    public async Task InitializeAsync()
    {
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        var options = new PlaygroundOptions { DataDirectory = _data, StoreBytes = 64L << 20 };
        var services = _ctx.Services;
        services.AddMudServices();
        services.AddLogging();
        services.AddSingleton(options);
        services.AddPlaygroundDb(options, null);
        services.AddIdentityCore<User>().AddRoles<IdentityRole>().AddEntityFrameworkStores<PlaygroundDb>();
        services.AddScoped<Classes>();
        services.AddSingleton<Broadcasts>();
        services.AddSingleton(_presence);
        services.AddSingleton(sp => new Playground.Web.Lessons.Course(
            [Playground.Engine.Lessons.LessonParser.Parse("lessons/01-one.md", "01-one", "---\ntitle: A first root\nsummary: s\n---\n\n## Compile it\n\n```check \"x\"\nfalse\n```\n")],
            sp.GetRequiredService<IDbContextFactory<PlaygroundDb>>()));
        _people = TestDb.People(options);
        _labs = new LabManager(new LabOptions { DataDirectory = _data, CgroupParent = "playground-labs-webtests" });
        _host = new SandboxHost(_people, options, NullLogger<SandboxHost>.Instance, _labs);
        services.AddSingleton(_host);
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;

        // Two instructors; Ada's class with two students.
        using var scope = services.BuildServiceProvider().CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlaygroundDb>();
        await db.Database.MigrateAsync();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var r in Roles.All) await roles.CreateAsync(new IdentityRole(r));
        var users = scope.ServiceProvider.GetRequiredService<UserManager<User>>();
        async Task<string> NewUser(string name, string role)
        {
            var u = new User { UserName = name.ToLowerInvariant(), DisplayName = name };
            Accounts.Check(await users.CreateAsync(u));
            Accounts.Check(await users.AddToRoleAsync(u, role));
            return u.Id;
        }
        _ada = await NewUser("Ada", Roles.Instructor);
        _bob = await NewUser("Bob", Roles.Instructor);
        var classes = scope.ServiceProvider.GetRequiredService<Classes>();
        _classId = (await classes.CreateAsync(_ada, "Containers 101", null)).Id;
        foreach (var student in new[] { "Grace", "Linus" })
        {
            var id = await NewUser(student, Roles.Student);
            if (student == "Grace") _grace = id;
            db.Enrollments.Add(new Enrollment { ClassId = _classId, UserId = id, DisplayName = student });
        }
        await db.SaveChangesAsync();
    }

    IRenderedComponent<ClassPage> RenderAs(string userId)
    {
        var auth = _ctx.AddAuthorization();
        auth.SetAuthorized(userId);
        auth.SetRoles(Roles.Instructor);
        auth.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, userId),
            new System.Security.Claims.Claim(DisplayNameClaims.Type, userId == _ada ? "Ada" : "Bob"));
        return _ctx.Render<ClassPage>(p => p.Add(x => x.Id, _classId));
    }

    [Fact]
    public void The_instructor_sees_the_code_and_every_student_and_their_sandboxes_side_by_side()
    {
        var cut = RenderAs(_ada);
        cut.WaitForAssertion(() => Assert.Contains("Containers 101", cut.Markup));
        Assert.Matches("^[A-HJ-NP-Z2-9]{8}$", cut.Find("[aria-label='join code']").TextContent);
        var grid = cut.Find("[aria-label='students']").TextContent;
        Assert.Contains("Grace", grid);
        Assert.Contains("Linus", grid);
        Assert.Contains("no lab", grid); // nobody has started anything yet
        Assert.Contains("no sandbox yet", cut.Find("[aria-label='comparison']").TextContent);

    }

    [Fact]
    public void Another_instructor_gets_no_such_class()
    {
        var cut = RenderAs(_bob);
        cut.WaitForAssertion(() => Assert.Contains("No such class.", cut.Markup));
        Assert.DoesNotContain("Grace", cut.Markup);
        Assert.DoesNotContain("Containers 101", cut.Markup);
    }

    [Fact]
    public void A_pushed_spec_is_checked_before_it_reaches_the_class()
    {
        var cut = RenderAs(_ada);
        cut.WaitForAssertion(() => Assert.Contains("Containers 101", cut.Markup));
        cut.Find("textarea").Input("{ \"rootfs\": \"/roots/busybox\", \"bogus\": 1 }");
        cut.FindAll("button").Single(b => b.TextContent.Contains("Push to the class")).Click();
        cut.WaitForAssertion(() => Assert.Contains("spec:", cut.Find("[role='alert']").TextContent));
        cut.Find("textarea").Input("{ \"rootfs\": \"/roots/busybox\", \"command\": [\"/bin/sh\"] }");
        cut.FindAll("button").Single(b => b.TextContent.Contains("Push to the class")).Click();
        cut.WaitForAssertion(() => Assert.Contains("Pushed at", cut.Markup));
    }

    [Fact]
    public void The_grid_says_who_is_online_and_why_their_last_launch_failed()
    {
        var presence = _presence;
        presence.Up(_grace); // Grace has the playground open in a tab
        Assert.Throws<Playground.Engine.SpecValidationException>(() =>
            _host.Start(_grace, Playground.Engine.Spec.SandboxSpec.Default("roots/busybox", "/bin/sh"), Playground.Engine.Launch.TerminalSize.Default));
        var cut = RenderAs(_ada);
        string Card(string name) => cut.Find($"[aria-label='student {name}']").TextContent;
        cut.WaitForAssertion(() => Assert.Contains("online", Card("Grace")));
        Assert.Contains("last launch failed: rootfs", Card("Grace"));
        Assert.Contains("offline", Card("Linus"));
        Assert.DoesNotContain("failed", Card("Linus"));
        presence.Down(_grace); // her tab closed: the grid follows at once
        cut.WaitForAssertion(() => Assert.Contains("left just now", Card("Grace")));
    }

    [Fact]
    public async Task The_instructor_sees_who_is_on_which_lesson_step_and_who_is_stuck_live()
    {
        // The same database the page reads, through a course of its own.
        var course = new Playground.Web.Lessons.Course([], Playground.Tests.Support.TestDb.Factory(new PlaygroundOptions { DataDirectory = _data }));
        for (var i = 0; i < Playground.Web.Lessons.Course.StuckAfter; i++) await course.RecordAsync(_grace, "01-one", 1, passed: false);
        var cut = RenderAs(_ada);
        string Row() => cut.Find("[aria-label='progress of Grace']").TextContent;
        cut.WaitForAssertion(() => Assert.Contains("A first root, step 1: Compile it", Row()));
        Assert.Contains("stuck: 3 failed checks", Row());
        Assert.Contains("(stuck: 3 failed checks)", cut.Find("[aria-label='student Grace']").TextContent);
        Assert.Throws<Bunit.ElementNotFoundException>(() => cut.Find("[aria-label='progress of Linus']")); // he has not started
        await course.RecordAsync(_grace, "01-one", 1, passed: true); // she got there: the page follows within its refresh
        cut.WaitForAssertion(() => Assert.DoesNotContain("stuck", Row()), TimeSpan.FromSeconds(10));
        Assert.Contains("<td>1</td>", cut.Find("[aria-label='progress of Grace']").InnerHtml); // one check passed
    }

    public async Task DisposeAsync()
    {
        await _ctx.DisposeAsync();
        _host.Dispose();
        _labs.Dispose();
        _people.UnmountStores();
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }
}
