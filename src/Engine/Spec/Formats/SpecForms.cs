using System.Numerics;

namespace Playground.Engine.Spec.Formats;

/// <summary>
/// The one spelling importers give a knob that a spec can write several ways, so a round trip gives
/// back the spec it started from: capabilities as the preset nearest to the set plus adds and drops,
/// an environment as changes to the base, rlimits by their short names, id maps left to the default.
/// </summary>
public static class SpecForms
{
    static readonly (string Preset, ulong Mask)[] Presets =
    [
        (CapabilityPresets.DockerDefault, Capability.Mask(Capability.DockerDefault)),
        (CapabilityPresets.None, 0),
        (CapabilityPresets.All, Capability.AllMask),
    ];

    /// <summary>
    /// The bounding set as the preset needing the fewest adds and drops (docker-default on a tie); the other
    /// sets exactly, only where they differ from what <see cref="CapabilitySets.Resolve"/> would give.
    /// </summary>
    public static CapabilitySpec Capabilities(CapabilitySets sets)
    {
        var b = sets.Bounding;
        var (preset, mask) = Presets.MinBy(p => BitOperations.PopCount(p.Mask ^ b));
        IReadOnlyList<string>? Exact(ulong set, ulong rule) => set == rule ? null : Capability.Names(set);
        return new CapabilitySpec
        {
            Preset = preset,
            Add = Capability.Names(b & ~mask),
            Drop = Capability.Names(mask & ~b),
            Effective = Exact(sets.Effective, b),
            Permitted = Exact(sets.Permitted, b),
            Inheritable = Exact(sets.Inheritable, 0),
            Ambient = Exact(sets.Ambient, 0),
        };
    }

    /// <summary>
    /// The inverse of <see cref="ShellCommandRenderer.EffectiveEnvironment"/>: a list that starts with the base's
    /// variables is the base with changes; any other list is a cleared environment.
    /// </summary>
    public static EnvironmentSpec Environment(IReadOnlyList<string> env)
    {
        var base_ = EnvironmentSpec.Base;
        if (env.Count >= base_.Count && env.Take(base_.Count).Select(Key).SequenceEqual(base_.Select(Key)))
            return new EnvironmentSpec { Set = [.. env.Take(base_.Count).Where((e, i) => e != base_[i]), .. env.Skip(base_.Count)] };
        return new EnvironmentSpec { Clear = true, Set = env.ToList() };
    }

    public static string Key(string entry) => entry.Split('=', 2)[0];

    /// <summary>Id maps equal to the default are left empty, as a spec written by hand would have them.</summary>
    public static IReadOnlyList<IdMapping> IdMap(IReadOnlyList<IdMapping> map) =>
        map is [var only] && only == new IdMapping(0, SandboxSpec.DefaultOutsideId, SandboxSpec.DefaultIdCount) ? [] : map;

    /// <summary>proc, sysfs, devpts, tmpfs or mqueue by its file system name; null for any other name.</summary>
    public static MountType? KernelMountType(string? name) =>
        Enum.GetValues<MountType>().Where(t => t != MountType.Bind && string.Equals(t.ToString(), name, StringComparison.OrdinalIgnoreCase))
            .Cast<MountType?>().FirstOrDefault();

    /// <summary>An rlimit by its short name ("nofile"), or null when the name is not one.</summary>
    public static string? RlimitName(string name) => Rlimits.TryParse(name, out var r) ? Rlimits.Names[r] : null;
}
