using System.Globalization;

namespace Playground.Engine.Spec.Formats;

/// <summary>
/// bubblewrap's arguments (bwrap(1), 0.8), as run by root, which the playground needs anyway: the root
/// directory is <c>--bind ROOTFS /</c>, mounts are made in order, a read-only root is remounted last. bwrap
/// always makes a mount namespace and sets no_new_privs, maps one id (the sandbox's uid to its caller's),
/// gives its capabilities as every set at once, and has no rlimits, cgroups or seccomp text (only a
/// compiled filter on a file descriptor): those are notes.
/// </summary>
public static partial class BwrapFormat
{
    public static Exported Export(SandboxSpec spec)
    {
        var notes = new List<FormatNote>();
        void Note(string field, string message) => notes.Add(new FormatNote(field, "not expressed: " + message));
        var args = new List<string> { "bwrap" };
        var ns = spec.Namespaces;
        if (!ns.Mount) Note("namespaces.mount", "bwrap always makes a mount namespace");
        if (ns.Time) Note("namespaces.time", "bwrap makes no time namespace");
        if (spec.TimeOffsets != new TimeOffsets()) Note("timeOffsets", "bwrap makes no time namespace");
        foreach (var (kind, flag) in Unshare)
            if (ns[kind]) args.Add(flag);

        if (ns.User)
        {
            args.AddRange(["--uid", Str(spec.Uid), "--gid", Str(spec.Gid)]);
            const string one = "bwrap maps one id, the sandbox's to its caller's (0 when run by root)";
            if (!spec.EffectiveUidMap.SequenceEqual([new IdMapping(spec.Uid, 0, 1)])) Note("uidMap", one);
            if (!spec.EffectiveGidMap.SequenceEqual([new IdMapping(spec.Gid, 0, 1)])) Note("gidMap", one);
        }
        else if (spec.Uid != 0 || spec.Gid != 0)
            Note("uid", "bwrap changes ids only in a user namespace (namespaces.user); without one the command runs as its caller");
        if (spec.SupplementaryGroups.Count > 0) Note("supplementaryGroups", "bwrap sets no supplementary groups");
        if (spec.Hostname is { } host) args.AddRange(["--hostname", host]);

        args.AddRange(["--bind", spec.Rootfs ?? "ROOTFS", "/"]);
        Mounts(spec, args, Note);
        if (spec.MinimalDev) args.AddRange(["--dev", "/dev"]);
        // Last, as the engine does: mount points are made in the root before it turns read-only.
        if (spec.ReadOnlyRoot) args.AddRange(["--remount-ro", "/"]);
        if (spec.MaskPaths) Note("maskPaths", "bwrap masks nothing under /proc and /sys");

        // bwrap starts in the caller's directory (or $HOME) and passes the caller's environment: say both.
        args.AddRange(["--chdir", spec.Cwd, "--clearenv"]);
        foreach (var e in ShellCommandRenderer.EffectiveEnvironment(spec.Environment))
            args.AddRange(["--setenv", SpecForms.Key(e), e[(SpecForms.Key(e).Length + 1)..]]);

        Capabilities(spec, args, Note);
        var sc = spec.Seccomp;
        if (sc.Preset != SeccompPresets.Unconfined || sc.DefaultAction is not null || sc.Rules.Count > 0)
            Note("seccomp", "bwrap loads only a compiled BPF program from a file descriptor (--seccomp FD)");
        if (!spec.NoNewPrivs) Note("noNewPrivs", "bwrap always sets no_new_privs");
        if (spec.Rlimits.Count > 0) Note("rlimits", "bwrap sets no resource limits");
        if (spec.Limits.Any) Note("limits", "bwrap makes no cgroup");

        // Without a terminal the command gets a session of its own, with none (and no TIOCSTI into the caller's).
        if (!spec.Terminal) args.Add("--new-session");
        args.Add("--die-with-parent");
        if (spec.Command.Count > 0 && spec.Command[0].StartsWith('-')) args.Add("--");
        args.AddRange(spec.Command);
        return new Exported(ShellWords.Join(args), notes);
    }

    static readonly (NamespaceKind Kind, string Flag)[] Unshare =
    [
        (NamespaceKind.User, "--unshare-user"), (NamespaceKind.Ipc, "--unshare-ipc"), (NamespaceKind.Pid, "--unshare-pid"),
        (NamespaceKind.Net, "--unshare-net"), (NamespaceKind.Uts, "--unshare-uts"), (NamespaceKind.Cgroup, "--unshare-cgroup"),
    ];

    static string Str(long n) => n.ToString(CultureInfo.InvariantCulture);

    static void Mounts(SandboxSpec spec, List<string> args, Action<string, string> note)
    {
        for (int i = 0; i < spec.Mounts.Count; i++)
        {
            var m = spec.Mounts[i];
            switch (m.Type)
            {
                case MountType.Bind: args.AddRange([m.ReadOnly ? "--ro-bind" : "--bind", m.Source ?? "SOURCE", m.Destination]); continue;
                case MountType.Proc: args.AddRange(["--proc", m.Destination]); break;
                case MountType.Mqueue: args.AddRange(["--mqueue", m.Destination]); break;
                case MountType.Tmpfs:
                    if (m.SizeBytes is { } size) args.AddRange(["--size", Str(size)]);
                    args.AddRange(["--tmpfs", m.Destination]);
                    break;
                default:
                    note($"mounts[{i}]", $"bwrap has no {m.Type.ToString().ToLowerInvariant()} mount (--ro-bind /sys /sys shows the host's sysfs)");
                    continue;
            }
            if (m.ReadOnly) args.AddRange(["--remount-ro", m.Destination]);
        }
    }

    /// <summary>
    /// bwrap gives its capabilities as effective, permitted, inheritable and ambient at once, and as the
    /// bounding set in a user namespace (outside one the bounding set stays its caller's: all, for root).
    /// --cap-drop ALL first, so the result does not depend on who runs it.
    /// </summary>
    static void Capabilities(SandboxSpec spec, List<string> args, Action<string, string> note)
    {
        var sets = CapabilitySets.Resolve(spec.Capabilities);
        var s = sets.Effective;
        var bounding = spec.Namespaces.User ? s : Capability.AllMask;
        const string all = "bwrap gives one set as effective, permitted, inheritable and ambient";
        if (sets.Permitted != s) note("capabilities.permitted", all);
        if (sets.Inheritable != s) note("capabilities.inheritable", all);
        if (sets.Ambient != s) note("capabilities.ambient", all);
        // The bounding set is what the preset, adds and drops (or capabilities.bounding) say.
        if (sets.Bounding != bounding)
            note("capabilities", spec.Namespaces.User ? "bwrap bounds to the same set" : "bwrap keeps its caller's bounding set outside a user namespace");
        args.AddRange(["--cap-drop", "ALL"]);
        foreach (var name in Capability.Names(s)) args.AddRange(["--cap-add", name]);
    }
}
