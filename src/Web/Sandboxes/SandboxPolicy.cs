using Playground.Engine;
using Playground.Engine.Spec;
using Playground.Engine.Labs;

namespace Playground.Web.Sandboxes;

/// <summary>
/// What the web adds to the engine's validation. Every sandbox runs inside its person's lab, and
/// the lab is what keeps people apart (its own id range, namespaces, limits and files), so a
/// sandbox may switch any namespace off (user off: it runs as the lab's root), use any path of
/// the lab as its root or bind source, and map any of the lab's 65536 ids. Its root is the lab's
/// root unless it says otherwise (so it owns its root in /roots, as the lab's root does), and it
/// is always limited (at most the server's limits; the lab's bound it too).
/// </summary>
public static class SandboxPolicy
{
    public static (SandboxSpec Spec, IReadOnlyList<SpecError> Errors) Apply(SandboxSpec spec, PlaygroundOptions options)
    {
        var errors = new List<SpecError>();
        if (spec.Rootfs is not { Length: > 0 } rootfs || !rootfs.StartsWith('/'))
            errors.Add(new SpecError("rootfs", $"give the absolute path of a directory in your lab, e.g. {Person.RootsInLab}/busybox"));
        var limits = spec.Limits;
        var capped = spec with
        {
            UidMap = spec.Namespaces.User ? Maps(spec.UidMap, "uid_map", errors) : [],
            GidMap = spec.Namespaces.User ? Maps(spec.GidMap, "gid_map", errors) : [],
            Limits = new ResourceLimits
            {
                MemoryBytes = Math.Min(limits.MemoryBytes ?? long.MaxValue, options.MaxMemoryBytes),
                PidsMax = Math.Min(limits.PidsMax ?? long.MaxValue, options.MaxPids),
                Cpus = Math.Min(limits.Cpus ?? double.MaxValue, options.MaxCpus),
            },
        };
        return (capped, errors);
    }

    /// <summary>
    /// The id map in the lab's ids: none given (or the engine's host default) is the lab's root
    /// and all its ids, 0 → 0 for 65536; a given one must stay within them.
    /// </summary>
    static IReadOnlyList<IdMapping> Maps(IReadOnlyList<IdMapping> maps, string field, List<SpecError> errors)
    {
        if (maps.Count == 0 || maps is [{ Inside: 0, Outside: SandboxSpec.DefaultOutsideId, Count: SandboxSpec.DefaultIdCount }])
            return LabProfile.AllIds;
        for (var i = 0; i < maps.Count; i++)
            if (maps[i].Outside + (long)maps[i].Count > LabProfile.Ids)
                errors.Add(new SpecError($"{field}[{i}]", $"outside ids are your lab's: {maps[i].Outside}+{maps[i].Count} goes past 65535"));
        return maps;
    }
}
