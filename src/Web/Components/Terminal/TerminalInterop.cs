using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace Playground.Web.Components.Terminal;

/// <summary>The C# side of TerminalView.razor.js: open, focus and close an xterm.js terminal.</summary>
public sealed class TerminalInterop(IJSRuntime js)
{
    public const string ModulePath = "./Components/Terminal/TerminalView.razor.js";
    IJSObjectReference? _module;

    async ValueTask<IJSObjectReference> Module() => _module ??= await js.InvokeAsync<IJSObjectReference>("import", ModulePath);

    /// <summary>Creates the terminal in <paramref name="element"/>, fits it, and attaches it to the hub.</summary>
    public async ValueTask OpenAsync(ElementReference element, string terminalId) =>
        await (await Module()).InvokeVoidAsync("open", element, terminalId);

    public async ValueTask FocusAsync(string terminalId) =>
        await (await Module()).InvokeVoidAsync("focus", terminalId);

    public async ValueTask DisposeAsync(string terminalId)
    {
        try
        {
            if (_module is null) return;
            await _module.InvokeVoidAsync("close", terminalId);
            await _module.DisposeAsync();
        }
        catch (JSDisconnectedException) { } // the page is gone: nothing to close
    }
}
