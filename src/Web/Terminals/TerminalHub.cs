using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Playground.Web.Sandboxes;

namespace Playground.Web.Terminals;

/// <summary>
/// Terminal bytes between xterm.js and a sandbox's PTY (MessagePack: binary as binary). Every
/// call names a terminal and is checked against the caller: its owner attaches and types; an
/// instructor of the owner's class (or an admin) may watch it, read-only, and take it over;
/// for anyone else it does not exist ("no such terminal", as for a missing one). Input from
/// a watcher is dropped here, on the server, not trusted to the page. Connections from another
/// origin are refused.
/// </summary>
[Authorize]
public sealed class TerminalHub(SandboxHost host, Playground.Web.Accounts.Classes classes, Playground.Web.Accounts.Broadcasts broadcasts) : Hub
{
    public const string Path = "/hubs/terminal";
    const string AttachmentsKey = "attachments";

    public override Task OnConnectedAsync()
    {
        var http = Context.GetHttpContext();
        if (http is null || !SameOrigin(http.Request))
        {
            Context.Abort();
            return Task.CompletedTask;
        }
        Context.Items[AttachmentsKey] = new System.Collections.Concurrent.ConcurrentDictionary<string, LiveTerminal.Attachment>();
        return base.OnConnectedAsync();
    }

    /// <summary>A browser may omit Origin only for same-origin GETs; SignalR's negotiate is a POST, so we require it.</summary>
    internal static bool SameOrigin(HttpRequest request) =>
        request.Headers.Origin.ToString() is { Length: > 0 } origin
        && Uri.TryCreate(origin, UriKind.Absolute, out var o)
        && string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
        && o.Scheme == request.Scheme;

    /// <summary>Why an attachment ended while its process runs on: the terminal was attached elsewhere (another tab).</summary>
    public const string AttachedElsewhere = "attached elsewhere";

    /// <summary>
    /// Recent output (the first batch, always sent, possibly empty: the browser must not answer
    /// terminal queries in it), then the live output, in batches of at most 32 KB. Ends when the
    /// process's output ends, or with a HubException "attached elsewhere" when another attach
    /// (a second tab, a reload) takes the terminal.
    /// </summary>
    public async IAsyncEnumerable<byte[]> Attach(string terminalId, [EnumeratorCancellation] CancellationToken cancel)
    {
        var terminal = Find(terminalId);
        var (replay, attachment) = terminal.Attach();
        Attachments[terminalId] = attachment;
        try
        {
            yield return replay;
            await foreach (var batch in Batches(attachment.Reader, null, cancel)) yield return batch;
        }
        finally
        {
            terminal.Detach(attachment);
            if (Attachments.TryGetValue(terminalId, out var current) && current == attachment) Attachments.TryRemove(terminalId, out _);
        }
    }

    /// <summary>
    /// What is waiting, coalesced into batches of at most 32 KiB (no timer: an echo must not wait
    /// for company). An attachment or watch ended on purpose ends the stream with its reason.
    /// </summary>
    static async IAsyncEnumerable<byte[]> Batches(System.Threading.Channels.ChannelReader<byte[]> reader, Action<int>? took,
        [EnumeratorCancellation] CancellationToken cancel)
    {
        var batch = new List<byte[]>();
        while (await WaitToReadAsync(reader, cancel))
        {
            var size = 0;
            while (size < 32 * 1024 && reader.TryRead(out var chunk)) { batch.Add(chunk); size += chunk.Length; }
            took?.Invoke(size);
            yield return batch.Count == 1 ? batch[0] : Concat(batch, size);
            batch.Clear();
        }
    }

    static async ValueTask<bool> WaitToReadAsync(System.Threading.Channels.ChannelReader<byte[]> reader, CancellationToken cancel)
    {
        try { return await reader.WaitToReadAsync(cancel); }
        catch (LiveTerminal.AttachedElsewhereException) { throw new HubException(AttachedElsewhere); }
        catch (LiveTerminal.FellBehindException) { throw new HubException(FellBehind); }
    }

