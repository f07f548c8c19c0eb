using Playground.Engine.Spec;

namespace Playground.Cli;

/// <summary>
/// <c>--mount</c> values in Docker's key=value form: <c>type=bind,src=/host,dst=/in,ro</c>,
/// <c>type=tmpfs,dst=/tmp,size=64m</c>, <c>type=proc,dst=/proc</c>.
/// </summary>
internal static class MountOption
{
    static readonly Dictionary<string, MountType> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        ["bind"] = MountType.Bind, ["proc"] = MountType.Proc, ["sysfs"] = MountType.Sysfs,
        ["devpts"] = MountType.Devpts, ["tmpfs"] = MountType.Tmpfs, ["mqueue"] = MountType.Mqueue,
    };

    public const string Accepted = "type=bind,src=HOST,dst=PATH[,ro] | type=proc|sysfs|devpts|mqueue,dst=PATH | type=tmpfs,dst=PATH[,size=64m]";

    public static bool TryParse(string text, string cwd, out MountSpec mount, out string error)
    {
        mount = new MountSpec();
        error = "";
        MountType? type = null;
        string? src = null, dst = null, size = null;
        bool ro = false;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            var key = (eq < 0 ? part : part[..eq]).ToLowerInvariant();
            var value = eq < 0 ? null : part[(eq + 1)..];
            switch (key)
            {
                case "type" when value is not null && Types.TryGetValue(value, out var t): type = t; break;
                case "type":
                    error = $"'{value}' is not a mount type; use one of {string.Join(", ", Types.Keys)}";
                    return false;
                case "src" or "source" when !string.IsNullOrEmpty(value): src = value; break;
                case "dst" or "destination" or "target" when !string.IsNullOrEmpty(value): dst = value; break;
                case "size" when value is not null: size = value; break;
                case "ro" or "readonly" when value is null or "true" or "1": ro = true; break;
                case "ro" or "readonly" when value is "false" or "0": ro = false; break;
                default:
                    error = $"'{part}' is not understood; use {Accepted}";
                    return false;
            }
        }

        if (type is null) { error = $"type= is missing; use {Accepted}"; return false; }
        if (dst is null) { error = "dst= is missing; give the absolute path inside the sandbox"; return false; }
        if (!dst.StartsWith('/')) { error = $"dst={dst} must be an absolute path inside the sandbox"; return false; }
        if (type == MountType.Bind && src is null) { error = "a bind mount needs src=HOST_PATH"; return false; }
        if (type != MountType.Bind && src is not null) { error = $"src= is only for bind mounts, not {type.Value.ToString().ToLowerInvariant()}"; return false; }
        long? bytes = null;
        if (size is not null)
        {
            if (type != MountType.Tmpfs) { error = "size= is only for tmpfs mounts"; return false; }
            if (!Sizes.TryParse(size, out var b) || b <= 0) { error = $"size={size} is not a size; use bytes or k, m, g (e.g. 64m)"; return false; }
            bytes = b;
        }

        mount = new MountSpec
        {
            Type = type.Value,
            // A relative host path means relative to where the person typed the command.
            Source = src is null ? null : Path.GetFullPath(src, cwd),
            Destination = dst,
            ReadOnly = ro,
            SizeBytes = bytes,
        };
        return true;
    }
}
