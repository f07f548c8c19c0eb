namespace Playground.Engine.Spec;

/// <summary>
/// Checks a spec before anything is created. Every error names the field (as in the JSON spec,
/// e.g. <c>mounts[1].destination</c>) and says what would be accepted; all errors are reported
/// at once so a person can fix a spec in one pass.
/// </summary>
public static partial class SpecValidator
{
    /// <param name="spec">The spec.</param>
    /// <param name="pathsHere">
    /// False when its paths (rootfs, bind sources) are another machine's, e.g. a lab's or a
    /// lesson's: their form is checked, not whether they exist here.
    /// </param>
    /// <param name="sourceExists">Where bind sources are looked up instead (e.g. in a lab, by the kernel).</param>
    public static IReadOnlyList<SpecError> Validate(SandboxSpec spec, bool pathsHere = true, Func<string, bool>? sourceExists = null)
    {
        var errors = new List<SpecError>();
        void Add(string field, string message) => errors.Add(new SpecError(field, message));

        var rootOk = CheckRoot(spec, pathsHere, Add);
        CheckNamespacedKnobs(spec, Add);
        CheckIdMaps(spec, Add);
        CheckMounts(spec, rootOk && pathsHere, pathsHere ? sourceExists ?? (s => File.Exists(s) || Directory.Exists(s)) : null, Add);
        CheckProcess(spec, Add);
        CheckCapabilities(spec.Capabilities, Add);
        CheckSeccomp(spec.Seccomp, Add);
        CheckLimits(spec, Add);
        return errors;
    }

    /// <summary>Throws <see cref="SpecValidationException"/> carrying every error, if there are any.</summary>
    public static void ThrowIfInvalid(SandboxSpec spec)
    {
        var errors = Validate(spec);
        if (errors.Count > 0) throw new SpecValidationException(errors);
    }

    const string NeedsMountNs = "needs the mount namespace (namespaces.mount)";

    static bool CheckRoot(SandboxSpec spec, bool pathsHere, Action<string, string> add)
    {
        var rootfs = spec.Rootfs;
        if (string.IsNullOrWhiteSpace(rootfs))
            add("rootfs", "missing: give the absolute path of a directory on the host that becomes the sandbox's /");
        else if (!Path.IsPathRooted(rootfs))
            add("rootfs", $"'{rootfs}' is relative: give an absolute path (the caller resolves relative paths against its own working directory)");
        else if (!pathsHere)
            return true;
        else if (File.Exists(rootfs))
            add("rootfs", $"'{rootfs}' is a file, not a directory: give the directory that holds the root filesystem");
        else if (!Directory.Exists(rootfs))
            add("rootfs", $"'{rootfs}' does not exist on the host: give an existing directory (build one first, e.g. from busybox)");
        else
            return true;
        return false;
    }

    static void CheckNamespacedKnobs(SandboxSpec spec, Action<string, string> add)
    {
        var ns = spec.Namespaces;
        if (spec.ReadOnlyRoot && !ns.Mount)
            add("readOnlyRoot", $"a read-only root {NeedsMountNs}: remounting read-only without it would change the parent's mount");
        if (spec.MinimalDev && !ns.Mount)
            add("minimalDev", $"a minimal /dev is a set of mounts and {NeedsMountNs}; set minimalDev to false or turn the mount namespace on");
        if (spec.MaskPaths && !ns.Mount)
            add("maskPaths", $"masking /proc and /sys paths is done with mounts and {NeedsMountNs}; set maskPaths to false or turn the mount namespace on");

        if (spec.Hostname is { } name)
        {
            if (!ns.Uts)
                add("hostname", "setting a host name needs the uts namespace (namespaces.uts); without it the parent's host name would change");
            if (!IsHostname(name))
                add("hostname", $"'{name}' is not a valid host name: use 1 to 64 letters, digits and '-' (RFC 1123), labels separated by '.', not starting or ending with '-'");
        }

        var t = spec.TimeOffsets;
        if ((t.MonotonicSeconds != 0 || t.BoottimeSeconds != 0) && !ns.Time)
            add("timeOffsets", "clock offsets need the time namespace (namespaces.time); set them to 0 or turn the time namespace on");
    }

