using System.Security.Claims;
using System.Security.Cryptography;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;

namespace Playground.Web.Accounts;

/// <summary>
/// Who is who. Two cookies: a guest's ("playground", a random id, no database row: self-study
/// and demos need no account) and a signed-in person's ("playground.user", ASP.NET Core
/// Identity's application cookie: admins, instructors, students). The default scheme picks the
/// signed-in one when it is there. Both are HttpOnly; the user cookie is SameSite=Lax so a join
/// link opened from a mail keeps a student signed in, and every form carries an anti-forgery token.
/// </summary>
public static class Accounts
{
    public const string GuestScheme = "guest", AutoScheme = "auto";
    public const string GuestCookie = "playground", UserCookie = "playground.user";
    public const string SignInLimit = "sign-in", JoinLimit = "join";
    /// <summary>A policy: signed in (an account), not a guest.</summary>
    public const string Member = "member";

    public static void AddAccounts(this IServiceCollection services, PlaygroundOptions options, IConfiguration configuration)
    {
        services.AddPlaygroundDb(options, configuration.GetConnectionString("Playground"));
        services.AddIdentityCore<User>(o =>
            {
                o.Password.RequiredLength = 8;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireDigit = false;
                o.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyz0123456789._-@";
                o.Lockout.MaxFailedAccessAttempts = 10;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PlaygroundDb>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<DisplayNameClaims>();

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = AutoScheme;
                o.DefaultChallengeScheme = AutoScheme;
            })
            .AddPolicyScheme(AutoScheme, "signed in, else guest", o => o.ForwardDefaultSelector = http =>
                http.Request.Cookies.ContainsKey(UserCookie) ? IdentityConstants.ApplicationScheme : GuestScheme)
            .AddCookie(GuestScheme, o =>
            {
                o.Cookie.Name = GuestCookie;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.ExpireTimeSpan = TimeSpan.FromDays(options.GuestDays); // People forgets a guest unseen this long
                o.SlidingExpiration = true;
                o.LoginPath = "/login";
                // A guest on a page that needs an account is sent to sign in; hubs and endpoints answer 401/403.
                o.Events.OnRedirectToLogin = r => Answer(r, 401);
                o.Events.OnRedirectToAccessDenied = r =>
                {
                    r.RedirectUri = "/login?returnUrl=" + Uri.EscapeDataString(r.Request.Path + r.Request.QueryString);
                    return Answer(r, 403);
                };
            })
            .AddIdentityCookies(o => o.ApplicationCookie!.Configure(c =>
            {
                c.Cookie.Name = UserCookie;
                c.Cookie.HttpOnly = true;
                c.Cookie.SameSite = SameSiteMode.Lax;
                c.ExpireTimeSpan = TimeSpan.FromDays(14);
                c.SlidingExpiration = true;
                c.LoginPath = "/login";
                c.AccessDeniedPath = "/denied";
                // Hubs and endpoints answer 401/403; pages send people to sign in.
                c.Events.OnRedirectToLogin = r => Answer(r, 401);
                c.Events.OnRedirectToAccessDenied = r => Answer(r, 403);
            }));
        services.AddAuthorizationBuilder().AddPolicy(Member, p => p.RequireAssertion(c =>
            c.User.Identity is { IsAuthenticated: true, AuthenticationType: var type } && type == IdentityConstants.ApplicationScheme));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(SignInLimit, http => PerAddress(http, options.SignInsPerMinute));
            o.AddPolicy(JoinLimit, http => PerAddress(http, options.JoinsPerMinute));
        });
    }

    static RateLimitPartition<string> PerAddress(HttpContext http, int perMinute) =>
        RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "?",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });

    static Task Answer(RedirectContext<CookieAuthenticationOptions> r, int status)
    {
        var path = r.Request.Path;
        if (path.StartsWithSegments("/hubs") || path.StartsWithSegments("/account") || path.StartsWithSegments("/rootfs") || HttpMethods.IsPost(r.Request.Method))
            r.Response.StatusCode = status;
        else r.Response.Redirect(r.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The database made or brought up to date (migrations), the roles there, and on the very
    /// first start an admin with a one-time sign-in link, written to the log (never a password).
    /// </summary>
    public static async Task InitializeAsync(IServiceProvider services, ILogger log, string baseUrl)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlaygroundDb>();
        await db.Database.MigrateAsync();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role)) Check(await roles.CreateAsync(new IdentityRole(role)));
        var users = scope.ServiceProvider.GetRequiredService<UserManager<User>>();
        if ((await users.GetUsersInRoleAsync(Roles.Admin)).Count > 0) return;
        var admin = new User { UserName = "admin", DisplayName = "Admin" };
        Check(await users.CreateAsync(admin));
        Check(await users.AddToRoleAsync(admin, Roles.Admin));
        var token = await scope.ServiceProvider.GetRequiredService<SignInLinks>().CreateAsync(admin.Id, TimeSpan.FromHours(24));
        log.LogWarning("First start: sign in as the admin with this one-time link (valid 24 hours), then set a password: {Url}",
            $"{baseUrl.TrimEnd('/')}/signin/{token}");
    }

    internal static void Check(IdentityResult result)
    {
        if (!result.Succeeded) throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
    }

    /// <summary>Gives a page request without either cookie a new guest identity (when guests are allowed).</summary>
    public static IApplicationBuilder UseGuests(this IApplicationBuilder app, PlaygroundOptions options)
    {
        // Each guest costs an id range and, once they run something, a lab and a store: a script
        // without cookies must not spend them all.
        var limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = options.GuestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        return app.Use(async (context, next) =>
    {
        if (options.AllowGuests && context.User.Identity?.IsAuthenticated != true && HttpMethods.IsGet(context.Request.Method)
            && !context.Request.Path.StartsWithSegments("/hubs") && !context.Request.Path.StartsWithSegments("/_blazor")
            && !Path.HasExtension(context.Request.Path.Value)) // pages make guests, not scripts and stylesheets
        {
            using var lease = limiter.AttemptAcquire(context.Connection.RemoteIpAddress?.ToString() ?? "?");
            if (!lease.IsAcquired)
            {
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                await context.Response.WriteAsync("Too many new visitors from this address: try again in a minute.");
                return;
            }
            var id = User.NewId();
            var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id)], GuestScheme));
            await context.SignInAsync(GuestScheme, principal, new AuthenticationProperties { IsPersistent = true });
            context.User = principal;
        }
        await next();
    });
    }
}

