using Playground.Engine;
using Microsoft.AspNetCore.Components;
using Playground.Engine.Spec;

namespace Playground.Web.Components.Builder;

/// <summary>A builder panel: shows part of the spec, and hands an edited copy back.</summary>
public abstract class PanelBase : ComponentBase
{
    [Parameter, EditorRequired] public SandboxSpec Spec { get; set; } = default!;
    [Parameter] public EventCallback<SandboxSpec> SpecChanged { get; set; }
    [Parameter] public IReadOnlyList<SpecError> Errors { get; set; } = [];

    protected Task Change(SandboxSpec spec) => SpecChanged.InvokeAsync(spec);

    /// <summary>The errors for a field and its sub-fields, one message each, for a field's helper text.</summary>
    protected string? ErrorFor(string field) =>
        Errors.Where(e => e.Field == field || e.Field.StartsWith(field + ".", StringComparison.Ordinal) || e.Field.StartsWith(field + "[", StringComparison.Ordinal))
            .Select(e => e.Message).ToList() is { Count: > 0 } list ? string.Join("; ", list) : null;

    /// <summary>The errors for exactly this field, not its sub-fields (e.g. "mounts[0]" but not "mounts[0].destination").</summary>
    protected string? ErrorAt(string field) =>
        Errors.Where(e => e.Field == field).Select(e => e.Message).ToList() is { Count: > 0 } list ? string.Join("; ", list) : null;
}

/// <summary>A root filesystem a person may pick: its name and host path.</summary>
public sealed record RootfsChoice(string Name, string Path);
