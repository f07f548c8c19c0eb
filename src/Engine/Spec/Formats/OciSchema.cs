using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Playground.Engine.Spec.Formats;

/// <summary>
/// The rules of an OCI runtime-spec <c>config.json</c> for Linux, as a JSON Schema (2020-12) written for
/// the playground from config.md, config-linux.md and the definitions of opencontainers/runtime-spec
/// 1.2. Every field of the spec is typed; the ones config.md calls REQUIRED are required (for Linux:
/// root, process.cwd, process.args with at least one entry, process.user's uid and gid), with its
/// enums (namespace types, seccomp actions, architectures, operators). JsonSchema.Net evaluates it.
/// </summary>
public static class OciSchema
{
    static readonly JsonSchema Schema = JsonSchema.FromText(Text);
    static readonly JsonNode Document = JsonNode.Parse(Text)!;

    /// <summary>
    /// The document's problems, each named by its JSON path (e.g. <c>linux.namespaces[2].type</c>), all
    /// of them. JsonSchema.Net finds them; the words are ours, from the failing keyword, the value and
    /// the schema's own node (its description says what is expected, where it has one).
    /// </summary>
    public static IReadOnlyList<SpecError> Validate(JsonElement config)
    {
        var results = Schema.Evaluate(config, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid) return [];
        var errors = new List<SpecError>();
        foreach (var detail in (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }))
        {
            var pointer = detail.InstanceLocation.ToString();
            var path = Path(pointer);
            var value = At(config, pointer);
            var rules = SchemaNode(detail.SchemaLocation);
            var typed = detail.Errors!.ContainsKey("type");
            foreach (var keyword in detail.Errors!.Keys)
            {
                if (typed && keyword != "type") continue; // a value of the wrong type: that one error, not one per keyword that cannot apply
                if (keyword == "required")
                {
                    foreach (var name in rules?["required"]?.AsArray().Select(n => n!.GetValue<string>()) ?? [])
                        if (value is { ValueKind: JsonValueKind.Object } o && !o.TryGetProperty(name, out _))
                            errors.Add(new SpecError(Member(path, name), "missing: the OCI runtime-spec requires it"));
                    continue;
                }
                var message = keyword switch
                {
                    "type" => $"expected {Article(rules?["type"]?.ToString() ?? "?")}, not {Describe(value)}",
                    "enum" => $"{Describe(value)} is not one of {string.Join(", ", rules?["enum"]?.AsArray().Select(v => v?.ToString()) ?? [])}",
                    "pattern" => $"{Describe(value)} does not match {rules?["pattern"]}",
                    "minimum" => $"{value} is below the minimum {rules?["minimum"]}",
                    "maximum" => $"{value} is above the maximum {rules?["maximum"]}",
                    "minItems" => $"has {value?.GetArrayLength()} entries, at least {rules?["minItems"]} are required",
                    "additionalProperties" or "false" => "not allowed here",
                    _ => detail.Errors[keyword],
                };
                errors.Add(new SpecError(path, rules?["description"]?.GetValue<string>() is { } expected ? $"{message}: expected {expected}" : message));
            }
        }
        return errors.Distinct().ToList();
    }

    /// <summary>
    /// The schema's own node at a location JsonSchema.Net reports (a URI whose fragment is a JSON
    /// pointer into it). Below "items" and "additionalProperties" 8.0.5 repeats a name that is not
    /// in the schema (<c>…/items/namespaces/properties/type</c>): a segment the node lacks is passed over.
    /// </summary>
    static JsonNode? SchemaNode(Uri location)
    {
        JsonNode? node = Document;
        foreach (var part in Uri.UnescapeDataString(location.Fragment.TrimStart('#')).Split('/', StringSplitOptions.RemoveEmptyEntries))
            if (node is JsonObject o && o[part.Replace("~1", "/").Replace("~0", "~")] is { } child) node = child;
        return node;
    }

    static JsonElement? At(JsonElement root, string pointer)
    {
        var node = root;
        foreach (var raw in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var part = raw.Replace("~1", "/").Replace("~0", "~");
            if (node.ValueKind == JsonValueKind.Array && int.TryParse(part, out var i) && i < node.GetArrayLength()) node = node[i];
            else if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(part, out var child)) node = child;
            else return null;
        }
        return node;
    }

    static string Article(string type) => type is "object" or "array" or "integer" ? $"an {type}" : $"a {type}";

    static string Describe(JsonElement? v) => v?.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"'{v.Value.GetString()}'",
        JsonValueKind.Null => "null",
        null => "nothing",
        _ => v.Value.GetRawText(),
    };

    /// <summary>A JSON pointer (<c>/linux/namespaces/0/type</c>) as the path the rest of the import uses (<c>linux.namespaces[0].type</c>).</summary>
    static string Path(string pointer)
    {
        var path = "$";
        foreach (var raw in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var part = raw.Replace("~1", "/").Replace("~0", "~");
            path = int.TryParse(part, out var index) && index >= 0 ? $"{path}[{index}]" : Member(path, part);
        }
        return path;
    }

    /// <summary>"$" for the document; "a.b", "a[0]"; a name that is not a plain word in brackets: annotations["org.x"].</summary>
    public static string Member(string path, string name)
    {
        var plain = name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        var member = plain ? name : $"[\"{name}\"]";
        return path == "$" ? member : plain ? $"{path}.{member}" : path + member;
    }

    public const string Text = """
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "title": "OCI runtime-spec 1.2 config.json, Linux",
      "type": "object",
      "required": ["ociVersion", "root"],
      "properties": {
        "ociVersion": { "type": "string", "pattern": "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$",
                        "description": "a SemVer 2.0.0 version such as 1.2.0" },
        "root": { "type": "object", "required": ["path"],
                  "properties": { "path": { "type": "string" }, "readonly": { "type": "boolean" } } },
        "mounts": { "type": "array", "items": { "$ref": "#/$defs/mount" } },
        "process": { "$ref": "#/$defs/process" },
        "hostname": { "type": "string" },
        "domainname": { "type": "string" },
        "annotations": { "$ref": "#/$defs/stringMap" },
        "hooks": { "type": "object", "properties": {
          "prestart": { "$ref": "#/$defs/hooks" }, "createRuntime": { "$ref": "#/$defs/hooks" },
          "createContainer": { "$ref": "#/$defs/hooks" }, "startContainer": { "$ref": "#/$defs/hooks" },
          "poststart": { "$ref": "#/$defs/hooks" }, "poststop": { "$ref": "#/$defs/hooks" } } },
        "linux": { "$ref": "#/$defs/linux" },
        "solaris": { "type": "object" }, "windows": { "type": "object" }, "vm": { "type": "object" },
        "zos": { "type": "object" }, "freebsd": { "type": "object" }
      },
      "$defs": {
        "int32": { "type": "integer", "minimum": -2147483648, "maximum": 2147483647 },
        "int64": { "type": "integer", "minimum": -9223372036854775808, "maximum": 9223372036854775807 },
        "uint16": { "type": "integer", "minimum": 0, "maximum": 65535 },
        "uint32": { "type": "integer", "minimum": 0, "maximum": 4294967295 },
        "uint64": { "type": "integer", "minimum": 0, "maximum": 18446744073709551615 },
        "strings": { "type": "array", "items": { "type": "string" } },
        "stringMap": { "type": "object", "additionalProperties": { "type": "string" } },
        "capabilities": { "type": "array", "items": { "type": "string", "pattern": "^CAP_[A-Z0-9_]+$",
                          "description": "a capability named as in capabilities(7), e.g. CAP_CHOWN" } },
        "idMappings": { "type": "array", "items": { "type": "object", "required": ["containerID", "hostID", "size"],
          "properties": { "containerID": { "$ref": "#/$defs/uint32" }, "hostID": { "$ref": "#/$defs/uint32" },
                          "size": { "$ref": "#/$defs/uint32" } } } },
        "mount": { "type": "object", "required": ["destination"], "properties": {
          "destination": { "type": "string" }, "source": { "type": "string" }, "type": { "type": "string" },
          "options": { "$ref": "#/$defs/strings" },
          "uidMappings": { "$ref": "#/$defs/idMappings" }, "gidMappings": { "$ref": "#/$defs/idMappings" } } },
        "hooks": { "type": "array", "items": { "type": "object", "required": ["path"], "properties": {
          "path": { "type": "string" }, "args": { "$ref": "#/$defs/strings" }, "env": { "$ref": "#/$defs/strings" },
          "timeout": { "type": "integer", "minimum": 1 } } } },
        "process": { "type": "object", "required": ["cwd", "args"], "properties": {
          "terminal": { "type": "boolean" },
          "consoleSize": { "type": "object", "required": ["height", "width"],
            "properties": { "height": { "$ref": "#/$defs/uint64" }, "width": { "$ref": "#/$defs/uint64" } } },
          "cwd": { "type": "string", "pattern": "^/", "description": "an absolute path inside the container" },
          "args": { "type": "array", "minItems": 1, "items": { "type": "string" },
                    "description": "the program and its arguments; on Linux at least the program" },
          "commandLine": { "type": "string" },
          "env": { "type": "array", "items": { "type": "string", "pattern": "^[^=]+=", "description": "KEY=VALUE" } },
          "user": { "type": "object", "required": ["uid", "gid"], "properties": {
            "uid": { "$ref": "#/$defs/uint32" }, "gid": { "$ref": "#/$defs/uint32" }, "umask": { "$ref": "#/$defs/uint32" },
            "additionalGids": { "type": "array", "items": { "$ref": "#/$defs/uint32" } }, "username": { "type": "string" } } },
          "capabilities": { "type": "object", "properties": {
            "bounding": { "$ref": "#/$defs/capabilities" }, "effective": { "$ref": "#/$defs/capabilities" },
            "permitted": { "$ref": "#/$defs/capabilities" }, "inheritable": { "$ref": "#/$defs/capabilities" },
            "ambient": { "$ref": "#/$defs/capabilities" } } },
          "noNewPrivileges": { "type": "boolean" },
          "rlimits": { "type": "array", "items": { "type": "object", "required": ["type", "soft", "hard"], "properties": {
            "type": { "type": "string", "pattern": "^RLIMIT_[A-Z]+$", "description": "a resource as in setrlimit(2), e.g. RLIMIT_NOFILE" },
            "soft": { "$ref": "#/$defs/uint64" }, "hard": { "$ref": "#/$defs/uint64" } } } },
          "apparmorProfile": { "type": "string" }, "selinuxLabel": { "type": "string" },
          "oomScoreAdj": { "type": "integer" },
          "scheduler": { "type": "object", "required": ["policy"], "properties": {
            "policy": { "enum": ["SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE"] },
            "nice": { "$ref": "#/$defs/int32" }, "priority": { "$ref": "#/$defs/int32" },
            "flags": { "type": "array", "items": { "enum": ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
              "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX"] } },
            "runtime": { "$ref": "#/$defs/uint64" }, "deadline": { "$ref": "#/$defs/uint64" }, "period": { "$ref": "#/$defs/uint64" } } },
          "ioPriority": { "type": "object", "required": ["class"], "properties": {
            "class": { "enum": ["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"] }, "priority": { "$ref": "#/$defs/int32" } } },
          "execCPUAffinity": { "type": "object", "properties": {
            "initial": { "type": "string", "pattern": "^[0-9, -]*$" }, "final": { "type": "string", "pattern": "^[0-9, -]*$" } } } } },
        "linux": { "type": "object", "properties": {
          "namespaces": { "type": "array", "items": { "type": "object", "required": ["type"], "properties": {
            "type": { "enum": ["mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time"] }, "path": { "type": "string" } } } },
          "uidMappings": { "$ref": "#/$defs/idMappings" }, "gidMappings": { "$ref": "#/$defs/idMappings" },
          "timeOffsets": { "type": "object", "properties": { "boottime": { "$ref": "#/$defs/timeOffset" }, "monotonic": { "$ref": "#/$defs/timeOffset" } } },
          "devices": { "type": "array", "items": { "type": "object", "required": ["type", "path"], "properties": {
            "type": { "type": "string", "pattern": "^[cbup]$", "description": "c, b, u or p" }, "path": { "type": "string" },
            "fileMode": { "type": "integer", "minimum": 0, "maximum": 511 }, "major": { "$ref": "#/$defs/int64" },
            "minor": { "$ref": "#/$defs/int64" }, "uid": { "$ref": "#/$defs/uint32" }, "gid": { "$ref": "#/$defs/uint32" } } } },
          "netDevices": { "type": "object", "additionalProperties": { "type": "object", "properties": { "name": { "type": "string" } } } },
          "cgroupsPath": { "type": "string" },
          "resources": { "$ref": "#/$defs/resources" },
          "rootfsPropagation": { "enum": ["private", "shared", "slave", "unbindable"] },
          "seccomp": { "$ref": "#/$defs/seccomp" },
          "sysctl": { "$ref": "#/$defs/stringMap" },
          "maskedPaths": { "$ref": "#/$defs/strings" }, "readonlyPaths": { "$ref": "#/$defs/strings" },
          "mountLabel": { "type": "string" },
          "intelRdt": { "type": "object", "properties": {
            "closID": { "type": "string" }, "schemata": { "$ref": "#/$defs/strings" }, "l3CacheSchema": { "type": "string" },
            "memBwSchema": { "type": "string", "pattern": "^MB:[^\\n]*$" }, "enableMonitoring": { "type": "boolean" } } },
          "memoryPolicy": { "type": "object", "properties": {
            "mode": { "enum": ["MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL"] },
            "nodes": { "type": "string" },
            "flags": { "type": "array", "items": { "enum": ["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"] } } } },
          "personality": { "type": "object", "properties": { "domain": { "enum": ["LINUX", "LINUX32"] }, "flags": { "$ref": "#/$defs/strings" } } } } },
        "timeOffset": { "type": "object", "properties": { "secs": { "$ref": "#/$defs/int64" }, "nanosecs": { "$ref": "#/$defs/uint32" } } },
        "blockDevices": { "type": "array", "items": { "type": "object", "required": ["major", "minor"], "properties": {
          "major": { "$ref": "#/$defs/int64" }, "minor": { "$ref": "#/$defs/int64" }, "weight": { "$ref": "#/$defs/uint16" },
          "leafWeight": { "$ref": "#/$defs/uint16" }, "rate": { "$ref": "#/$defs/uint64" } } } },
        "resources": { "type": "object", "properties": {
          "devices": { "type": "array", "items": { "type": "object", "required": ["allow"], "properties": {
            "allow": { "type": "boolean" }, "type": { "type": "string" }, "major": { "$ref": "#/$defs/int64" },
            "minor": { "$ref": "#/$defs/int64" }, "access": { "type": "string" } } } },
          "memory": { "type": "object", "properties": {
            "limit": { "$ref": "#/$defs/int64" }, "reservation": { "$ref": "#/$defs/int64" }, "swap": { "$ref": "#/$defs/int64" },
            "kernel": { "$ref": "#/$defs/int64" }, "kernelTCP": { "$ref": "#/$defs/int64" }, "swappiness": { "$ref": "#/$defs/uint64" },
            "disableOOMKiller": { "type": "boolean" }, "useHierarchy": { "type": "boolean" }, "checkBeforeUpdate": { "type": "boolean" } } },
          "cpu": { "type": "object", "properties": {
            "shares": { "$ref": "#/$defs/uint64" }, "quota": { "$ref": "#/$defs/int64" }, "burst": { "$ref": "#/$defs/uint64" },
            "period": { "$ref": "#/$defs/uint64" }, "realtimeRuntime": { "$ref": "#/$defs/int64" }, "realtimePeriod": { "$ref": "#/$defs/uint64" },
            "cpus": { "type": "string" }, "mems": { "type": "string" }, "idle": { "$ref": "#/$defs/int64" } } },
          "pids": { "type": "object", "required": ["limit"], "properties": { "limit": { "$ref": "#/$defs/int64" } } },
          "blockIO": { "type": "object", "properties": {
            "weight": { "$ref": "#/$defs/uint16" }, "leafWeight": { "$ref": "#/$defs/uint16" },
            "weightDevice": { "$ref": "#/$defs/blockDevices" },
            "throttleReadBpsDevice": { "$ref": "#/$defs/blockDevices" }, "throttleWriteBpsDevice": { "$ref": "#/$defs/blockDevices" },
            "throttleReadIOPSDevice": { "$ref": "#/$defs/blockDevices" }, "throttleWriteIOPSDevice": { "$ref": "#/$defs/blockDevices" } } },
          "hugepageLimits": { "type": "array", "items": { "type": "object", "required": ["pageSize", "limit"], "properties": {
            "pageSize": { "type": "string", "pattern": "^[1-9][0-9]*[KMG]B$", "description": "a page size such as 2MB" },
            "limit": { "$ref": "#/$defs/uint64" } } } },
          "network": { "type": "object", "properties": { "classID": { "$ref": "#/$defs/uint32" },
            "priorities": { "type": "array", "items": { "type": "object", "required": ["name", "priority"],
              "properties": { "name": { "type": "string" }, "priority": { "$ref": "#/$defs/uint32" } } } } } },
          "rdma": { "type": "object", "additionalProperties": { "type": "object", "properties": {
            "hcaHandles": { "$ref": "#/$defs/uint32" }, "hcaObjects": { "$ref": "#/$defs/uint32" } } } },
          "unified": { "$ref": "#/$defs/stringMap" } } },
        "seccompAction": { "enum": ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
          "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"] },
        "seccomp": { "type": "object", "required": ["defaultAction"], "properties": {
          "defaultAction": { "$ref": "#/$defs/seccompAction" }, "defaultErrnoRet": { "$ref": "#/$defs/uint32" },
          "architectures": { "type": "array", "items": { "enum": ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
            "SCMP_ARCH_AARCH64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
            "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
            "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
            "SCMP_ARCH_RISCV64"] } },
          "flags": { "type": "array", "items": { "enum": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"] } },
          "listenerPath": { "type": "string" }, "listenerMetadata": { "type": "string" },
          "syscalls": { "type": "array", "items": { "type": "object", "required": ["names", "action"], "properties": {
            "names": { "type": "array", "minItems": 1, "items": { "type": "string" } },
            "action": { "$ref": "#/$defs/seccompAction" }, "errnoRet": { "$ref": "#/$defs/uint32" },
            "args": { "type": "array", "items": { "type": "object", "required": ["index", "value", "op"], "properties": {
              "index": { "$ref": "#/$defs/uint32" }, "value": { "$ref": "#/$defs/uint64" }, "valueTwo": { "$ref": "#/$defs/uint64" },
              "op": { "enum": ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"] } } } } } } } } }
      }
    }
    """;
}
