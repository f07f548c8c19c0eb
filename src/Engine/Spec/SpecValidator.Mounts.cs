namespace Playground.Engine.Spec;

public static partial class SpecValidator
{
    static readonly MountType[] ReadOnlyTypes = [MountType.Bind, MountType.Tmpfs, MountType.Sysfs, MountType.Proc];

    static void CheckMounts(SandboxSpec spec, bool rootOk, Func<string, bool>? sourceExists, Action<string, string> add)
    {
        var ns = spec.Namespaces;
        for (int i = 0; i < spec.Mounts.Count; i++)
        {
            var m = spec.Mounts[i];
            var at = $"mounts[{i}]";
            if (!ns.Mount)
                add(at, $"mounts need the mount namespace (namespaces.mount): without it a {Name(m.Type)} mount would land in the parent's mount tree, which is refused");

            var dstOk = CheckDestination(m.Destination, $"{at}.destination", add);
            if (dstOk && rootOk)
            {
                try { RootfsPaths.ResolveInside(spec.Rootfs!, m.Destination); }
                catch (IOException ex) { add($"{at}.destination", $"{ex.Message}: fix the symlinks under the rootfs or pick another destination"); }
            }

            if (m.Type == MountType.Bind) CheckBindSource(m.Source, $"{at}.source", sourceExists, add);
            else if (m.Source is not null)
                add($"{at}.source", $"only bind mounts take a source; a {Name(m.Type)} mount is made from the kernel, remove source");

            if (m.SizeBytes is { } size)
            {
                if (m.Type != MountType.Tmpfs)
                    add($"{at}.sizeBytes", $"only tmpfs mounts take a size; remove sizeBytes from this {Name(m.Type)} mount");
                else if (size <= 0)
                    add($"{at}.sizeBytes", $"{size} is not a size: give a positive number of bytes (e.g. {64 * Sizes.MiB} for 64 MiB), or leave it out for the kernel's default (half of RAM)");
            }

            if (m.ReadOnly && !ReadOnlyTypes.Contains(m.Type))
                add($"{at}.readOnly", $"readOnly applies to bind, tmpfs, sysfs and proc mounts, not {Name(m.Type)}");

            if (m.Type == MountType.Proc && ns.User && !ns.Pid)
                add(at, "mounting proc inside a user namespace needs a pid namespace owned by it (the kernel refuses with EPERM): turn namespaces.pid on, or bind-mount /proc instead");
            if (m.Type == MountType.Sysfs && ns.User && !ns.Net)
                add(at, "mounting sysfs inside a user namespace needs a network namespace owned by it (the kernel refuses with EPERM): turn namespaces.net on, or bind-mount /sys instead");
        }
    }

    static bool CheckDestination(string? dst, string field, Action<string, string> add)
    {
        if (string.IsNullOrWhiteSpace(dst))
            add(field, "empty: give an absolute path inside the sandbox, e.g. /data");
        else if (!dst.StartsWith('/'))
            add(field, $"'{dst}' is relative: give an absolute path inside the sandbox, e.g. /{dst}");
        else if (dst.Split('/').Contains(".."))
            add(field, $"'{dst}' contains '..': give a plain absolute path inside the sandbox");
        else if (dst.Contains('\0'))
            add(field, "contains a NUL character");
        else
            return true;
        return false;
    }

    static void CheckBindSource(string? src, string field, Func<string, bool>? exists, Action<string, string> add)
    {
        if (string.IsNullOrWhiteSpace(src))
            add(field, "missing: a bind mount needs the absolute host path of a file or directory to show inside");
        else if (!Path.IsPathRooted(src))
            add(field, $"'{src}' is relative: give an absolute host path");
        else if (exists is not null && !exists(src))
            add(field, $"'{src}' does not exist: give an existing file or directory");
    }

    static string Name(MountType t) => t.ToString().ToLowerInvariant();
}
