using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Playground.Web;

/// <summary>
/// Until people sign in (the classroom issue), everyone is a visitor known by an HttpOnly,
/// SameSite=Strict cookie holding a random id: it is what makes "my sandboxes" mine.
/// </summary>
public static class Visitors
{
    public static void AddVisitors(this IServiceCollection services) =>
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = "playground";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.ExpireTimeSpan = TimeSpan.FromDays(30);
                o.SlidingExpiration = true;
                // An API or hub call without the cookie is refused, not redirected.
                o.Events.OnRedirectToLogin = c => { c.Response.StatusCode = 401; return Task.CompletedTask; };
            });

    /// <summary>Gives a page request without the cookie a new visitor identity (and the cookie).</summary>
    public static IApplicationBuilder UseVisitors(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.User.Identity?.IsAuthenticated != true && HttpMethods.IsGet(context.Request.Method)
            && !context.Request.Path.StartsWithSegments("/hubs") && !context.Request.Path.StartsWithSegments("/_blazor"))
        {
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id)], CookieAuthenticationDefaults.AuthenticationScheme));
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal, new AuthenticationProperties { IsPersistent = true });
            context.User = principal;
        }
        await next();
    });
}
