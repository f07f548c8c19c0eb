using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Playground.Web;
using Playground.Web.Accounts;
using Playground.Web.Sandboxes;

namespace Playground.Tests.Support;

/// <summary>The app's database as the app makes it (a real SQLite file in the data directory, migrated), for tests that need People or Identity.</summary>
public static class TestDb
{
    public static IDbContextFactory<PlaygroundDb> Factory(PlaygroundOptions options, string? connection = null)
    {
        var services = new ServiceCollection();
        services.AddPlaygroundDb(options, connection);
        var factory = services.BuildServiceProvider().GetRequiredService<IDbContextFactory<PlaygroundDb>>();
        using var db = factory.CreateDbContext();
        db.Database.Migrate();
        return factory;
    }

    public static People People(PlaygroundOptions options) => new(options, Factory(options), NullLogger<People>.Instance);
}
