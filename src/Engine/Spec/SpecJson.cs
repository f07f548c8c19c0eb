using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Playground.Engine.Interop;

namespace Playground.Engine.Spec;

/// <summary>
/// The JSON form of a <see cref="SandboxSpec"/>: camelCase names, enums as lowercase strings
/// ("bind", "tmpfs"), seccomp actions as "allow", "errno", "errno:EACCES", rlimit values as numbers
/// or "unlimited". Reading allows comments and trailing commas (people write these by hand) and
/// refuses unknown properties, so a typo like "namespace" is reported instead of ignored.
/// </summary>
public static class SpecJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    static JsonSerializerOptions CreateOptions()
    {
        var o = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = true,
            WriteIndented = true,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            // "mounts": null would otherwise leave a null list behind a non-nullable property.
            RespectNullableAnnotations = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        o.Converters.Add(new LowercaseEnumConverterFactory());
        o.Converters.Add(new SeccompActionConverter());
        o.Converters.Add(new RlimitValueConverter());
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    public static string Serialize(SandboxSpec spec) => JsonSerializer.Serialize(spec, Options);

    /// <summary>Reads a spec; any problem becomes a <see cref="SpecValidationException"/> whose field is the JSON path.</summary>
    public static SandboxSpec Deserialize(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<SandboxSpec>(json, Options)
                ?? throw Error("$", "the spec must be a JSON object, e.g. {\"rootfs\": \"/srv/rootfs\"}");
        }
        catch (JsonException ex)
        {
            throw Error(ex.Path ?? "$", Explain(ex));
        }
    }

    static SpecValidationException Error(string field, string message) => new([new SpecError(field, message)]);

    /// <summary>Turns System.Text.Json's messages, written for .NET developers, into ones about the spec.</summary>
    static string Explain(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        const string convert = "The JSON value could not be converted to ";
        if (message.StartsWith(convert, StringComparison.Ordinal))
            message = "expected " + Describe(message[convert.Length..].TrimEnd('.'));
        else if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
            message = $"'{PropertyName(message)}' is not a known property (names are camelCase, e.g. rootfs, namespaces, mounts)";
        else if (message.Contains("null values", StringComparison.OrdinalIgnoreCase))
            message = "null is not allowed here; leave the property out to get its default";
        var line = ex.LineNumber is { } l ? $" (line {l + 1})" : "";
        return message + line;
    }

    static string PropertyName(string message)
    {
        int a = message.IndexOf('\''), b = a >= 0 ? message.IndexOf('\'', a + 1) : -1;
        return b > a ? message[(a + 1)..b] : "?";
    }

    static string Describe(string typeName) => typeName switch
    {
        "System.UInt32" => "a whole number from 0 to 4294967295",
        "System.Int32" or "System.Int64" => "a whole number",
        "System.UInt64" => "a whole number or \"unlimited\"",
        "System.Double" => "a number",
        "System.Boolean" => "true or false",
        "System.String" => "a string",
        _ when typeName.Contains("IReadOnlyList", StringComparison.Ordinal) => "a list [...]",
        _ when typeName.StartsWith("System.Nullable", StringComparison.Ordinal) => "a number or null",
        _ => "an object {...}",
    };

    /// <summary>Enums as lowercase names; a bad name lists the accepted ones.</summary>
    sealed class LowercaseEnumConverterFactory : JsonConverterFactory
    {
        public override bool CanConvert(Type t) => t.IsEnum;
        public override JsonConverter CreateConverter(Type t, JsonSerializerOptions o) =>
            (JsonConverter)Activator.CreateInstance(typeof(LowercaseEnumConverter<>).MakeGenericType(t))!;
    }

    sealed class LowercaseEnumConverter<T> : JsonConverter<T> where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type t, JsonSerializerOptions o)
        {
            var accepted = string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));
            if (reader.TokenType != JsonTokenType.String)
                throw new JsonException($"expected a string, one of {accepted}");
            var s = reader.GetString()!;
            foreach (var value in Enum.GetValues<T>())
                if (string.Equals(value.ToString(), s, StringComparison.OrdinalIgnoreCase)) return value;
            throw new JsonException($"'{s}' is not one of {accepted}");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions o) =>
            writer.WriteStringValue(value.ToString().ToLowerInvariant());
    }

    /// <summary>"allow", "kill", "trap", "log", "errno" (EPERM), "errno:13" or "errno:EACCES".</summary>
    internal sealed class SeccompActionConverter : JsonConverter<SeccompAction>
    {
        public const string Accepted = "allow, kill, trap, log, errno (EPERM), errno:N or errno:NAME (e.g. errno:EACCES)";

        public override SeccompAction Read(ref Utf8JsonReader reader, Type t, JsonSerializerOptions o)
        {
            if (reader.TokenType != JsonTokenType.String) throw new JsonException($"expected a string: {Accepted}");
            var s = reader.GetString()!;
            return TryParse(s, out var action) ? action : throw new JsonException($"'{s}' is not a seccomp action: {Accepted}");
        }

        public override void Write(Utf8JsonWriter writer, SeccompAction value, JsonSerializerOptions o) =>
            writer.WriteStringValue(Format(value));

        public static bool TryParse(string s, out SeccompAction action)
        {
            action = SeccompAction.Allow;
            var parts = s.Trim().Split(':', 2);
            switch (parts[0].ToLowerInvariant())
            {
                case "allow" when parts.Length == 1: return true;
                case "kill" when parts.Length == 1: action = new(SeccompActionKind.Kill); return true;
                case "trap" when parts.Length == 1: action = new(SeccompActionKind.Trap); return true;
                case "log" when parts.Length == 1: action = new(SeccompActionKind.Log); return true;
                case "errno" when parts.Length == 1: action = SeccompAction.Eperm; return true;
                case "errno":
                    // Numbers are taken as written so the validator can say what range is accepted.
                    if (int.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ||
                        Errno.TryParse(parts[1], out n))
                    { action = new(SeccompActionKind.Errno, n); return true; }
                    return false;
                default: return false;
            }
        }

        public static string Format(SeccompAction a) => a.Kind switch
        {
            SeccompActionKind.Errno when a.Errno == Errno.EPERM => "errno",
            SeccompActionKind.Errno => Errno.Name(a.Errno).StartsWith('E') ? $"errno:{Errno.Name(a.Errno)}" : $"errno:{a.Errno}",
            _ => a.Kind.ToString().ToLowerInvariant(),
        };
    }

    /// <summary>rlimit values (the only ulongs in a spec): a number, or "unlimited" for RLIM_INFINITY.</summary>
    sealed class RlimitValueConverter : JsonConverter<ulong>
    {
        public override ulong Read(ref Utf8JsonReader reader, Type t, JsonSerializerOptions o)
        {
            if (reader.TokenType == JsonTokenType.String && string.Equals(reader.GetString(), "unlimited", StringComparison.OrdinalIgnoreCase))
                return Rlimits.Infinity;
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out var v)) return v;
            throw new JsonException("expected a whole number or \"unlimited\"");
        }

        public override void Write(Utf8JsonWriter writer, ulong value, JsonSerializerOptions o)
        {
            if (value == Rlimits.Infinity) writer.WriteStringValue("unlimited");
            else writer.WriteNumberValue(value);
        }
    }
}