/// <summary>Adds the display name to the signed-in principal (the app bar shows it: a student's sign-in name is made up).</summary>
public sealed class DisplayNameClaims(UserManager<User> users, RoleManager<IdentityRole> roles, Microsoft.Extensions.Options.IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<User, IdentityRole>(users, roles, options)
{
    public const string Type = "display_name";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(User user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(Type, user.DisplayName is { Length: > 0 } n ? n : user.UserName ?? ""));
        return identity;
    }
}

/// <summary>One-time sign-in links: a random 256-bit token, of which only the SHA-256 is stored; used once, within its lifetime.</summary>
public sealed class SignInLinks(PlaygroundDb db)
{
    public async Task<string> CreateAsync(string userId, TimeSpan lifetime)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        db.SignInLinks.Add(new SignInLink { TokenHash = Hash(token), UserId = userId, ExpiresAt = DateTime.UtcNow + lifetime });
        await db.SaveChangesAsync();
        return token;
    }

    /// <summary>The link's user if it is valid now, marking it used (a second use, or a race, gets null).</summary>
    public async Task<string?> ConsumeAsync(string token)
    {
        if (token.Length != 64 || !token.All(char.IsAsciiHexDigitLower)) return null;
        var hash = Hash(token);
        var now = DateTime.UtcNow;
        // One UPDATE: of two requests with the same link, only one changes the row.
        var changed = await db.SignInLinks.Where(l => l.TokenHash == hash && l.UsedAt == null && l.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.UsedAt, now));
        if (changed != 1) return null;
        return await db.SignInLinks.Where(l => l.TokenHash == hash).Select(l => l.UserId).SingleAsync();
    }

    static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token)));
}
