using System.Diagnostics;

namespace Playground.Tests.Support;

/// <summary>
/// A real PostgreSQL server of the test's own: a cluster made with the installed initdb (Debian's
/// postgresql package) in a temporary directory, run as the postgres user, listening only on a
/// unix socket in that directory (no port taken, nobody else's server touched), trust
/// authentication for its one role. Each test gets a fresh database from <see cref="NewDatabase"/>.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    readonly string _dir, _bin;
    int _databases;

    public PostgresServer()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d.Length).ThenByDescending(d => d).FirstOrDefault() ?? ""
            : "";
        if (_bin == "") throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql): these tests need a real server");
        _dir = Directory.CreateTempSubdirectory("playground-pg-").FullName;
        HostCommand.Output("chown", "postgres:postgres", _dir);
        AsPostgres("initdb", "-D", Data, "-U", "playground", "--auth=trust", "-E", "UTF8", "--no-sync");
        AsPostgres("pg_ctl", "-D", Data, "-l", Path.Combine(_dir, "log"), "-w", "-t", "60", "start",
            "-o", $"-k {_dir} -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
    }

    string Data => Path.Combine(_dir, "data");

    /// <summary>Npgsql's connection string for the server's "postgres" database (or <paramref name="database"/>).</summary>
    public string ConnectionString(string database = "postgres") => $"Host={_dir};Port=5432;Username=playground;Database={database};Pooling=false";

    /// <summary>A new, empty database; its connection string.</summary>
    public string NewDatabase()
    {
        var name = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        AsPostgres("createdb", "-h", _dir, "-U", "playground", name);
        return ConnectionString(name);
    }

    void AsPostgres(string program, params string[] args) =>
        HostCommand.Output("runuser", ["-u", "postgres", "--", Path.Combine(_bin, program), .. args]);

    public void Dispose()
    {
        try { AsPostgres("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop"); }
        catch (InvalidOperationException) { } // already stopped
        Directory.Delete(_dir, recursive: true);
    }
}
