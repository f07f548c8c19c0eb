using System.Globalization;

namespace Playground.Engine.Spec.Formats;

/// <summary>
/// <c>docker run</c> flags (Docker 28). Docker runs an image, the playground a root directory: the
/// directory is written where the image goes, and an image name is named on import. What docker always
/// does (a mount namespace, proc and a read-only sysfs, a minimal /dev, masked paths, no user or time
/// namespace) is what an import gives and what an export cannot turn off.
/// </summary>
public static partial class DockerFormat
{
    /// <summary>--ulimit's names (go-units): setrlimit's, without as.</summary>
    static readonly string[] Ulimits =
        ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"];

    public static Exported Export(SandboxSpec spec)
    {
        var notes = new List<FormatNote>();
        void Note(string field, string message) => notes.Add(new FormatNote(field, "not expressed: " + message));
        // -i always: the playground always connects the command's input.
        var args = new List<string> { "docker", "run", "--rm", "-i" };
        if (spec.Terminal) args.Add("-t");

        var ns = spec.Namespaces;
        if (!ns.Mount) Note("namespaces.mount", "docker always makes a mount namespace");
        if (ns.User) Note("namespaces.user", "docker run makes no user namespace of its own (dockerd --userns-remap makes one for every container)");
        if (ns.User && spec.UidMap.Count > 0) Note("uidMap", "no user namespace (see namespaces.user)");
        if (ns.User && spec.GidMap.Count > 0) Note("gidMap", "no user namespace (see namespaces.user)");
        if (ns.Time) Note("namespaces.time", "docker makes no time namespace");
        if (spec.TimeOffsets != new TimeOffsets()) Note("timeOffsets", "docker makes no time namespace");
        // A new network namespace with only loopback is docker's "none"; its default (bridge) adds an interface.
        args.AddRange(["--network", ns.Net ? "none" : "host"]);
        if (!ns.Pid) args.AddRange(["--pid", "host"]);
        if (!ns.Ipc) args.AddRange(["--ipc", "host"]);
        if (!ns.Uts) args.AddRange(["--uts", "host"]);
        // Explicit both ways: without it docker follows the daemon's default-cgroupns-mode.
        args.AddRange(["--cgroupns", ns.Cgroup ? "private" : "host"]);

        if (spec.Hostname is { } host) args.AddRange(["--hostname", host]);
        if (spec.ReadOnlyRoot) args.Add("--read-only");
        if (spec.Uid != 0 || spec.Gid != 0) args.AddRange(["--user", $"{spec.Uid}:{spec.Gid}"]);
        foreach (var g in spec.SupplementaryGroups) args.AddRange(["--group-add", g.ToString(CultureInfo.InvariantCulture)]);
        if (spec.Cwd != "/") args.AddRange(["--workdir", spec.Cwd]);
        Environment(spec.Environment, args, Note);
        Capabilities(spec.Capabilities, args, Note);

        var sc = spec.Seccomp;
        if (sc.Preset == SeccompPresets.Unconfined) args.AddRange(["--security-opt", "seccomp=unconfined"]);
        if (sc.DefaultAction is not null) Note("seccomp.defaultAction", "docker takes its own profile or a profile file (--security-opt seccomp=FILE), not a default action");
        if (sc.Rules.Count > 0) Note("seccomp.rules", "docker takes rules only in a profile file (--security-opt seccomp=FILE): " +
                                    string.Join(", ", sc.Rules.Select(r => $"{r.Syscall}={SpecJson.SeccompActionConverter.Format(r.Action)}")));
        if (spec.NoNewPrivs) args.AddRange(["--security-opt", "no-new-privileges"]);

        var l = spec.Limits;
        // --memory-swap is memory+swap: equal to --memory means no swap, as the spec promises.
        if (l.MemoryBytes is { } mem) args.AddRange(["--memory", Sizes.FormatShort(mem), "--memory-swap", Sizes.FormatShort(mem)]);
        if (l.PidsMax is { } pids) args.AddRange(["--pids-limit", pids.ToString(CultureInfo.InvariantCulture)]);
        if (l.Cpus is { } cpus) args.AddRange(["--cpus", cpus.ToString(CultureInfo.InvariantCulture)]);
        for (int i = 0; i < spec.Rlimits.Count; i++)
        {
            var r = spec.Rlimits[i];
            var name = SpecForms.RlimitName(r.Name);
            if (name is not null && Ulimits.Contains(name)) args.AddRange(["--ulimit", $"{name}={Ulimit(r.Soft)}:{Ulimit(r.Hard)}"]);
            else Note($"rlimits[{i}]", $"docker's --ulimit has no {r.Name}");
        }

        Mounts(spec, args, notes, Note);
        if (!spec.MinimalDev) Note("minimalDev", "docker always gives a minimal /dev");
        if (!spec.MaskPaths) Note("maskPaths", "docker always masks them (only --privileged does not)");

        args.Add(spec.Rootfs ?? "ROOTFS");
        notes.Add(new FormatNote("rootfs", "docker runs an image: the root directory stands in its place " +
                                           "(tar -C DIR -c . | docker import - NAME makes an image of it)"));
        args.AddRange(spec.Command);
        return new Exported(ShellWords.Join(args), notes);
    }

