using Playground.Engine.Launch.Protocol;

namespace Playground.Engine.Launch;

/// <summary>
/// Creates missing mount points in the rootfs before the launch, as Docker does. Inside a
/// user namespace init cannot: the rootfs belongs to the host's root, an unmapped owner
/// there. Targets under a tmpfs the plan mounts first (the minimal /dev) are init's to make.
/// Paths were resolved inside the rootfs by the validator, so nothing is created outside it.
/// </summary>
internal static class MountPoints
{
    public static void Create(LaunchPlan plan)
    {
        var mounted = new List<string>();
        foreach (var op in plan.Mounts)
        {
            var underEarlier = mounted.Any(m => op.Target == m || op.Target.StartsWith(m.TrimEnd('/') + "/", StringComparison.Ordinal));
            if (op.Kind is MountOpKind.Tmpfs or MountOpKind.Proc or MountOpKind.Sysfs or MountOpKind.Devpts or MountOpKind.Mqueue or MountOpKind.Bind)
            {
                if (!underEarlier) Make(plan.Rootfs, op);
                mounted.Add(op.Target);
            }
        }
    }

    static void Make(string rootfs, MountOp op)
    {
        var host = rootfs.TrimEnd('/') + op.Target;
        if (Path.Exists(host) || new FileInfo(host).LinkTarget is not null) return;
        try
        {
            if (op.Kind == MountOpKind.Bind && File.Exists(op.Source))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(host)!);
                File.Create(host).Dispose();
            }
            else Directory.CreateDirectory(host);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxException("mount points", "mkdir", Interop.Errno.EACCES, $"cannot create {op.Target} in the rootfs: {e.Message}");
        }
    }
}
