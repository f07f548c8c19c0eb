using System.Text.RegularExpressions;
using Playground.E2E.Support;
using Xunit.Abstractions;

namespace Playground.E2E;

/// <summary>An admin, an instructor and a student, each in a browser of their own.</summary>
[Collection(AppCollection.Name)]
public sealed class ClassroomTests(AppFixture fixture, ITestOutputHelper log)
{
    [Fact]
    public async Task An_instructor_made_by_the_admin_opens_a_class_a_student_joins_and_the_instructor_watches_and_takes_over_her_terminal()
    {
        var adminContext = await fixture.NewVisitorAsync();
        var instructorContext = await fixture.NewVisitorAsync();
        var studentContext = await fixture.NewVisitorAsync();
        try
        {
            // The admin signs in: with a password if an earlier test set one, else by the first-start link.
            var admin = await adminContext.NewPageAsync();
            await SignInAdminAsync(admin);
            await admin.GotoAsync("/admin");
            await PlaygroundPage.WaitUntilLiveAsync(admin, "Add instructor");
            var userName = $"ada{Random.Shared.Next(100000)}";
            await admin.GetByLabel("Sign-in name").FillAsync(userName);
            await admin.GetByLabel("Display name").FillAsync("Ada");
            await admin.GetByRole(AriaRole.Button, new() { Name = "Add instructor" }).ClickAsync();
            var link = await admin.GetByLabel("sign-in link").TextContentAsync();
            log.WriteLine($"instructor link: {link}");

            // The instructor uses the link once, sets a password, makes a class.
            var instructor = await instructorContext.NewPageAsync();
            await instructor.GotoAsync(link!);
            await Assertions.Expect(instructor.GetByText("That link worked once")).ToBeVisibleAsync();
            await instructor.GetByLabel("New password").FillAsync("ada's secret");
            await instructor.GetByRole(AriaRole.Button, new() { Name = "Set password" }).ClickAsync();
            await Assertions.Expect(instructor.GetByText("Password saved.")).ToBeVisibleAsync();
            await instructor.GotoAsync("/classes");
            await PlaygroundPage.WaitUntilLiveAsync(instructor, "New class");
            await instructor.GetByLabel("Class name").FillAsync("Containers 101");
            await instructor.GetByRole(AriaRole.Button, new() { Name = "New class" }).ClickAsync();
            await instructor.GetByRole(AriaRole.Link, new() { Name = "Containers 101" }).ClickAsync();
            var code = await instructor.GetByLabel("join code").TextContentAsync();
            Assert.Matches("^[A-HJ-NP-Z2-9]{8}$", code);
            var classUrl = instructor.Url;

            // A student: a wrong code is refused; the right one lets them in, with their name.
            var student = await studentContext.NewPageAsync();
            await student.GotoAsync("/join");
            await student.GetByLabel("Class code").FillAsync("ZZZZZZZZ");
            await student.GetByLabel("Your name").FillAsync("Grace");
            await student.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
            await Assertions.Expect(student.GetByText("No open class has that code")).ToBeVisibleAsync();
            await student.GotoAsync($"/join/{code}");
            await student.GetByLabel("Your name").FillAsync("Grace");
            await student.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
            await Assertions.Expect(student.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true })).ToBeVisibleAsync();
            await Assertions.Expect(student.GetByRole(AriaRole.Link, new() { Name = "Grace" })).ToBeVisibleAsync(); // signed in, by her name

            // She runs a sandbox and types in it.
            var studentPage = new PlaygroundPage(student);
            await studentPage.WaitUntilInteractiveAsync();
            var mine = await studentPage.RunAsync();
            await mine.TypeLineAsync("echo from-grace-$((6*7))");
            await mine.WaitForRowAsync("^from-grace-42$");

