using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Playground.Web.Accounts;

/// <summary>
/// Which database holds what survives a restart: SQLite in DataDirectory/playground.db unless
/// Playground:Database says postgres, with ConnectionStrings:Playground. Each has its own
/// context type and migrations (Accounts/Migrations/Sqlite, Accounts/Migrations/Postgres): the
/// same model, the column types and SQL of its own. Everything else asks for
/// <see cref="PlaygroundDb"/> (scoped) or <see cref="IDbContextFactory{PlaygroundDb}"/> (singletons).
/// </summary>
public static class Database
{
    public const string Sqlite = "sqlite", Postgres = "postgres";

    public static void AddPlaygroundDb(this IServiceCollection services, PlaygroundOptions options, string? connection)
    {
        if (options.Database == Postgres) Add<PostgresDb>(services, o => o.UseNpgsql(connection));
        else Add<SqliteDb>(services, o => o.UseSqlite(connection is { Length: > 0 } ? connection : $"Data Source={Path.Combine(options.DataDirectory, "playground.db")}"));
    }

    static void Add<T>(IServiceCollection services, Action<DbContextOptionsBuilder> configure) where T : PlaygroundDb
    {
        // Registers T's factory (singleton) and T (scoped); the rest of the app sees PlaygroundDb.
        services.AddDbContextFactory<T>(configure);
        services.AddSingleton<IDbContextFactory<PlaygroundDb>, Factory<T>>();
        services.AddScoped<PlaygroundDb>(sp => sp.GetRequiredService<T>());
    }

    sealed class Factory<T>(IDbContextFactory<T> inner) : IDbContextFactory<PlaygroundDb> where T : PlaygroundDb
    {
        public PlaygroundDb CreateDbContext() => inner.CreateDbContext();
    }
}

public sealed class SqliteDb(DbContextOptions<SqliteDb> options) : PlaygroundDb(options);

public sealed class PostgresDb(DbContextOptions<PostgresDb> options) : PlaygroundDb(options);

/// <summary>For <c>dotnet ef migrations add NAME --context SqliteDb --output-dir Accounts/Migrations/Sqlite</c> (no database is opened).</summary>
public sealed class SqliteDesignTime : IDesignTimeDbContextFactory<SqliteDb>
{
    public SqliteDb CreateDbContext(string[] args) => new(new DbContextOptionsBuilder<SqliteDb>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>For <c>dotnet ef migrations add NAME --context PostgresDb --output-dir Accounts/Migrations/Postgres</c> (no database is opened).</summary>
public sealed class PostgresDesignTime : IDesignTimeDbContextFactory<PostgresDb>
{
    public PostgresDb CreateDbContext(string[] args) => new(new DbContextOptionsBuilder<PostgresDb>().UseNpgsql("Host=localhost").Options);
}
