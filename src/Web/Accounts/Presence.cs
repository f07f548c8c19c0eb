using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Playground.Web.Sandboxes;

namespace Playground.Web.Accounts;

/// <summary>
/// Who has the playground open now: one count per person of their connected Blazor circuits
/// (a tab each), kept by <see cref="PresenceCircuits"/>. The class page shows "online", or when
/// the student left.
/// </summary>
public sealed class Presence
{
    readonly ConcurrentDictionary<string, int> _open = new();
    readonly ConcurrentDictionary<string, DateTime> _left = new();

    /// <summary>Someone's tabs came or went.</summary>
    public event Action<string>? Changed;

    public void Up(string id)
    {
        _open.AddOrUpdate(id, 1, (_, n) => n + 1);
        Changed?.Invoke(id);
    }

    public void Down(string id)
    {
        _open.AddOrUpdate(id, 0, (_, n) => Math.Max(0, n - 1));
        _left[id] = DateTime.UtcNow;
        Changed?.Invoke(id);
    }

    public bool IsOnline(string id) => _open.GetValueOrDefault(id) > 0;

    /// <summary>When their last tab went (since this server started); null if never seen.</summary>
    public DateTime? LeftAt(string id) => _left.TryGetValue(id, out var at) ? at : null;
}

/// <summary>Counts each circuit's person in <see cref="Presence"/> while its connection is up.</summary>
public sealed class PresenceCircuits(Presence presence, AuthenticationStateProvider auth) : CircuitHandler
{
    string? _id;
    bool _up;

    public override async Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        _id ??= Person.IdOf((await auth.GetAuthenticationStateAsync()).User);
        if (_id is null || _up) return;
        _up = true;
        presence.Up(_id);
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (_id is not null && _up)
        {
            _up = false;
            presence.Down(_id);
        }
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken) =>
        OnConnectionDownAsync(circuit, cancellationToken);
}