            // The instructor's grid shows her, with a live thumbnail of that terminal.
            await instructor.GotoAsync(classUrl);
            await Assertions.Expect(instructor.GetByLabel("students")).ToContainTextAsync("Grace");
            var thumbnail = new TerminalScreen(instructor, mine.Id); // the first view of it on the page: the thumbnail
            await thumbnail.WaitForRowAsync("^from-grace-42$");
            await mine.TypeLineAsync("echo live-$((5*5))");
            await thumbnail.WaitForRowAsync("^live-25$"); // updated live

            // Opened full size it is read-only: keys typed there reach nothing.
            await PlaygroundPage.WaitUntilLiveAsync(instructor, "Open");
            await instructor.GetByRole(AriaRole.Button, new() { Name = "Open", Exact = true }).ClickAsync();
            var open = instructor.GetByLabel("Grace's terminal, watched");
            await Assertions.Expect(open.Locator(".xterm-rows")).ToContainTextAsync("live-25");
            await open.Locator(".xterm-screen").ClickAsync();
            await instructor.Keyboard.TypeAsync("echo intruder-$((1+1))");
            await instructor.Keyboard.PressAsync("Enter");
            await mine.TypeLineAsync("echo after-$((3*3))");
            await mine.WaitForRowAsync("^after-9$");
            Assert.DoesNotContain("intruder", await mine.ScreenAsync());

            // Taken over: the instructor's keys reach her shell, and she is told.
            await instructor.GetByRole(AriaRole.Button, new() { Name = "Take over" }).ClickAsync();
            await Assertions.Expect(student.GetByLabel("take-over notice")).ToContainTextAsync("Ada has taken over this terminal");
            await open.Locator(".xterm-screen").ClickAsync();
            await instructor.Keyboard.TypeAsync("echo from-ada-$((7*6))");
            await instructor.Keyboard.PressAsync("Enter");
            await mine.WaitForRowAsync("^from-ada-42$");
            await instructor.GetByRole(AriaRole.Button, new() { Name = "Hand back" }).ClickAsync();
            await Assertions.Expect(student.GetByLabel("take-over notice")).ToHaveCountAsync(0);
            log.WriteLine(await mine.ScreenAsync());

