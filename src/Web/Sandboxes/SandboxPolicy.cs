using Playground.Engine;
using Playground.Engine.Spec;

namespace Playground.Web.Sandboxes;

/// <summary>
/// What the web playground adds to the engine's validation, until labs give each person a
/// host of their own: a sandbox may not share the server's user namespace, may only use the
/// person's own root filesystems and bind sources, runs as the person's own id range, and is
/// always limited (at most the server's limits).
/// </summary>
public static class SandboxPolicy
{
    public static (SandboxSpec Spec, IReadOnlyList<SpecError> Errors) Apply(SandboxSpec spec, Person person, PlaygroundOptions options)
    {
        var errors = new List<SpecError>();
        if (!spec.Namespaces.User)
            errors.Add(new SpecError("namespaces.user",
                "the user namespace stays on here: without it the sandbox's root would be root of this server (labs will lift this)"));
        if (spec.Rootfs is { Length: > 0 } rootfs && !Inside(person.RootfsStore, rootfs))
            errors.Add(new SpecError("rootfs", $"pick one of your root filesystems (in {person.RootfsStore})"));
        for (var i = 0; i < spec.Mounts.Count; i++)
            if (spec.Mounts[i] is { Type: MountType.Bind, Source: { Length: > 0 } source } && !Inside(person.Dir, source))
                errors.Add(new SpecError($"mounts[{i}].source", $"bind sources must be in your own directory ({person.Dir})"));
        var limits = spec.Limits;
        var capped = spec with
        {
            UidMap = person.IdMap,
            GidMap = person.IdMap,
            Limits = new ResourceLimits
            {
                MemoryBytes = Math.Min(limits.MemoryBytes ?? long.MaxValue, options.MaxMemoryBytes),
                PidsMax = Math.Min(limits.PidsMax ?? long.MaxValue, options.MaxPids),
                Cpus = Math.Min(limits.Cpus ?? double.MaxValue, options.MaxCpus),
            },
        };
        return (capped, [.. errors, .. SpecValidator.Validate(capped)]);
    }

    /// <summary>Is <paramref name="path"/> (symlinks resolved) inside <paramref name="dir"/>?</summary>
    static bool Inside(string dir, string path)
    {
        var full = Resolve(path).TrimEnd('/');
        var root = Resolve(dir).TrimEnd('/');
        return full == root || full.StartsWith(root + "/", StringComparison.Ordinal);
    }

    /// <summary>realpath(3) of the deepest existing ancestor, plus the rest as written.</summary>
    static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        var rest = new Stack<string>();
        var existing = full;
        while (!Path.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            rest.Push(Path.GetFileName(existing));
            existing = parent;
        }
        return rest.Aggregate(Ownership.RealPath(existing) ?? existing, Path.Combine);
    }
}
