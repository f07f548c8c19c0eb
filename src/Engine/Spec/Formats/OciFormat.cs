using System.Text.Json;

namespace Playground.Engine.Spec.Formats;

/// <summary>
/// An OCI runtime-spec <c>config.json</c>. Export is <see cref="OciConfigRenderer"/>, which carries every knob.
/// Import checks the document against <see cref="OciSchema"/> first (errors name the JSON path), then
/// reads what the playground can run and lists every other field by its path.
/// </summary>
public static partial class OciFormat
{
    public static Exported Export(SandboxSpec spec) => new(OciConfigRenderer.Render(spec), []);

    public static Imported Import(string text)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw Words.Error("$", $"not JSON: {ex.Message.Split(" Path:")[0].Split(" LineNumber:")[0]} (line {ex.LineNumber + 1})");
        }
        using (doc)
        {
            var errors = OciSchema.Validate(doc.RootElement);
            if (errors.Count > 0) throw new SpecValidationException(errors);
            var notes = new List<FormatNote>();
            SandboxSpec spec;
            using (var config = new OciFields(doc.RootElement, "$", notes)) spec = Read(config);
            return new Imported(spec, notes);
        }
    }

    static SandboxSpec Read(OciFields config)
    {
        config.Has("ociVersion", out _);
        var spec = new SandboxSpec { Hostname = config.String("hostname") };
        using (var root = config.Object("root"))
            spec = spec with { Rootfs = root.String("path"), ReadOnlyRoot = root.Bool("readonly") ?? false };
        using (var process = config.Object("process")) spec = Process(process, spec);
        using (var linux = config.Object("linux")) spec = Linux(linux, spec);
        return Mounts(config, spec);
    }

    static SandboxSpec Process(OciFields p, SandboxSpec spec)
    {
        spec = spec with
        {
            Terminal = p.Bool("terminal") ?? false,
            Command = p.Strings("args"),
            Environment = SpecForms.Environment(p.Strings("env")),
            Cwd = p.String("cwd") ?? "/",
            NoNewPrivs = p.Bool("noNewPrivileges") ?? false,
        };
        using (var user = p.Object("user"))
            spec = spec with { Uid = user.UInt("uid") ?? 0, Gid = user.UInt("gid") ?? 0, SupplementaryGroups = user.UInts("additionalGids") };

        using (var caps = p.Object("capabilities"))
        {
            // A set left out is empty (config.md); unknown names are named and left out.
            ulong Set(string name)
            {
                var names = caps.Strings(name);
                for (int i = 0; i < names.Count; i++)
                    if (!Capability.TryParse(names[i], out _))
                        caps.Note($"{caps.At(name)}[{i}]", $"'{names[i]}' is not a capability on this kernel's list (capabilities(7)): left out");
                return Capability.Mask(names);
            }
            spec = spec with
            {
                Capabilities = SpecForms.Capabilities(new CapabilitySets(Set("bounding"), Set("effective"), Set("permitted"), Set("inheritable"), Set("ambient"))),
            };
        }

        var rlimits = new List<RlimitSpec>();
        foreach (var (r, i) in p.Objects("rlimits"))
        {
            var type = r.String("type")!;
            if (SpecForms.RlimitName(type) is { } name) rlimits.Add(new RlimitSpec(name, r.ULong("soft")!.Value, r.ULong("hard")!.Value));
            else { r.ReadAll(); r.Note(r.Path, $"{type} is not a resource limit: use one of {Rlimits.Accepted}: left out"); }
        }
        return spec with { Rlimits = rlimits };
    }

    // Options each mount type may carry without a note: the ones OciConfigRenderer writes, and rw.
    static readonly Dictionary<MountType, string[]> Usual = new()
    {
        [MountType.Bind] = ["bind", "ro", "rw"],
        [MountType.Proc] = ["nosuid", "noexec", "nodev", "ro", "rw"],
        [MountType.Sysfs] = ["nosuid", "noexec", "nodev", "ro", "rw"],
        [MountType.Devpts] = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "rw"],
        [MountType.Mqueue] = ["nosuid", "noexec", "nodev", "rw"],
        [MountType.Tmpfs] = ["nosuid", "nodev", "ro", "rw"],
    };

    static SandboxSpec Mounts(OciFields config, SandboxSpec spec)
    {
        // A tmpfs on /dev is the minimal /dev that runc and Docker give every container (the runtime adds
        // the default devices); its devpts and shm are part of it. The playground makes it after the spec's
        // mounts, so any other mount under /dev would be hidden by it.
        config.Has("mounts", out var all);
        bool minimalDev = all.ValueKind == JsonValueKind.Array &&
            all.EnumerateArray().Any(m => Str(m, "destination") == "/dev" && Str(m, "type") == "tmpfs");
        var mounts = new List<MountSpec>();
        foreach (var (m, i) in config.Objects("mounts"))
        {
            var dst = m.String("destination")!;
            var typeName = m.String("type");
            var options = m.Strings("options");
            if (minimalDev && (dst, typeName) is ("/dev", "tmpfs") or ("/dev/pts", "devpts") or ("/dev/shm", "tmpfs"))
            {
                m.ReadAll();
                continue;
            }
            if (minimalDev && dst.StartsWith("/dev/", StringComparison.Ordinal))
            {
                m.ReadAll();
                m.Note(m.Path, $"{dst} is under /dev, which the minimal /dev (made after the spec's mounts) would hide: left out");
                continue;
            }
            var isBind = typeName is "bind" || options.Contains("bind") || options.Contains("rbind");
            if ((isBind ? MountType.Bind : SpecForms.KernelMountType(typeName)) is not { } type)
            {
                m.ReadAll();
                m.Note(m.Path, $"a {typeName ?? "typeless"} mount at {dst} is not supported (bind, proc, sysfs, devpts, tmpfs and mqueue are): left out");
                continue;
            }
            var mount = new MountSpec { Type = type, Destination = dst, Source = isBind ? m.String("source") : null };
            if (!isBind) m.Has("source", out _);   // proc, tmpfs…: a label, not a path
            foreach (var o in options)
            {
                if (o == "ro") mount = mount with { ReadOnly = true };
                else if (type == MountType.Tmpfs && o.StartsWith("size=", StringComparison.Ordinal) && Sizes.TryParse(o[5..], out var size))
                    mount = mount with { SizeBytes = size };
                else if (o == "rbind") m.Note(m.At("options"), "rbind: the playground binds the top mount only, not the mounts below it");
                else if (!Usual[type].Contains(o)) m.Note(m.At("options"), $"{o}: not supported");
            }
            mounts.Add(mount);
        }
        return spec with { Mounts = mounts, MinimalDev = minimalDev };
    }

    static string? Str(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