            // Her terminal was recorded, with markers for the launch and the take-over; her
            // instructor replays it and downloads it; someone else gets "not found".
            await instructor.GotoAsync("/recordings");
            var row = instructor.GetByLabel("recordings").Locator("tr", new() { HasText = "Grace" }).First;
            var castUrl = await row.GetByRole(AriaRole.Link, new() { Name = ".cast" }).GetAttributeAsync("href");
            await row.GetByRole(AriaRole.Link).First.ClickAsync();
            await Assertions.Expect(instructor.Locator(".ap-player")).ToBeVisibleAsync(); // asciinema-player, from our own assets
            var cast = await instructor.APIRequest.GetAsync(castUrl!);
            Assert.Equal(200, cast.Status);
            var lines = (await cast.TextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains("\"version\":2", lines[0]);
            Assert.Contains(lines, l => l.Contains("\"m\",\"launch: /bin/sh\""));
            Assert.Contains(lines, l => l.Contains("\"m\",\"take-over by Ada\""));
            Assert.Contains(lines, l => l.Contains("\"m\",\"handed back by Ada\""));
            Assert.Contains(lines, l => l.Contains("\"o\"") && l.Contains("from-ada-42"));
            var stranger = await fixture.NewVisitorAsync();
            try
            {
                var page = await stranger.NewPageAsync();
                await page.GotoAsync("/");
                Assert.Equal(404, (await page.APIRequest.GetAsync(castUrl!)).Status);
            }
            finally { await stranger.CloseAsync(); }

            // The student cannot see the class, nor the class list, nor the admin page.
            foreach (var path in new[] { "/classes", new Uri(classUrl).AbsolutePath, "/admin" })
            {
                await student.GotoAsync(path);
                await Assertions.Expect(student.GetByText("not for this account")).ToBeVisibleAsync();
                Assert.DoesNotContain("Containers 101", await student.ContentAsync()); // nothing of the class leaks
            }
        }
        finally
        {
            await adminContext.CloseAsync();
            await instructorContext.CloseAsync();
            await studentContext.CloseAsync();
        }
    }

    [Fact]
    public async Task The_instructor_shows_a_terminal_to_the_class_pushes_a_spec_and_compares_two_students()
    {
        var contexts = new List<IBrowserContext>();
        async Task<IPage> Browser()
        {
            var c = await fixture.NewVisitorAsync();
            contexts.Add(c);
            return await c.NewPageAsync();
        }
        try
        {
            var (instructor, code) = await NewInstructorWithClassAsync(await Browser(), await Browser(), "Namespaces 201");
            var classUrl = instructor.Url;
            var grace = await JoinAsync(await Browser(), code, "Grace");
            var linus = await JoinAsync(await Browser(), code, "Linus");

            // The instructor opens a host shell of their own and shows it to the class.
            var own = await OpenWorkspaceAsync(instructor);
            await own.Page.GetByRole(AriaRole.Button, new() { Name = "Host shell", Exact = true }).ClickAsync();
            await Assertions.Expect(own.TerminalViews).ToHaveCountAsync(1);
            var shell = new TerminalScreen(instructor, (await own.TerminalViews.First.GetAttributeAsync("data-terminal-id"))!);
            await shell.WaitForFirstPromptAsync();
            await shell.TypeLineAsync("echo shown-$((4*4))");
            await shell.WaitForRowAsync("^shown-16$");
            await instructor.GotoAsync(classUrl);
            await PlaygroundPage.WaitUntilLiveAsync(instructor, "Show \"1: host shell\"");
            await instructor.GetByRole(AriaRole.Button, new() { Name = "Show \"1: host shell\"" }).ClickAsync();
            await Assertions.Expect(instructor.GetByLabel("broadcast")).ToContainTextAsync("Showing Ada's terminal");
            foreach (var student in new[] { grace, linus })
            {
                var shown = new TerminalScreen(student.Page, shell.Id);
                await shown.WaitForRowAsync("^shown-16$");
                await Assertions.Expect(student.Page.GetByLabel("shown to the class", new() { Exact = true })).ToContainTextAsync("Ada's terminal");
            }
            // Read-only for them: keys typed into it reach nothing.
            await grace.Page.GetByLabel("Ada's terminal, shown to the class").Locator(".xterm-screen").ClickAsync();
            await grace.Page.Keyboard.TypeAsync("echo hack-$((2+2))");
            await grace.Page.Keyboard.PressAsync("Enter");

            // A spec pushed to the class opens in a student's builder.
            await instructor.GetByText("Give the class a sandbox spec", new() { Exact = true }).ClickAsync();
            await instructor.GetByLabel("Spec (JSON)").FillAsync("""{ "rootfs": "/roots/busybox", "command": ["/bin/sh"], "hostname": "pushed-host", "terminal": true }""");
            await instructor.GetByRole(AriaRole.Button, new() { Name = "Push to the class" }).ClickAsync();
            await Assertions.Expect(grace.Page.GetByLabel("pushed spec")).ToBeVisibleAsync();
            await grace.Page.GetByLabel("pushed spec").GetByRole(AriaRole.Button, new() { Name = "Open in builder" }).ClickAsync();
            await grace.Page.GetByText("Hostname", new() { Exact = true }).First.ClickAsync();
            await Assertions.Expect(grace.Page.GetByLabel("Hostname", new() { Exact = true })).ToHaveValueAsync("pushed-host");

            // Two students' sandboxes, compared: Linus switched his network namespace off.
            await grace.RunAsync();
            await linus.EnsureSwitchOffAsync("net");
            await linus.RunAsync();
            await instructor.GotoAsync(classUrl);
            await PlaygroundPage.WaitUntilLiveAsync(instructor, "Reset lab");
            await instructor.GetByText("Compare their sandboxes", new() { Exact = true }).ClickAsync();
            await instructor.GetByLabel("compare Grace").CheckAsync();
            await instructor.GetByLabel("compare Linus").CheckAsync();
            var differences = instructor.GetByLabel("differences");
            await Assertions.Expect(differences).ToContainTextAsync("namespaces.net");
            log.WriteLine(await differences.InnerTextAsync());
            Assert.DoesNotContain("hack-4", await shell.ScreenAsync());

            // Who is here: both students' tabs are open; when Linus closes his, the grid says so.
            await Assertions.Expect(instructor.GetByLabel("student Grace").GetByLabel("presence")).ToHaveTextAsync("online");
            await Assertions.Expect(instructor.GetByLabel("student Linus").GetByLabel("presence")).ToHaveTextAsync("online");
            await linus.Page.CloseAsync();
            await Assertions.Expect(instructor.GetByLabel("student Linus").GetByLabel("presence")).ToHaveTextAsync("left just now");
            await Assertions.Expect(instructor.GetByLabel("student Grace").GetByLabel("presence")).ToHaveTextAsync("online");
        }
        finally
        {
            foreach (var c in contexts) await c.CloseAsync();
        }
    }

    /// <summary>An instructor (made by the admin, their password set) with a new class open on its page; returns the page and the join code.</summary>
    async Task<(IPage Instructor, string Code)> NewInstructorWithClassAsync(IPage admin, IPage instructor, string className)
    {
        await SignInAdminAsync(admin);
        await admin.GotoAsync("/admin");
        await PlaygroundPage.WaitUntilLiveAsync(admin, "Add instructor");
        await admin.GetByLabel("Sign-in name").FillAsync($"ada{Random.Shared.Next(1000000)}");
        await admin.GetByLabel("Display name").FillAsync("Ada");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add instructor" }).ClickAsync();
        var link = await admin.GetByLabel("sign-in link").TextContentAsync();
        await instructor.GotoAsync(link!);
        await instructor.GetByLabel("New password").FillAsync("ada's secret");
        await instructor.GetByRole(AriaRole.Button, new() { Name = "Set password" }).ClickAsync();
        await Assertions.Expect(instructor.GetByText("Password saved.")).ToBeVisibleAsync();
        await instructor.GotoAsync("/classes");
        await PlaygroundPage.WaitUntilLiveAsync(instructor, "New class");
        await instructor.GetByLabel("Class name").FillAsync(className);
        await instructor.GetByRole(AriaRole.Button, new() { Name = "New class" }).ClickAsync();
        await instructor.GetByRole(AriaRole.Link, new() { Name = className }).ClickAsync();
        return (instructor, (await instructor.GetByLabel("join code").TextContentAsync())!);
    }

    static async Task<PlaygroundPage> JoinAsync(IPage student, string code, string name)
    {
        await student.GotoAsync($"/join/{code}");
        await student.GetByLabel("Your name").FillAsync(name);
        await student.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
        var page = new PlaygroundPage(student);
        await page.WaitUntilInteractiveAsync();
        return page;
    }

    static async Task<PlaygroundPage> OpenWorkspaceAsync(IPage page)
    {
        await page.GotoAsync("/");
        var p = new PlaygroundPage(page);
        await p.WaitUntilInteractiveAsync();
        return p;
    }

    async Task SignInAdminAsync(IPage page)
    {
        if (fixture.AdminPassword is { } password)
        {
            await page.GotoAsync("/login");
            await page.GetByLabel("Name").FillAsync("admin");
            await page.GetByLabel("Password").FillAsync(password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.WaitForURLAsync(new Regex("/$"));
            return;
        }
        await page.GotoAsync(fixture.App.AdminSignInLink!);
        await page.GetByLabel("New password").FillAsync("admin's secret");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Password saved.")).ToBeVisibleAsync();
        fixture.AdminPassword = "admin's secret";
    }
}
