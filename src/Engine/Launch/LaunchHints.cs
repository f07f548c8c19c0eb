using Playground.Engine.Interop;
using Playground.Engine.Launch.Protocol;
using Playground.Engine.Rootfs;

namespace Playground.Engine.Launch;

/// <summary>Plain-language explanations of a failed step, for the person who hit it.</summary>
internal static class LaunchHints
{
    public static string For(string step, string syscall, int errno, string detail, string rootfs, LaunchPlan plan)
    {
        if (step == "execve" || syscall == "execvp") return Exec(errno, detail, rootfs, plan);
        return (syscall, errno) switch
        {
            ("mkdir", Errno.EACCES or Errno.EOVERFLOW or Errno.EPERM) =>
                $"cannot create a mount point in the rootfs ({detail}): inside the user namespace the rootfs belongs to an unmapped owner; create the directory in the rootfs first",
            ("mount", Errno.EPERM) when step.Contains("sysfs") => "sysfs needs a network namespace owned by the sandbox's user namespace: switch the net namespace on",
            ("mount", Errno.EPERM) when step.Contains("mqueue") => "mqueue needs the ipc namespace: switch it on",
            ("mount" or "chroot", Errno.EACCES) when step is "bind rootfs" or "chroot" =>
                $"the sandbox's root cannot reach {rootfs}: with a user namespace it is an unprivileged uid on the host, so the rootfs and every directory above it must be searchable by others (chmod o+rx)",
            ("chdir", Errno.ENOENT) => $"the working directory {detail} does not exist in the rootfs",
            ("sethostname", Errno.EPERM) => "setting the host name needs the uts namespace and CAP_SYS_ADMIN",
            ("seccomp", Errno.EACCES) => "installing a seccomp filter without no_new_privs needs CAP_SYS_ADMIN",
            _ => "",
        };
    }

    static string Exec(int errno, string detail, string rootfs, LaunchPlan plan)
    {
        var path = detail.Split(' ')[0].TrimEnd(':');
        var host = Path.Combine(rootfs, path.TrimStart('/'));
        switch (errno)
        {
            case Errno.ENOENT when !plan.Argv[0].Contains('/') && !File.Exists(host):
                return $"{plan.Argv[0]} is not in any PATH directory of the rootfs";
            case Errno.ENOENT when !Exists(rootfs, path):
                return $"{path} does not exist in the rootfs";
            case Errno.ENOENT:
                var interp = ElfFile.TryRead(Resolve(rootfs, path))?.Interpreter;
                if (interp is not null && !Exists(rootfs, interp))
                    return $"{path} is dynamically linked and its ELF interpreter {interp} is missing from the rootfs; " +
                           "copy it and the libraries `ldd` lists into the rootfs (`playground rootfs doctor --fix`, or the Doctor " +
                           "on the Root filesystems page), or link the program statically";
                if (interp is not null)
                    return $"{path} is dynamically linked: a library it needs may be missing (`ldd` lists them)";
                return $"{path} exists but the kernel could not run it (a script whose #! interpreter is missing?)";
            case Errno.EACCES:
                return $"{path} is not executable (chmod +x), or it is on a noexec mount";
            case Errno.ENOEXEC:
                return $"{path} is not a program this kernel can run (wrong architecture, or a script without #!)";
            case Errno.EPERM:
                return "the seccomp filter or a security policy refused it";
            default:
                return "";
        }
    }

    static bool Exists(string rootfs, string path) => Path.Exists(Resolve(rootfs, path));

    /// <summary>Follows symlinks with the rootfs as "/" (as the kernel does after the root switch).</summary>
    static string Resolve(string rootfs, string path)
    {
        try { return Spec.RootfsPaths.ResolveInside(rootfs, path); }
        catch (IOException) { return Path.Combine(rootfs, path.TrimStart('/')); } // a loop: let the caller find nothing
    }
}
