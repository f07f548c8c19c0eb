namespace Playground.Engine.Spec.Formats;

/// <summary>
/// Something a format could not carry, named by its field: on export a spec field
/// (<c>seccomp.rules</c>), on import the format's own field, flag or option
/// (<c>linux.resources.blockIO</c>, <c>--env-file</c>). Nothing is dropped without one.
/// </summary>
public sealed record FormatNote(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>A spec written in a format: the text alone (importable as it is) and what it leaves out.</summary>
public sealed record Exported(string Text, IReadOnlyList<FormatNote> Notes);

/// <summary>A spec read from a format, and what of the input it could not take.</summary>
public sealed record Imported(SandboxSpec Spec, IReadOnlyList<FormatNote> Notes);