    static bool IsHostname(string name) =>
        name.Length is > 0 and <= 64 &&
        name.Split('.').All(label => label.Length > 0 && label[0] != '-' && label[^1] != '-' &&
                                     label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));

    // The kernel refuses more lines than this in uid_map/gid_map (user_namespaces(7), since Linux 4.15).
    const int MaxMapLines = 340;

    static void CheckIdMaps(SandboxSpec spec, Action<string, string> add)
    {
        if (!spec.Namespaces.User)
        {
            if (spec.UidMap.Count > 0) add("uidMap", "id maps need the user namespace (namespaces.user); remove uidMap or turn the user namespace on");
            if (spec.GidMap.Count > 0) add("gidMap", "id maps need the user namespace (namespaces.user); remove gidMap or turn the user namespace on");
            return;
        }
        var uidOk = CheckMap("uidMap", spec.UidMap, add);
        var gidOk = CheckMap("gidMap", spec.GidMap, add);
        const string why = "an unmapped id shows as 65534 (nobody) and the process would have no capabilities";
        if (uidOk && !IsMapped(spec.EffectiveUidMap, spec.Uid))
            add("uid", $"{spec.Uid} is not mapped by uidMap ({Ranges(spec.EffectiveUidMap)} inside): {why}; map it or pick a mapped uid");
        if (gidOk && !IsMapped(spec.EffectiveGidMap, spec.Gid))
            add("gid", $"{spec.Gid} is not mapped by gidMap ({Ranges(spec.EffectiveGidMap)} inside): {why}; map it or pick a mapped gid");
        if (gidOk)
            for (int i = 0; i < spec.SupplementaryGroups.Count; i++)
                if (!IsMapped(spec.EffectiveGidMap, spec.SupplementaryGroups[i]))
                    add($"supplementaryGroups[{i}]", $"{spec.SupplementaryGroups[i]} is not mapped by gidMap ({Ranges(spec.EffectiveGidMap)} inside); setgroups would fail with EINVAL");
    }

    static bool CheckMap(string field, IReadOnlyList<IdMapping> map, Action<string, string> add)
    {
        bool ok = true;
        if (map.Count > MaxMapLines) { add(field, $"{map.Count} lines: the kernel accepts at most {MaxMapLines}"); ok = false; }
        for (int i = 0; i < map.Count; i++)
        {
            var m = map[i];
            if (m.Count == 0) { add($"{field}[{i}].count", "must be at least 1: a line maps count ids starting at inside and outside"); ok = false; }
            // 4294967295 is (uid_t)-1, which means "no change" to setuid(2) and can never be mapped.
            if ((ulong)m.Inside + m.Count > uint.MaxValue) { add($"{field}[{i}]", "inside + count must not exceed 4294967295 ((uid_t)-1 cannot be mapped)"); ok = false; }
            if ((ulong)m.Outside + m.Count > uint.MaxValue) { add($"{field}[{i}]", "outside + count must not exceed 4294967295 ((uid_t)-1 cannot be mapped)"); ok = false; }
            for (int j = 0; j < i; j++)
            {
                if (Overlap(map[j].Inside, map[j].Count, m.Inside, m.Count))
                { add($"{field}[{i}].inside", $"range {Range(m.Inside, m.Count)} overlaps {field}[{j}] ({Range(map[j].Inside, map[j].Count)}): inside ranges must not overlap"); ok = false; }
                if (Overlap(map[j].Outside, map[j].Count, m.Outside, m.Count))
                { add($"{field}[{i}].outside", $"range {Range(m.Outside, m.Count)} overlaps {field}[{j}] ({Range(map[j].Outside, map[j].Count)}): outside ranges must not overlap"); ok = false; }
            }
        }
        return ok;
    }

    static bool Overlap(uint a, uint aCount, uint b, uint bCount) =>
        aCount > 0 && bCount > 0 && (ulong)a < (ulong)b + bCount && (ulong)b < (ulong)a + aCount;

    static bool IsMapped(IReadOnlyList<IdMapping> map, uint id) =>
        map.Any(m => id >= m.Inside && (ulong)id < (ulong)m.Inside + m.Count);

    static string Range(uint start, uint count) => count <= 1 ? $"{start}" : $"{start}-{(ulong)start + count - 1}";
    static string Ranges(IReadOnlyList<IdMapping> map) => string.Join(", ", map.Select(m => Range(m.Inside, m.Count)));
}
