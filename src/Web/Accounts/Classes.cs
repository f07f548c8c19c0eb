using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Playground.Web.Accounts;

public sealed record ClassSummary(string Id, string Name, string JoinCode, bool RequiresPassword, DateTime CreatedAt, DateTime? EndedAt, int Students, DateTime? PushedAt = null);
public sealed record Student(string UserId, string DisplayName, DateTime JoinedAt);

/// <summary>
/// Classes: an instructor's, with a join code. Every call names who asks, and an instructor
/// only ever finds their own classes (an admin, any): another's class is "no such class",
/// exactly as a missing one.
/// </summary>
public sealed class Classes(PlaygroundDb db, UserManager<User> users)
{
    const string CodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"; // no 0/O, 1/I/L
    public const int CodeLength = 8;

    public async Task<ClassSummary> CreateAsync(string instructorId, string name, string? password)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100) throw new ArgumentException("name: give the class a name of 1 to 100 characters");
        if (password is { Length: > 0 and < 8 }) throw new ArgumentException("password: at least 8 characters, or none");
        var instructor = await users.FindByIdAsync(instructorId) ?? throw new ArgumentException("instructor: unknown");
        if (!await users.IsInRoleAsync(instructor, Roles.Instructor) && !await users.IsInRoleAsync(instructor, Roles.Admin))
            throw new UnauthorizedAccessException("only instructors make classes");
        var c = new Classroom { Name = name, InstructorId = instructorId, JoinCode = await NewCodeAsync() };
        if (password is { Length: > 0 }) c.PasswordHash = new PasswordHasher<Classroom>().HashPassword(c, password);
        db.Classes.Add(c);
        await db.SaveChangesAsync();
        return Summary(c, 0);
    }

    async Task<string> NewCodeAsync()
    {
        while (true)
        {
            var code = new string(RandomNumberGenerator.GetItems<char>(CodeAlphabet, CodeLength));
            if (!await db.Classes.AnyAsync(c => c.JoinCode == code)) return code;
        }
    }

    /// <summary>The classes of this instructor (an admin sees all), newest first.</summary>
    public async Task<IReadOnlyList<ClassSummary>> ListAsync(string askerId)
    {
        var all = await IsAdminAsync(askerId);
        var rows = await db.Classes.Where(c => all || c.InstructorId == askerId)
            .OrderByDescending(c => c.CreatedAt)
            .Select(c => new { Class = c, Students = c.Enrollments.Count })
            .ToListAsync();
        return rows.Select(r => Summary(r.Class, r.Students)).ToList();
    }

    /// <summary>One class of the asker's, or null (missing and another's are the same answer).</summary>
    public async Task<ClassSummary?> FindAsync(string askerId, string classId)
    {
        var c = await OwnAsync(askerId, classId);
        return c is null ? null : Summary(c, await db.Enrollments.CountAsync(e => e.ClassId == c.Id));
    }

    public async Task<IReadOnlyList<Student>> StudentsAsync(string askerId, string classId)
    {
        if (await OwnAsync(askerId, classId) is null) return [];
        return await db.Enrollments.Where(e => e.ClassId == classId).OrderBy(e => e.DisplayName)
            .Select(e => new Student(e.UserId, e.DisplayName, e.JoinedAt)).ToListAsync();
    }

    /// <summary>Ends the class: nobody joins any more. Returns its students' ids (their labs are the caller's to end).</summary>
    public async Task<IReadOnlyList<string>> EndAsync(string askerId, string classId)
    {
        var c = await OwnAsync(askerId, classId) ?? throw new KeyNotFoundException("no such class");
        c.EndedAt ??= DateTime.UtcNow;
        await db.SaveChangesAsync();
        return await db.Enrollments.Where(e => e.ClassId == classId).Select(e => e.UserId).ToListAsync();
    }

    /// <summary>The open class with this code when the password (if it needs one) is right; null otherwise, whatever the reason.</summary>
    public async Task<Classroom?> ForJoiningAsync(string code, string? password)
    {
        code = code.Trim().ToUpperInvariant();
        if (code.Length != CodeLength) return null;
        var c = await db.Classes.SingleOrDefaultAsync(x => x.JoinCode == code && x.EndedAt == null);
        if (c is null) return null;
        if (c.PasswordHash is null) return c;
        return password is { Length: > 0 } && new PasswordHasher<Classroom>().VerifyHashedPassword(c, c.PasswordHash, password) != PasswordVerificationResult.Failed
            ? c : null;
    }

    /// <summary>The open class a student joined last, or null.</summary>
    public async Task<Classroom?> ClassOfStudentAsync(string studentId) =>
        await db.Classes.AsNoTracking().Where(c => c.EndedAt == null && db.Enrollments.Any(e => e.ClassId == c.Id && e.UserId == studentId))
            .OrderByDescending(c => db.Enrollments.Where(e => e.ClassId == c.Id && e.UserId == studentId).Max(e => e.JoinedAt))
            .FirstOrDefaultAsync();

    /// <summary>Gives the class a sandbox spec its students can open in their builder (null takes it back).</summary>
    public async Task PushSpecAsync(string askerId, string classId, string? specJson)
    {
        var c = await OwnAsync(askerId, classId) ?? throw new KeyNotFoundException("no such class");
        c.PushedSpec = specJson;
        c.PushedAt = specJson is null ? null : DateTime.UtcNow;
        await db.SaveChangesAsync();
    }

    /// <summary>Is <paramref name="userId"/> a student of the open class <paramref name="classId"/>?</summary>
    public Task<bool> InClassAsync(string userId, string classId) =>
        db.Enrollments.AnyAsync(e => e.UserId == userId && e.ClassId == classId && db.Classes.Any(c => c.Id == classId && c.EndedAt == null));

    /// <summary>Is <paramref name="studentId"/> in a class of <paramref name="askerId"/>'s (any class, for an admin)?</summary>
    public async Task<bool> TeachesAsync(string askerId, string studentId) =>
        await IsAdminAsync(askerId) ||
        await db.Enrollments.AnyAsync(e => e.UserId == studentId && db.Classes.Any(c => c.Id == e.ClassId && c.InstructorId == askerId));

    async Task<Classroom?> OwnAsync(string askerId, string classId)
    {
        var c = await db.Classes.SingleOrDefaultAsync(x => x.Id == classId);
        return c is not null && (c.InstructorId == askerId || await IsAdminAsync(askerId)) ? c : null;
    }

    async Task<bool> IsAdminAsync(string userId) =>
        await users.FindByIdAsync(userId) is { } u && await users.IsInRoleAsync(u, Roles.Admin);

    static ClassSummary Summary(Classroom c, int students) =>
        new(c.Id, c.Name, c.JoinCode, c.PasswordHash is not null, c.CreatedAt, c.EndedAt, students, c.PushedAt);
}
