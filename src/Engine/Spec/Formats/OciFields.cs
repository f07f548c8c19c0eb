using System.Text.Json;

namespace Playground.Engine.Spec.Formats;

/// <summary>
/// One object of a config.json as the OCI importer reads it: every member it asks for is marked read, and
/// when it is disposed the members nobody read are listed as not supported, so no field is dropped unnamed.
/// The document was validated against <see cref="OciSchema"/> first, so values have their schema's types.
/// </summary>
internal sealed class OciFields(JsonElement obj, string path, List<FormatNote> notes) : IDisposable
{
    readonly HashSet<string> read = [];

    public string Path => path;
    public bool Exists => obj.ValueKind == JsonValueKind.Object;

    public bool Has(string name, out JsonElement value)
    {
        read.Add(name);
        value = default;
        return Exists && obj.TryGetProperty(name, out value);
    }

    public string At(string name) => OciSchema.Member(path, name);

    /// <summary>A member object; a missing one reads as empty.</summary>
    public OciFields Object(string name) => new(Has(name, out var v) ? v : default, At(name), notes);

    public IEnumerable<(OciFields Item, int Index)> Objects(string name)
    {
        if (!Has(name, out var array)) yield break;
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            using var fields = new OciFields(item, $"{At(name)}[{i}]", notes);
            yield return (fields, i++);
        }
    }

    public string? String(string name) => Has(name, out var v) ? v.GetString() : null;
    public bool? Bool(string name) => Has(name, out var v) ? v.GetBoolean() : null;
    public long? Long(string name) => Has(name, out var v) ? v.GetInt64() : null;
    public uint? UInt(string name) => Has(name, out var v) ? v.GetUInt32() : null;
    public ulong? ULong(string name) => Has(name, out var v) ? v.GetUInt64() : null;

    public IReadOnlyList<string> Strings(string name) =>
        Has(name, out var v) ? v.EnumerateArray().Select(s => s.GetString()!).ToList() : [];

    public IReadOnlyList<uint> UInts(string name) =>
        Has(name, out var v) ? v.EnumerateArray().Select(s => s.GetUInt32()).ToList() : [];

    public void Note(string field, string message) => notes.Add(new FormatNote(field, message));

    /// <summary>Marks every member read: for an object left out whole, which has its own note.</summary>
    public void ReadAll()
    {
        if (Exists) foreach (var p in obj.EnumerateObject()) read.Add(p.Name);
    }

    public void Dispose()
    {
        if (!Exists) return;
        foreach (var p in obj.EnumerateObject())
            if (!read.Contains(p.Name)) notes.Add(new FormatNote(At(p.Name), "not supported"));
    }
}
