using Playground.Engine.Launch.Protocol;
using Playground.Engine.Rootfs;

namespace Playground.Engine.Launch;

/// <summary>
/// Creates missing mount points in the rootfs before the launch, as Docker does. Inside a
/// user namespace init cannot: the rootfs belongs to the host's root, an unmapped owner
/// there. Targets under a tmpfs the plan mounts first (the minimal /dev) are init's to make.
/// Paths were resolved inside the rootfs by the validator, so nothing is created outside it.
/// </summary>
internal static class MountPoints
{
    /// <param name="sourceIsFile">Whether a bind's source is a file (the mount point is then a file); default: on this host.</param>
    /// <param name="owner">Who owns what is made; null: whoever runs this.</param>
    public static void Create(LaunchPlan plan, Func<string, bool>? sourceIsFile = null, (uint Uid, uint Gid)? owner = null)
    {
        sourceIsFile ??= File.Exists;
        var mounted = new List<string>();
        RootWriter? writer = null;
        try
        {
            foreach (var op in plan.Mounts)
            {
                var underEarlier = mounted.Any(m => op.Target == m || op.Target.StartsWith(m.TrimEnd('/') + "/", StringComparison.Ordinal));
                if (op.Kind is MountOpKind.Tmpfs or MountOpKind.Proc or MountOpKind.Sysfs or MountOpKind.Devpts or MountOpKind.Mqueue or MountOpKind.Bind)
                {
                    if (!underEarlier) Make(writer ??= new RootWriter(plan.Rootfs, owner), op, sourceIsFile);
                    mounted.Add(op.Target);
                }
            }
        }
        catch (IOException e)
        {
            throw new SandboxException("mount points", "mkdir", Interop.Errno.EACCES, $"cannot create a mount point in the rootfs: {e.Message}");
        }
        finally { writer?.Dispose(); }
    }

    /// <summary>The mount point, made beneath the root by descriptor (a link in the root never leads the mkdir out of it).</summary>
    static void Make(RootWriter root, MountOp op, Func<string, bool> sourceIsFile)
    {
        if (root.Kind(op.Target).Exists) return;
        if (op.Kind == MountOpKind.Bind && sourceIsFile(op.Source))
        {
            var parent = op.Target[..op.Target.LastIndexOf('/')];
            if (parent.Length > 0) root.MakeDirectories(parent);
            root.MakeFile(op.Target);
        }
        else root.MakeDirectories(op.Target);
    }
}
