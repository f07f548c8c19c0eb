using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Playground.Engine;
using Playground.Engine.Spec;
using Playground.Web.Components.Builder;

namespace Playground.Tests.Web;

/// <summary>
/// Renders one builder panel as the workspace does: the panel hands back an edited spec, the host
/// keeps it and renders the panel again with it. Tests then read <see cref="SpecHost{TPanel}.Current"/>.
/// </summary>
public abstract class BuilderTest : IAsyncLifetime
{
    // Composed rather than inherited: MudBlazor's services can only be disposed asynchronously,
    // and xunit 2 calls Dispose() on test classes that are IDisposable.
    protected BunitContext Ctx { get; } = new();

    protected BuilderTest()
    {
        Ctx.Services.AddMudServices();
        Ctx.JSInterop.Mode = JSRuntimeMode.Loose;
    }

    /// <summary>What the workspace starts from, with a rootfs that exists.</summary>
    protected static SandboxSpec Start { get; } = SandboxSpec.Default("/", "/bin/sh") with { Terminal = true, Hostname = "sandbox" };

    protected IRenderedComponent<SpecHost<TPanel>> Render<TPanel>(SandboxSpec? spec = null, IReadOnlyList<SpecError>? errors = null, bool validate = false)
        where TPanel : PanelBase =>
        Ctx.Render<SpecHost<TPanel>>(p => p
            .Add(h => h.Spec, spec ?? Start)
            .Add(h => h.Errors, errors ?? [])
            .Add(h => h.Validate, validate));

    /// <summary>The one control (input, or MudSelect's combobox) whose accessible name is <paramref name="name"/>,
    /// as a screen reader or Playwright's getByRole would find it.</summary>
    protected static IElement Field<T>(IRenderedComponent<T> cut, string name) where T : IComponent
    {
        var named = cut.FindAll("input, [role=combobox]").Where(e => AccessibleName(e) == name).ToList();
        Assert.True(named.Count == 1, $"{named.Count} controls are named '{name}'");
        return named[0];
    }

    // The parts of the accessible name computation MudBlazor's controls use.
    static string? AccessibleName(IElement e)
    {
        if (e.GetAttribute("type") == "hidden") return null;
        if (e.GetAttribute("aria-labelledby") is { } ids)
            return string.Join(" ", ids.Split(' ').Select(id => VisibleText(Root(e).QuerySelector($"[id='{id}']"))));
        if (e.GetAttribute("aria-label") is { } label) return label;
        if (!string.IsNullOrEmpty(e.Id) && Root(e).QuerySelector($"label[for='{e.Id}']") is { } forLabel) return VisibleText(forLabel);
        return e.Closest("label") is { } wrapping ? VisibleText(wrapping) : null;
    }

    // Rendered markup is a fragment, not attached to its document: search from its top.
    static IParentNode Root(INode node)
    {
        while (node.Parent is { } parent) node = parent;
        return (IParentNode)node;
    }

    static string VisibleText(INode? node) => node switch
    {
        null => "",
        IElement el when el.GetAttribute("aria-hidden") == "true" => "",
        IElement el => string.Concat(el.ChildNodes.Select(VisibleText)).Trim(),
        _ => node.TextContent,
    };

    protected static IElement Button<T>(IRenderedComponent<T> cut, string name) where T : IComponent =>
        cut.FindAll("button").Single(b => b.GetAttribute("aria-label") == name || b.TextContent.Trim() == name);

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await Ctx.DisposeAsync();
}

/// <summary>Holds the spec like the workspace: starts from <see cref="Spec"/>, then keeps what the panel hands back.</summary>
public sealed class SpecHost<TPanel> : ComponentBase where TPanel : PanelBase
{
    [Parameter] public SandboxSpec Spec { get; set; } = default!;
    [Parameter] public IReadOnlyList<SpecError> Errors { get; set; } = [];
    /// <summary>Compute the errors with the engine's validator on every change, as the workspace does.</summary>
    [Parameter] public bool Validate { get; set; }

    SandboxSpec? _given;

    public SandboxSpec Current { get; private set; } = default!;
    /// <summary>How many times the panel handed back a spec.</summary>
    public int Changes { get; private set; }

    protected override void OnParametersSet()
    {
        if (ReferenceEquals(_given, Spec)) return;
        _given = Spec;
        Current = Spec;
    }

    protected override void BuildRenderTree(RenderTreeBuilder b)
    {
        b.OpenComponent<MudPopoverProvider>(0);
        b.CloseComponent();
        b.OpenComponent<TPanel>(1);
        b.AddAttribute(2, nameof(PanelBase.Spec), Current);
        b.AddAttribute(3, nameof(PanelBase.SpecChanged), EventCallback.Factory.Create<SandboxSpec>(this, OnChanged));
        b.AddAttribute(4, nameof(PanelBase.Errors), Validate ? SpecValidator.Validate(Current) : Errors);
        b.CloseComponent();
    }

    void OnChanged(SandboxSpec spec)
    {
        Current = spec;
        Changes++;
    }
}
