using Microsoft.AspNetCore.Http.Features;
using Playground.Engine.Rootfs;
using Playground.Web.Sandboxes;

namespace Playground.Web.Rootfs;

/// <summary>GET /rootfs/NAME/download: the caller's own root filesystem as NAME.tar.gz, ids as the sandbox sees them.</summary>
public static class RootfsDownload
{
    public static async Task Handle(HttpContext http, string name, RootfsStore store)
    {
        if (Person.IdOf(http.User) is not { } owner) { http.Response.StatusCode = StatusCodes.Status401Unauthorized; return; }
        RootHandle root;
        try { root = store.Open(owner, name); }
        catch (ArgumentException) { http.Response.StatusCode = StatusCodes.Status404NotFound; return; } // another person's name is "no such root" too
        var person = store.PersonOf(owner);
        http.Response.ContentType = "application/gzip";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}.tar.gz\"";
        // The tar writer is synchronous; it runs on a pool thread of its own.
        if (http.Features.Get<IHttpBodyControlFeature>() is { } body) body.AllowSynchronousIO = true;
        using (root)
            await Task.Run(() => RootfsTree.WriteTarGz(root.Path, http.Response.Body, Inside, Inside), http.RequestAborted);

        // Host ids of the person's range become the ids inside (100000 → 0); any other is nobody.
        uint Inside(uint id) => id >= person.OutsideId && id - person.OutsideId < Person.IdsPerPerson ? id - person.OutsideId : 65534;
    }
}
