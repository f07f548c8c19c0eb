namespace Playground.Engine.Spec.Formats;

/// <summary>One format by the name the CLI uses.</summary>
public sealed record SpecFormat(string Name, Func<SandboxSpec, Exported> Export, Func<string, Imported> Import);

public static class SpecFormats
{
    public static IReadOnlyList<SpecFormat> All { get; } =
    [
        new("oci", OciFormat.Export, OciFormat.Import),
        new("docker", DockerFormat.Export, DockerFormat.Import),
        new("bwrap", BwrapFormat.Export, BwrapFormat.Import),
        new("shell", ShellFormat.Export, ShellFormat.Import),
        // The playground's own spec, which carries everything.
        new("json", spec => new Exported(SpecJson.Serialize(spec), []), text => new Imported(SpecJson.Deserialize(text), [])),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(f => f.Name).ToList();

    public static SpecFormat Find(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"'{name}' is not a format: use one of {string.Join(", ", Names)}");
}
