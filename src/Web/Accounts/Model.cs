using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Playground.Web.Accounts;

/// <summary>
/// Someone who signed in: an admin, an instructor or a student. The id is 32 lowercase hex
/// digits, the same form as a guest's, so a guest who joins a class keeps their id (and with it
/// their lab and root filesystems).
/// </summary>
public sealed class User : IdentityUser
{
    public User() => Id = NewId();

    /// <summary>What others see (a student's name in the class, an instructor's on their classes).</summary>
    public string DisplayName { get; set; } = "";
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}

public static class Roles
{
    public const string Admin = "admin", Instructor = "instructor", Student = "student";
    public static readonly string[] All = [Admin, Instructor, Student];
}

/// <summary>A class an instructor runs: students join with its code (and its password, when it has one).</summary>
public sealed class Classroom
{
    public string Id { get; set; } = User.NewId();
    public string Name { get; set; } = "";
    public string InstructorId { get; set; } = "";
    /// <summary>8 letters and digits without look-alikes (no 0/O, 1/I/L), unique among classes.</summary>
    public string JoinCode { get; set; } = "";
    /// <summary>Identity's password hash when the instructor requires a password to join; null otherwise.</summary>
    public string? PasswordHash { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    /// <summary>When the instructor ended it: no more joining, its students' labs ended; recordings kept.</summary>
    public DateTime? EndedAt { get; set; }
    /// <summary>A sandbox spec (JSON) the instructor pushed to the class; students open it in their builder.</summary>
    public string? PushedSpec { get; set; }
    public DateTime? PushedAt { get; set; }
    public List<Enrollment> Enrollments { get; set; } = [];
}

public sealed class Enrollment
{
    public string ClassId { get; set; } = "";
    public string UserId { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public DateTime JoinedAt { get; set; } = DateTime.UtcNow;
}

/// <summary>A one-time sign-in link (the first admin's, an instructor's first): only its SHA-256 is kept.</summary>
public sealed class SignInLink
{
    public string TokenHash { get; set; } = "";
    public string UserId { get; set; } = "";
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

/// <summary>One terminal's recording (asciicast v2) in DataDirectory/recordings: the index of the files.</summary>
public sealed class Recording
{
    public string Id { get; set; } = User.NewId();
    /// <summary>Whose terminal it was (a student's, a guest's).</summary>
    public string OwnerId { get; set; } = "";
    public string Title { get; set; } = "";
    /// <summary>The file's name in DataDirectory/recordings/OWNER/.</summary>
    public string File { get; set; } = "";
    public DateTime StartedAt { get; set; } = DateTime.UtcNow;
    public DateTime? EndedAt { get; set; }
    public long Bytes { get; set; }
    /// <summary>The cap (RecordingMaxBytes) stopped it before the terminal ended.</summary>
    public bool Truncated { get; set; }
}

/// <summary>
/// A person's id range and store: slot N is the Nth range of host ids (their lab's) and
/// DataDirectory/people/ID. Guests have a row here and none in the users' table; a guest unseen
/// for GuestDays (their cookie's lifetime: nobody can come back as them) is forgotten and the
/// slot is free again.
/// </summary>
public sealed class PersonRow
{
    public string Id { get; set; } = "";
    public int Slot { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime LastSeenAt { get; set; } = DateTime.UtcNow;
}

/// <summary>One person's progress on one step of a lesson: whether its check passed, and how often it failed.</summary>
public sealed class StepProgress
{
    public string PersonId { get; set; } = "";
    public string LessonId { get; set; } = "";
    public int Step { get; set; }
    public DateTime? PassedAt { get; set; }
    /// <summary>Checks that failed (before it passed): "stuck" on the class page from a few.</summary>
    public int Failures { get; set; }
    public DateTime LastCheckedAt { get; set; } = DateTime.UtcNow;
}

/// <summary>
/// What survives a restart: people (ASP.NET Core Identity's tables and everyone's id range),
/// classes, enrollments, sign-in links and the recordings' index. One model, one set of
/// migrations per database: <see cref="SqliteDb"/> (the default, a file in the data directory)
/// and <see cref="PostgresDb"/> (Playground:Database = postgres); see <see cref="Database"/>.
/// </summary>
public abstract class PlaygroundDb(DbContextOptions options) : IdentityDbContext<User>(options)
{
    public DbSet<PersonRow> People => Set<PersonRow>();
    public DbSet<Classroom> Classes => Set<Classroom>();
    public DbSet<Enrollment> Enrollments => Set<Enrollment>();
    public DbSet<SignInLink> SignInLinks => Set<SignInLink>();
    public DbSet<Recording> Recordings => Set<Recording>();
    public DbSet<StepProgress> Progress => Set<StepProgress>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        b.Entity<User>().Property(u => u.DisplayName).HasMaxLength(64);
        b.Entity<Classroom>(c =>
        {
            c.HasKey(x => x.Id);
            c.Property(x => x.Id).HasMaxLength(32);
            c.Property(x => x.Name).HasMaxLength(100);
            c.Property(x => x.JoinCode).HasMaxLength(8);
            c.HasIndex(x => x.JoinCode).IsUnique();
            c.HasIndex(x => x.InstructorId);
            c.HasOne<User>().WithMany().HasForeignKey(x => x.InstructorId).OnDelete(DeleteBehavior.Restrict);
            c.HasMany(x => x.Enrollments).WithOne().HasForeignKey(e => e.ClassId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<Enrollment>(e =>
        {
            e.HasKey(x => new { x.ClassId, x.UserId });
            e.Property(x => x.DisplayName).HasMaxLength(64);
            e.HasIndex(x => x.UserId);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<Recording>(r =>
        {
            r.HasKey(x => x.Id);
            r.Property(x => x.Id).HasMaxLength(32);
            r.Property(x => x.OwnerId).HasMaxLength(32);
            r.Property(x => x.Title).HasMaxLength(200);
            r.Property(x => x.File).HasMaxLength(200);
            r.HasIndex(x => new { x.OwnerId, x.StartedAt });
        });
        b.Entity<PersonRow>(p =>
        {
            p.ToTable("People");
            p.HasKey(x => x.Id);
            p.Property(x => x.Id).HasMaxLength(32);
            p.HasIndex(x => x.Slot).IsUnique();
            p.HasIndex(x => x.LastSeenAt);
        });
        b.Entity<StepProgress>(p =>
        {
            p.HasKey(x => new { x.PersonId, x.LessonId, x.Step });
            p.Property(x => x.PersonId).HasMaxLength(32);
            p.Property(x => x.LessonId).HasMaxLength(64);
            p.HasIndex(x => new { x.PersonId, x.LastCheckedAt });
        });
        b.Entity<SignInLink>(l =>
        {
            l.HasKey(x => x.TokenHash);
            l.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
