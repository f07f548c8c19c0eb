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
