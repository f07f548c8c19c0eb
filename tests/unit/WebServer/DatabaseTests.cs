using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Playground.Tests.Support;
using Playground.Web;
using Playground.Web.Accounts;
using Playground.Web.Sandboxes;

namespace Playground.Tests.WebServer;

/// <summary>
/// What survives a restart, on both databases the app supports: SQLite (a file in the data
/// directory) and PostgreSQL (a real server of the test's own), wired as the app wires them
/// (AddAccounts with the same settings), migrated by the same migrations.
/// </summary>
public sealed class DatabaseTests(PostgresServer postgres) : IClassFixture<PostgresServer>, IDisposable
{
    readonly string _data = Directory.CreateTempSubdirectory("playground-db-").FullName;
    readonly List<ServiceProvider> _apps = [];

    /// <summary>One start of the app's database side: its services, migrated, roles and first admin made.</summary>
    async Task<(IServiceProvider Services, List<string> Log)> StartAsync(string database, string? connection)
    {
        var options = new PlaygroundOptions { DataDirectory = _data, Database = database, GuestDays = 30 };
        var services = new ServiceCollection();
        var log = new List<string>();
        services.AddLogging();
        services.AddSingleton(options);
        services.AddAccounts(options, new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Playground"] = connection }).Build());
        services.AddScoped<SignInLinks>();
        services.AddScoped<Classes>();
        services.AddSingleton<People>();
        var app = services.BuildServiceProvider();
        _apps.Add(app);
        await Accounts.InitializeAsync(app, new ListLogger(log), "http://test");
        return (app, log);
    }

    async Task<string?> ConnectionFor(string database) => database == Database.Postgres ? postgres.NewDatabase() : null;

    [Theory]
    [InlineData(Database.Sqlite)]
    [InlineData(Database.Postgres)]
    public async Task Each_database_is_migrated_to_the_model(string database)
    {
        var (app, _) = await StartAsync(database, await ConnectionFor(database));
        using var scope = app.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlaygroundDb>();
        Assert.Equal(database == Database.Postgres ? typeof(PostgresDb) : typeof(SqliteDb), db.GetType());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        // A model change without its migration for this database fails here.
        Assert.False(db.Database.HasPendingModelChanges(), $"the model has changes that {database}'s migrations lack: dotnet ef migrations add … --context {db.GetType().Name}");
    }

    [Theory]
    [InlineData(Database.Sqlite)]
    [InlineData(Database.Postgres)]
    public async Task People_classes_links_and_ranges_survive_a_restart(string database)
    {
        var connection = await ConnectionFor(database);
        var (first, log) = await StartAsync(database, connection);
        var link = Assert.Single(log, l => l.Contains("/signin/"));
        var token = link[(link.LastIndexOf('/') + 1)..];
        string classId, code, guest = User.NewId(), admin;
        using (var scope = first.CreateScope())
        {
            var links = scope.ServiceProvider.GetRequiredService<SignInLinks>();
            admin = Assert.IsType<string>(await links.ConsumeAsync(token));
            Assert.Null(await links.ConsumeAsync(token)); // once
            var c = await scope.ServiceProvider.GetRequiredService<Classes>().CreateAsync(admin, "Containers 101", "s3cret-pass");
            (classId, code) = (c.Id, c.JoinCode);
        }
        var people = first.GetRequiredService<People>();
        var adminSlot = people.Get(admin).Slot;
        var guestSlot = people.Get(guest).Slot;
        Assert.NotEqual(adminSlot, guestSlot);

        // The restart: new services on the same database. No second admin link; everything is still there.
        var (second, log2) = await StartAsync(database, connection);
        Assert.DoesNotContain(log2, l => l.Contains("/signin/"));
        using (var scope = second.CreateScope())
        {
            var classes = scope.ServiceProvider.GetRequiredService<Classes>();
            Assert.Null(await classes.ForJoiningAsync(code, "wrong"));
            Assert.Equal(classId, (await classes.ForJoiningAsync(code, "s3cret-pass"))?.Id);
            Assert.Equal("Containers 101", (await classes.FindAsync(admin, classId))?.Name);
            var users = scope.ServiceProvider.GetRequiredService<UserManager<User>>();
            Assert.True(await users.IsInRoleAsync((await users.FindByIdAsync(admin))!, Roles.Admin));
        }
        var again = second.GetRequiredService<People>();
        Assert.Equal(adminSlot, again.Get(admin).Slot);
        Assert.Equal(guestSlot, again.Get(guest).Slot);
    }

    [Theory]
    [InlineData(Database.Sqlite)]
    [InlineData(Database.Postgres)]
    public async Task Guests_unseen_for_GuestDays_expire_and_accounts_do_not(string database)
    {
        var (app, log) = await StartAsync(database, await ConnectionFor(database));
        string admin;
        using (var scope = app.CreateScope())
            admin = (await scope.ServiceProvider.GetRequiredService<SignInLinks>().ConsumeAsync(log.Single(l => l.Contains("/signin/")).Split('/').Last()))!;
        var people = app.GetRequiredService<People>();
        string old = User.NewId(), recent = User.NewId();
        foreach (var id in new[] { old, recent, admin }) people.Get(id);
        var now = DateTime.UtcNow;
        Assert.Empty(people.ExpiredGuests(now + TimeSpan.FromDays(29)));
        // Both guests were last seen ten days ago; one of them comes back now.
        using (var db = app.GetRequiredService<IDbContextFactory<PlaygroundDb>>().CreateDbContext())
            await db.People.Where(p => p.Id == old || p.Id == recent).ExecuteUpdateAsync(s => s.SetProperty(p => p.LastSeenAt, now - TimeSpan.FromDays(10)));
        people.Seen(recent); // in memory; written by the next sweep (ExpiredGuests saves first)
        Assert.Equal([old], people.ExpiredGuests(now + TimeSpan.FromDays(21)));
        Assert.Equal(new[] { old, recent }.Order(), people.ExpiredGuests(now + TimeSpan.FromDays(31)).Order()); // never the account

        var slot = people.Get(old).Slot;
        Assert.True(people.Forget(old));
        Assert.Equal([recent], people.ExpiredGuests(now + TimeSpan.FromDays(31)));
        Assert.False(Directory.Exists(Path.Combine(_data, "people", old)));
        Assert.Equal(slot, people.Get(User.NewId()).Slot); // the range is free again
    }

    [Fact]
    public async Task An_older_people_json_is_imported_once_with_its_slots()
    {
        const string Ada = "0123456789abcdef0123456789abcdef";
        File.WriteAllText(Path.Combine(_data, "people.json"), $"[{{\"Id\":\"{Ada}\",\"Slot\":7}},{{\"Id\":\"not-an-id\",\"Slot\":8}}]");
        var (app, _) = await StartAsync(Database.Sqlite, null);
        var people = app.GetRequiredService<People>();
        Assert.Equal(7, people.Get(Ada).Slot);
        Assert.Equal(0, people.Get(User.NewId()).Slot);
        Assert.Equal(2, people.All().Count); // the bad row is not imported
        Assert.False(File.Exists(Path.Combine(_data, "people.json")));
        Assert.True(File.Exists(Path.Combine(_data, "people.json.imported")));
    }

    public void Dispose()
    {
        foreach (var app in _apps) app.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    sealed class ListLogger(List<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add(formatter(state, exception));
    }
}
