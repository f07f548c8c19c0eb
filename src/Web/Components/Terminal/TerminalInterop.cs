using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace Playground.Web.Components.Terminal;

/// <summary>The C# side of TerminalView.razor.js: open, focus and close an xterm.js terminal.</summary>
public sealed class TerminalInterop(IJSRuntime js)
{
    public const string ModulePath = "./Components/Terminal/TerminalView.razor.js";
    IJSObjectReference? _module;

    async ValueTask<IJSObjectReference> Module() => _module ??= await js.InvokeAsync<IJSObjectReference>("import", ModulePath);

    /// <summary>
    /// Creates the terminal in <paramref name="element"/> and attaches it to the hub (its owner's
    /// view, fitted to the element) or watches it (read-only, at the owner's size). <paramref name="key"/>
    /// names this view (a page may show one terminal twice).
    /// </summary>
    public async ValueTask OpenAsync(ElementReference element, string key, string terminalId, bool watch) =>
        await (await Module()).InvokeVoidAsync("open", element, key, terminalId, watch);

    public async ValueTask FocusAsync(string key) =>
        await (await Module()).InvokeVoidAsync("focus", key);

    /// <summary>A watcher's keys go to the terminal (taken over) or nowhere.</summary>
    public async ValueTask TypingAsync(string key, bool on) =>
        await (await Module()).InvokeVoidAsync("typing", key, on);

    public async ValueTask DisposeAsync(string key)
    {
        try
        {
            if (_module is null) return;
            await _module.InvokeVoidAsync("close", key);
            await _module.DisposeAsync();
        }
        catch (JSDisconnectedException) { } // the page is gone: nothing to close
    }
}
