using System.Text.Json.Nodes;
using Playground.Engine;
using Playground.Engine.Spec;
using Playground.Engine.Spec.Formats;

namespace Playground.Tests.Spec.Formats;

/// <summary>The specs every format is tried with, and the round-trip rules they must keep.</summary>
internal static class FormatAssert
{
    /// <summary>Most knobs set: namespaces on and off, ro bind and sized tmpfs, env, ids, caps, seccomp, rlimits, limits.</summary>
    public static SandboxSpec Rich { get; } = new()
    {
        Rootfs = "/srv/root fs",
        ReadOnlyRoot = true,
        Namespaces = NamespaceSet.All with { Ipc = false, Cgroup = false },
        TimeOffsets = new TimeOffsets { MonotonicSeconds = 60 },
        Mounts = [MountSpec.Proc(), MountSpec.Bind("/srv/data", "/data", ro: true), MountSpec.Bind("/srv/work", "/work"), MountSpec.Tmpfs("/tmp", 64 << 20)],
        Hostname = "box",
        Environment = new EnvironmentSpec { Set = ["FOO=bar baz", "LANG=C.UTF-8"] },
        Cwd = "/work",
        Uid = 1000, Gid = 1000, SupplementaryGroups = [10, 20],
        Rlimits = [new RlimitSpec("core", 0, Rlimits.Infinity), new RlimitSpec("nofile", 1024, 4096)],
        Capabilities = new CapabilitySpec { Add = ["CAP_NET_ADMIN"], Drop = ["CAP_NET_RAW"] },
        Seccomp = new SeccompSpec
        {
            Rules = [new SeccompRule("mkdir", new SeccompAction(SeccompActionKind.Errno, 13)), new SeccompRule("ptrace", new SeccompAction(SeccompActionKind.Kill))],
        },
        Limits = new ResourceLimits { MemoryBytes = 64 << 20, PidsMax = 20, Cpus = 1.5 },
        Command = ["/bin/sh", "-c", "echo \"$FOO\" it's"],
        Terminal = true,
    };

    /// <summary>The other way: namespaces shared, no policy, a cleared environment.</summary>
    public static SandboxSpec Sparse { get; } = new()
    {
        Rootfs = "/srv/rootfs",
        Namespaces = NamespaceSet.None with { Mount = true },
        Mounts = [MountSpec.Tmpfs("/tmp")],
        MinimalDev = false, MaskPaths = false, NoNewPrivs = false,
        Environment = new EnvironmentSpec { Clear = true, Set = ["PATH=/bin"] },
        Capabilities = new CapabilitySpec { Preset = CapabilityPresets.None, Add = ["CAP_NET_BIND_SERVICE"] },
        Seccomp = new SeccompSpec { Preset = SeccompPresets.Unconfined },
        Command = ["/bin/true"],
    };

    public static string SpecText(SandboxSpec spec) => SpecJson.Serialize(spec);

    /// <summary>
    /// Export, import, and check the promise: every field that came back different is named by a note of the
    /// export, and what came back is a fixed point (exporting and importing it again changes nothing).
    /// </summary>
    public static Imported RoundTrip(SpecFormat format, SandboxSpec spec, out Exported exported)
    {
        exported = format.Export(spec);
        var imported = format.Import(exported.Text);
        var notes = exported.Notes;
        foreach (var field in Differences(spec, imported.Spec))
            Assert.True(notes.Any(n => Covers(n.Field, field)),
                $"{format.Name}: {field} came back different but no export note names it; notes: {string.Join(" | ", notes)}");
        var again = format.Import(format.Export(imported.Spec).Text).Spec;
        Assert.Equal(SpecText(imported.Spec), SpecText(again));
        return imported;
    }

    /// <summary>A note on "mounts" covers mounts[2]; one on "capabilities.ambient" covers just that set.</summary>
    static bool Covers(string note, string field) =>
        note == field || field.StartsWith(note + ".") || field.StartsWith(note + "[") || note.StartsWith(field + ".") || note.StartsWith(field + "[");

    /// <summary>JSON paths (two levels deep) where the two specs differ.</summary>
    public static IReadOnlyList<string> Differences(SandboxSpec a, SandboxSpec b)
    {
        var x = JsonNode.Parse(SpecText(a))!.AsObject();
        var y = JsonNode.Parse(SpecText(b))!.AsObject();
        var paths = new List<string>();
        foreach (var name in x.Select(p => p.Key).Union(y.Select(p => p.Key)))
        {
            var (u, v) = (x[name], y[name]);
            if (JsonNode.DeepEquals(u, v)) continue;
            if (u is JsonObject uo && v is JsonObject vo)
                paths.AddRange(uo.Select(p => p.Key).Union(vo.Select(p => p.Key))
                    .Where(k => !JsonNode.DeepEquals(uo[k], vo[k])).Select(k => $"{name}.{k}"));
            else paths.Add(name);
        }
        // "enabled" is the namespaces' list form of the same flags.
        return paths.Where(p => p != "namespaces.enabled").ToList();
    }

    public static SpecError Refused(Action import)
    {
        var e = Assert.Throws<SpecValidationException>(import);
        return Assert.Single(e.Errors);
    }
}