    static string Ulimit(ulong v) => v == Rlimits.Infinity ? "-1" : v.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// docker gives PATH (the base's), HOME from the user's passwd entry and TERM=xterm only with -t:
    /// HOME and TERM are passed so the command sees the playground's base environment.
    /// </summary>
    static void Environment(EnvironmentSpec env, List<string> args, Action<string, string> note)
    {
        if (env.Clear) note("environment.clear", "docker always sets PATH, HOSTNAME and HOME");
        var basePath = EnvironmentSpec.Base.First(e => e.StartsWith("PATH=", StringComparison.Ordinal));
        var set = env.Clear ? env.Set : ShellCommandRenderer.EffectiveEnvironment(env).Where(e => e != basePath);
        foreach (var e in set) args.AddRange(["-e", e]);
    }

    static void Capabilities(CapabilitySpec spec, List<string> args, Action<string, string> note)
    {
        var sets = CapabilitySets.Resolve(spec);
        var b = sets.Bounding;
        const string same = "docker gives one set as bounding, effective and permitted";
        if (sets.Effective != b) note("capabilities.effective", same);
        if (sets.Permitted != b) note("capabilities.permitted", same);
        if (sets.Inheritable != 0) note("capabilities.inheritable", "docker leaves it empty");
        if (sets.Ambient != 0) note("capabilities.ambient", "docker leaves it empty");

        // The shortest of: changes to docker's default, --cap-drop ALL then adds, --cap-add ALL then drops.
        var dockerDefault = Capability.Mask(Capability.DockerDefault);
        static IEnumerable<string> Flags(string flag, ulong mask) => Capability.Names(mask).SelectMany(n => new[] { flag, n[4..] });
        var forms = new[]
        {
            Flags("--cap-add", b & ~dockerDefault).Concat(Flags("--cap-drop", dockerDefault & ~b)),
            new[] { "--cap-drop", "ALL" }.Concat(Flags("--cap-add", b)),
            new[] { "--cap-add", "ALL" }.Concat(Flags("--cap-drop", Capability.AllMask & ~b)),
        };
        args.AddRange(forms.Select(f => f.ToList()).MinBy(f => f.Count)!);
    }

    static void Mounts(SandboxSpec spec, List<string> args, List<FormatNote> notes, Action<string, string> note)
    {
        bool proc = false, sys = false;
        for (int i = 0; i < spec.Mounts.Count; i++)
        {
            var m = spec.Mounts[i];
            switch (m)
            {
                // docker's own: proc on /proc, sysfs read-only on /sys.
                case { Type: MountType.Proc, Destination: "/proc", ReadOnly: false } when !proc: proc = true; break;
                case { Type: MountType.Sysfs, Destination: "/sys", ReadOnly: true } when !sys: sys = true; break;
                case { Type: MountType.Bind }:
                    args.AddRange(["--mount", Csv(["type=bind", $"src={m.Source}", $"dst={m.Destination}", .. m.ReadOnly ? new[] { "readonly" } : []])]);
                    break;
                case { Type: MountType.Tmpfs }:
                    var options = new List<string>();
                    if (m.ReadOnly) options.Add("ro");
                    if (m.SizeBytes is { } size) options.Add("size=" + Sizes.FormatShort(size));
                    args.AddRange(["--tmpfs", options.Count > 0 ? $"{m.Destination}:{string.Join(',', options)}" : m.Destination]);
                    break;
                default:
                    note($"mounts[{i}]", $"docker run has no flag for a {m.Type.ToString().ToLowerInvariant()} mount{(m.ReadOnly ? " (read-only)" : "")} at {m.Destination}");
                    break;
            }
        }
        if (!proc) notes.Add(new FormatNote("mounts", "docker always mounts proc on /proc"));
        if (!sys) notes.Add(new FormatNote("mounts", "docker always mounts sysfs read-only on /sys"));
    }

    /// <summary>--mount's value is one CSV record (docker reads it with encoding/csv): quote fields with , or ".</summary>
    static string Csv(IEnumerable<string> fields) =>
        string.Join(',', fields.Select(f => f.Contains(',') || f.Contains('"') ? "\"" + f.Replace("\"", "\"\"") + "\"" : f));
}
