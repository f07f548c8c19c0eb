using MudBlazor.Services;
using Playground.Web;
using Playground.Web.Accounts;
using Playground.Web.Components;
using Playground.Web.Sandboxes;
using Playground.Web.Terminals;

var builder = WebApplication.CreateBuilder(args);
// Serve collocated JS and packages' _content from the build output in every environment
// (a published app has them in wwwroot; this is then a no-op).
builder.WebHost.UseStaticWebAssets();
var options = builder.Configuration.GetSection("Playground").Get<PlaygroundOptions>() ?? new PlaygroundOptions();
var problems = options.Problems().ToList();
if (options.Database == Database.Postgres && string.IsNullOrEmpty(builder.Configuration.GetConnectionString("Playground")))
    problems.Add("ConnectionStrings:Playground: required with Playground:Database postgres (e.g. \"Host=db;Database=playground;Username=playground;Password=…\")");
if (problems.Count > 0)
{
    Console.Error.WriteLine("playground: bad settings (appsettings.json or the command line):\n  " + string.Join("\n  ", problems));
    return 2;
}
builder.Services.AddSingleton(options);
IReadOnlyList<Playground.Engine.Lessons.Lesson> lessons;
try { lessons = Playground.Engine.Lessons.LessonCatalog.Load(options.LessonsDirectory); }
catch (Playground.Engine.Lessons.LessonException e)
{
    Console.Error.WriteLine("playground: bad lessons (fix them, or point Playground:LessonsDirectory elsewhere):\n  " + string.Join("\n  ", e.Errors));
    return 2;
}
builder.Services.AddSingleton(sp => new Playground.Web.Lessons.Course(lessons, sp.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<PlaygroundDb>>()));
builder.Services.AddSingleton<People>();
builder.Services.AddSingleton(_ => new Playground.Engine.Labs.LabManager(new Playground.Engine.Labs.LabOptions
{
    DataDirectory = options.DataDirectory, MemoryBytes = options.LabMemoryBytes, PidsMax = options.LabPids, Cpus = options.LabCpus,
    WorkspaceBytes = options.LabWorkspaceBytes, TmpBytes = options.LabTmpBytes, FirstId = options.LabFirstId,
}));
builder.Services.AddSingleton<SandboxHost>();
builder.Services.AddSingleton<Playground.Web.Rootfs.RootfsStore>();

builder.Services.AddAccounts(options, builder.Configuration);
builder.Services.AddScoped<SignInLinks>();
builder.Services.AddScoped<Classes>();
builder.Services.AddSingleton<Playground.Web.Terminals.Recordings>();
builder.Services.AddSingleton<Broadcasts>();
builder.Services.AddSingleton<Presence>();
builder.Services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, PresenceCircuits>();
builder.Services.AddAuthorization();
builder.Services.AddCascadingAuthenticationState();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();
builder.Services.AddSignalR(o => o.MaximumReceiveMessageSize = 64 * 1024).AddMessagePackProtocol();

var app = builder.Build();
// Labs whose reaper is gone (a reboot, a crash) leave a mount, a cgroup and state: removed before anyone comes.
foreach (var gone in app.Services.GetRequiredService<Playground.Engine.Labs.LabManager>().Sweep())
    app.Logger.LogInformation("removed what lab {Lab} left behind", gone);
if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/Error", createScopeForErrors: true);
await Accounts.InitializeAsync(app.Services, app.Logger, app.Configuration["Urls"]?.Split(';')[0] ?? "http://127.0.0.1:5000");
var people = app.Services.GetRequiredService<People>(); // after the migrations: the People table is read once
app.Services.GetRequiredService<Playground.Web.Lessons.Course>().Watch(options.LessonsDirectory, app.Logger); // a dropped-in lesson appears
app.UseAuthentication();
app.UseGuests(options);
app.Use((context, next) =>
{
    if (Person.IdOf(context.User) is { } id) people.Seen(id); // a guest's last visit decides when they are forgotten
    return next();
});
app.UseRateLimiter();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapHub<TerminalHub>(TerminalHub.Path);
app.MapAccounts();
app.MapGet("/recordings/{id}.cast", Playground.Web.Terminals.Recordings.Download).RequireAuthorization();
app.MapGet("/rootfs/{name}/download", Playground.Web.Rootfs.RootfsDownload.Handle).RequireAuthorization();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Lifetime.ApplicationStopping.Register(() =>
{
    app.Services.GetRequiredService<SandboxHost>().Dispose();
    people.SaveSeen();
    var labs = app.Services.GetRequiredService<Playground.Engine.Labs.LabManager>();
    if (options.EndLabsOnStop)
    {
        foreach (var lab in labs.List()) labs.End(lab.Name);
        people.UnmountStores(); // no lab holds them now
    }
    labs.Dispose(); // otherwise labs run on (they are people's hosts), and their stores stay mounted
});
app.Run();
return 0;

public partial class Program;
