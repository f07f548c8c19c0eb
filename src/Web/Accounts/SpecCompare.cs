using System.Text.Json.Nodes;
using Playground.Engine.Spec;

namespace Playground.Web.Accounts;

/// <summary>Students' sandboxes side by side: what isolates each, and where two differ.</summary>
public static class SpecCompare
{
    /// <summary>Namespaces on, capabilities and seccomp in a line each.</summary>
    public static (string Namespaces, string Capabilities, string Seccomp) Summary(SandboxSpec s) =>
    (
        string.Join(" ", NamespaceKinds.All.Where(k => s.Namespaces[k]).Select(k => k.Name())) is { Length: > 0 } on ? on : "none",
        $"{s.Capabilities.Preset}{Changes("+", s.Capabilities.Add)}{Changes("-", s.Capabilities.Drop)}",
        $"{s.Seccomp.Preset}{(s.Seccomp.Rules.Count > 0 ? $", {s.Seccomp.Rules.Count} rule(s): " + string.Join(", ", s.Seccomp.Rules.Take(4).Select(r => $"{r.Syscall} {r.Action}".ToLowerInvariant())) : "")}"
    );

    static string Changes(string sign, IReadOnlyList<string>? caps) =>
        caps is { Count: > 0 } ? " " + string.Join(" ", caps.Select(c => sign + c)) : "";

    /// <summary>Every field (as its JSON path) whose value differs between the two specs: (path, a's value, b's value).</summary>
    public static IReadOnlyList<(string Path, string A, string B)> Diff(SandboxSpec a, SandboxSpec b)
    {
        var fa = Flatten(JsonNode.Parse(SpecJson.Serialize(a)));
        var fb = Flatten(JsonNode.Parse(SpecJson.Serialize(b)));
        return fa.Keys.Union(fb.Keys).Order(StringComparer.Ordinal)
            .Where(k => fa.GetValueOrDefault(k) != fb.GetValueOrDefault(k))
            .Select(k => (k, fa.GetValueOrDefault(k) ?? "(none)", fb.GetValueOrDefault(k) ?? "(none)"))
            .ToList();
    }

    static Dictionary<string, string> Flatten(JsonNode? node)
    {
        var result = new Dictionary<string, string>();
        void Walk(JsonNode? n, string path)
        {
            switch (n)
            {
                case JsonObject o: foreach (var (k, v) in o) Walk(v, path.Length == 0 ? k : $"{path}.{k}"); break;
                case JsonArray arr: for (var i = 0; i < arr.Count; i++) Walk(arr[i], $"{path}[{i}]"); break;
                case null: break;
                default: result[path] = n.ToJsonString(); break;
            }
        }
        Walk(node, "");
        return result;
    }
}
