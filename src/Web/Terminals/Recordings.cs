using Microsoft.EntityFrameworkCore;
using Playground.Web.Accounts;

namespace Playground.Web.Terminals;

/// <summary>
/// Every terminal recorded (when <c>RecordTerminals</c>): files in DataDirectory/recordings/OWNER/
/// (0700, the server's), their index in the database. A person finds their own recordings; an
/// instructor also their classes' students' (an admin, all); anyone else's is "no such recording".
/// </summary>
public sealed class Recordings(IDbContextFactory<PlaygroundDb> dbs, PlaygroundOptions options, ILogger<Recordings> log)
{
    string DirectoryOf(string ownerId) => Path.Combine(options.DataDirectory, "recordings", ownerId);

    /// <summary>A new recording of a terminal, or null when recording is off (or cannot start: the terminal runs anyway).</summary>
    public Recorder? Start(string ownerId, string title, int columns, int rows)
    {
        if (!options.RecordTerminals) return null;
        try
        {
            var root = Path.Combine(options.DataDirectory, "recordings");
            Directory.CreateDirectory(root);
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var dir = DirectoryOf(ownerId);
            Directory.CreateDirectory(dir);
            var rec = new Recording { OwnerId = ownerId, Title = title.Length > 200 ? title[..200] : title };
            rec.File = $"{rec.StartedAt:yyyyMMdd-HHmmss}-{rec.Id[..12]}.cast";
            using var db = dbs.CreateDbContext();
            db.Recordings.Add(rec);
            db.SaveChanges();
            try { return new Recorder(Path.Combine(dir, rec.File), columns, rows, title, options.RecordingMaxBytes, r => Ended(rec.Id, r)); }
            catch
            {
                db.Recordings.Remove(rec); // no index entry without its file
                db.SaveChanges();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DbUpdateException)
        {
            log.LogWarning("not recording a terminal of {Owner}: {Message}", ownerId, e.Message);
            return null;
        }
    }

    void Ended(string id, Recorder recorder)
    {
        try
        {
            using var db = dbs.CreateDbContext();
            db.Recordings.Where(r => r.Id == id).ExecuteUpdate(s => s
                .SetProperty(r => r.EndedAt, DateTime.UtcNow)
                .SetProperty(r => r.Bytes, new FileInfo(recorder.Path).Length)
                .SetProperty(r => r.Truncated, recorder.Truncated));
        }
        catch (Exception e) when (e is IOException or DbUpdateException or InvalidOperationException)
        {
            log.LogWarning("recording {Id}: {Message}", id, e.Message);
        }
    }

    /// <summary>Deletes every recording of a person (a forgotten guest): the files, then their index.</summary>
    public void DeleteAllOf(string ownerId)
    {
        var dir = DirectoryOf(ownerId);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        using var db = dbs.CreateDbContext();
        db.Recordings.Where(r => r.OwnerId == ownerId).ExecuteDelete();
    }

    /// <summary>The asker's recordings and, for an instructor, their students' (an admin: all), newest first, with whose they are.</summary>
    public async Task<IReadOnlyList<(Recording Recording, string Owner)>> ListAsync(string askerId)
    {
        await using var db = await dbs.CreateDbContextAsync();
        var admin = await IsAdminAsync(db, askerId);
        var taught = db.Enrollments.Where(e => db.Classes.Any(c => c.Id == e.ClassId && c.InstructorId == askerId)).Select(e => e.UserId);
        var rows = await db.Recordings
            .Where(r => admin || r.OwnerId == askerId || taught.Contains(r.OwnerId))
            .OrderByDescending(r => r.StartedAt).Take(500).ToListAsync();
        var names = await db.Users.Where(u => rows.Select(r => r.OwnerId).Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName);
        return rows.Select(r => (r, r.OwnerId == askerId ? "you" : names.GetValueOrDefault(r.OwnerId) ?? "a guest")).ToList();
    }

    /// <summary>One recording the asker may play, with its file; null for a missing one and another's alike.</summary>
    public async Task<(Recording Recording, string Path)?> FindAsync(string askerId, string id)
    {
        await using var db = await dbs.CreateDbContextAsync();
        var r = await db.Recordings.SingleOrDefaultAsync(x => x.Id == id);
        if (r is null) return null;
        var allowed = r.OwnerId == askerId || await IsAdminAsync(db, askerId) ||
                      await db.Enrollments.AnyAsync(e => e.UserId == r.OwnerId && db.Classes.Any(c => c.Id == e.ClassId && c.InstructorId == askerId));
        return allowed ? (r, Path.Combine(DirectoryOf(r.OwnerId), r.File)) : null;
    }

    static Task<bool> IsAdminAsync(PlaygroundDb db, string userId) =>
        db.UserRoles.AnyAsync(ur => ur.UserId == userId && db.Roles.Any(role => role.Id == ur.RoleId && role.Name == Roles.Admin));

    /// <summary>GET /recordings/ID.cast: the file, to the people who may play it; 404 to anyone else.</summary>
    public static async Task<IResult> Download(string id, Recordings recordings, HttpContext http)
    {
        if (Playground.Web.Sandboxes.Person.IdOf(http.User) is not { } me || await recordings.FindAsync(me, id) is not { } found || !File.Exists(found.Path))
            return Results.NotFound();
        return Results.File(found.Path, "application/x-asciicast", $"{found.Recording.Title.Replace('"', '\'')}.cast");
    }
}
