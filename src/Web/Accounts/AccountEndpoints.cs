using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Playground.Web.Accounts;

/// <summary>
/// What sets or clears a cookie, so it is plain HTTP rather than the Blazor circuit: sign in by
/// one-time link or password, sign out, set a password, join a class. Forms carry an
/// anti-forgery token (checked by the framework for every form-bound endpoint); sign-in and join
/// are rate limited per address. Failures redirect back with a reason code the page words.
/// </summary>
public static class AccountEndpoints
{
    public static void MapAccounts(this IEndpointRouteBuilder app)
    {
        app.MapGet("/signin/{token}", async (string token, SignInLinks links, UserManager<User> users, SignInManager<User> signIn, HttpContext http) =>
        {
            if (await links.ConsumeAsync(token) is not { } userId || await users.FindByIdAsync(userId) is not { } user)
                return Results.Content("This sign-in link is not valid: it was used, it expired, or it never existed.", "text/plain", statusCode: 404);
            await http.SignOutAsync(Accounts.GuestScheme);
            await signIn.SignInAsync(user, isPersistent: true);
            return Results.Redirect("/account?welcome=true");
        }).RequireRateLimiting(Accounts.SignInLimit);

        app.MapPost("/account/login", async ([FromForm] string userName, [FromForm] string password, [FromForm] string? returnUrl,
            SignInManager<User> signIn, HttpContext http) =>
        {
            var result = await signIn.PasswordSignInAsync(userName.Trim().ToLowerInvariant(), password, isPersistent: true, lockoutOnFailure: true);
            if (!result.Succeeded) return Results.Redirect(result.IsLockedOut ? "/login?error=locked" : "/login?error=wrong");
            await http.SignOutAsync(Accounts.GuestScheme);
            return Results.Redirect(returnUrl is { Length: > 0 } r && IsLocal(r) ? r : "/");
        }).RequireRateLimiting(Accounts.SignInLimit);

        app.MapPost("/account/logout", async (SignInManager<User> signIn, HttpContext http) =>
        {
            await signIn.SignOutAsync();
            // The guest cookie goes too: on a shared computer the next person starts afresh.
            await http.SignOutAsync(Accounts.GuestScheme);
            return Results.Redirect("/");
        }).WithMetadata(new Microsoft.AspNetCore.Antiforgery.RequireAntiforgeryTokenAttribute());

        app.MapPost("/account/password", async ([FromForm] string newPassword, [FromForm] string? currentPassword,
            UserManager<User> users, SignInManager<User> signIn, HttpContext http) =>
        {
            if (await users.GetUserAsync(http.User) is not { } user) return Results.Unauthorized();
            var result = await users.HasPasswordAsync(user)
                ? await users.ChangePasswordAsync(user, currentPassword ?? "", newPassword)
                : await users.AddPasswordAsync(user, newPassword);
            if (!result.Succeeded)
                return Results.Redirect("/account?error=" + Uri.EscapeDataString(string.Join(" ", result.Errors.Select(e => e.Description))));
            await signIn.RefreshSignInAsync(user);
            return Results.Redirect("/account?saved=true");
        }).RequireAuthorization(Accounts.Member);

        app.MapPost("/join", async ([FromForm] string code, [FromForm] string name, [FromForm] string? password,
            Classes classes, PlaygroundDb db, UserManager<User> users, SignInManager<User> signIn, HttpContext http) =>
        {
            name = name.Trim();
            var back = $"/join?code={Uri.EscapeDataString(code.Trim())}&name={Uri.EscapeDataString(name)}";
            if (name.Length is 0 or > 64) return Results.Redirect(back + "&error=name");
            if (await classes.ForJoiningAsync(code, password) is not { } c) return Results.Redirect(back + "&error=code");
            var id = Playground.Web.Sandboxes.Person.IdOf(http.User);
            var user = id is null ? null : await users.FindByIdAsync(id);
            if (user is null)
            {
                // A guest keeps their id as a student: their lab and root filesystems come along.
                user = new User { UserName = "student-" + (id ?? User.NewId()), DisplayName = name };
                if (id is not null) user.Id = id;
                Accounts.Check(await users.CreateAsync(user));
            }
            if (!await users.IsInRoleAsync(user, Roles.Student)) Accounts.Check(await users.AddToRoleAsync(user, Roles.Student));
            var enrollment = await db.Enrollments.FindAsync(c.Id, user.Id);
            if (enrollment is null) db.Enrollments.Add(new Enrollment { ClassId = c.Id, UserId = user.Id, DisplayName = name });
            else enrollment.DisplayName = name;
            await db.SaveChangesAsync();
            await http.SignOutAsync(Accounts.GuestScheme);
            await signIn.SignInAsync(user, isPersistent: true);
            return Results.Redirect("/");
        }).RequireRateLimiting(Accounts.JoinLimit);
    }

    static bool IsLocal(string url) => url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\");
}