    /// <summary>
    /// Watching: the recent output, then what follows, without any say in the terminal (no
    /// input, no size, no acknowledgement). Ends with "fell behind" when the watcher is more than
    /// 1 MiB behind (it watches again, from the replay).
    /// </summary>
    public async IAsyncEnumerable<byte[]> Watch(string terminalId, [EnumeratorCancellation] CancellationToken cancel)
    {
        var terminal = await FindWatchableAsync(terminalId);
        var (replay, watcher) = terminal.Watch();
        try
        {
            yield return replay;
            await foreach (var batch in Batches(watcher.Reader, watcher.Took, cancel)) yield return batch;
        }
        finally { terminal.Unwatch(watcher); }
    }

    public const string FellBehind = "fell behind";

    /// <summary>The terminal's size as its owner's browser set it (a watcher shows it so): [columns, rows].</summary>
    public async Task<int[]> WatchSize(string terminalId)
    {
        var t = await FindWatchableAsync(terminalId);
        return [t.Size.Columns, t.Size.Rows];
    }

    /// <summary>An instructor takes the terminal over (their keys go in, its owner's do not, and the owner is told) or hands it back.</summary>
    public async Task TakeOver(string terminalId, bool on)
    {
        var t = await FindWatchableAsync(terminalId, forBroadcast: false);
        var me = Person.IdOf(Context.User!)!;
        if (t.OwnerId == me) throw new HubException("no such terminal"); // an owner has nothing to take
        var name = Context.User!.FindFirst(Playground.Web.Accounts.DisplayNameClaims.Type)?.Value ?? "your instructor";
        host.TakeOver(t, on ? (me, name) : null);
    }

    /// <summary>Keys: from its owner unless an instructor has taken it over, then only from that instructor.</summary>
    public void Input(string terminalId, byte[] data)
    {
        var me = Person.IdOf(Context.User!);
        var t = me is null ? null : host.AnyTerminal(terminalId);
        if (t is null) throw new HubException("no such terminal");
        var taker = t.TakenOverBy?.Id;
        if (t.OwnerId == me) { if (taker is null) t.Input(data); return; }
        if (taker == me) { t.Input(data); return; }
        throw new HubException("no such terminal");
    }

    public void Resize(string terminalId, int columns, int rows)
    {
        if (columns is < 1 or > 1000 || rows is < 1 or > 1000) throw new HubException("columns and rows: 1 to 1000");
        Find(terminalId).Resize((ushort)columns, (ushort)rows);
    }

    /// <summary>xterm.js has rendered this many more bytes.</summary>
    public void Ack(string terminalId, long bytes)
    {
        var terminal = Find(terminalId);
        terminal.Acknowledge(Attachments.GetValueOrDefault(terminalId), bytes);
    }

    System.Collections.Concurrent.ConcurrentDictionary<string, LiveTerminal.Attachment> Attachments => (System.Collections.Concurrent.ConcurrentDictionary<string, LiveTerminal.Attachment>)Context.Items[AttachmentsKey]!;

    /// <summary>
    /// The caller's own terminal, one of a student in a class the caller teaches (any, for an
    /// admin), or one broadcast to a class the caller is a student of.
    /// </summary>
    async Task<LiveTerminal> FindWatchableAsync(string terminalId, bool forBroadcast = true)
    {
        var me = Person.IdOf(Context.User!);
        if (me is not null && host.AnyTerminal(terminalId) is { } t)
        {
            if (t.OwnerId == me || await classes.TeachesAsync(me, t.OwnerId)) return t;
            if (forBroadcast)
                foreach (var classId in broadcasts.ClassesShowing(terminalId))
                    if (await classes.InClassAsync(me, classId)) return t;
        }
        throw new HubException("no such terminal");
    }

    LiveTerminal Find(string terminalId) =>
        Person.IdOf(Context.User!) is { } owner && host.Terminal(owner, terminalId) is { } t
            ? t
            : throw new HubException("no such terminal");

    static byte[] Concat(List<byte[]> parts, int size)
    {
        var result = new byte[size];
        var at = 0;
        foreach (var p in parts) { p.CopyTo(result, at); at += p.Length; }
        return result;
    }
}
