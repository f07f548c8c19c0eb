using System.Runtime.InteropServices;
using Playground.Engine.Interop;

namespace Playground.Engine.Labs;

/// <summary>
/// A lab's root: a tmpfs of the workspace's size (everything the lab writes outside /tmp
/// counts against it, and against the lab's memory), with the directories of a Debian system,
/// the server's merged-/usr links (bin → usr/bin…), mount points for /usr, /proc, /sys, /dev
/// and /tmp, and a generated /etc. Owned by the lab's root.
/// </summary>
internal static class LabRoot
{
    static readonly string[] Directories =
    [
        "usr", "proc", "sys", "dev", "tmp", "root", "home", "etc", "var", "var/tmp", "var/log", "var/lib", "var/cache",
        "run", "mnt", "opt", "srv", "media", ".playground",
    ];

    /// <summary>Host /etc files a Debian userland reads (the loader's cache, name service, shells), copied as they are.</summary>
    static readonly string[] HostEtc =
    [
        "ld.so.cache", "ld.so.conf", "nsswitch.conf", "profile", "bash.bashrc", "inputrc", "shells", "services",
        "protocols", "login.defs", "debian_version", "os-release", "environment", "mime.types", "magic",
    ];

    public static void Make(string root, string name, uint firstId, LabOptions options)
    {
        Directory.CreateDirectory(root);
        var data = $"size={options.WorkspaceBytes},mode=755,uid={firstId},gid={firstId}";
        if (Mount.mount("tmpfs", root, "tmpfs", Mount.MS_NOSUID | Mount.MS_NODEV, data) < 0)
            throw new IOException($"lab {name}: mount tmpfs on {root} failed: {Errno.Describe(Marshal.GetLastPInvokeError())}");

        foreach (var d in Directories) Directory.CreateDirectory(Path.Combine(root, d));
        File.SetUnixFileMode(Path.Combine(root, "root"), (UnixFileMode)0x1c0);
        File.SetUnixFileMode(Path.Combine(root, "tmp"), (UnixFileMode)0x3ff);
        File.SetUnixFileMode(Path.Combine(root, "var", "tmp"), (UnixFileMode)0x3ff);
        File.WriteAllBytes(Path.Combine(root, ".playground", "reaper"), []);
        // Debian 12's merged /usr: the same links as the server, so paths like /bin/bash work.
        foreach (var link in new[] { "bin", "sbin", "lib", "lib32", "lib64", "libx32" })
            if (new FileInfo(Path.Combine("/", link)).LinkTarget is { } target)
                File.CreateSymbolicLink(Path.Combine(root, link), target);

        var etc = Path.Combine(root, "etc");
        foreach (var f in HostEtc)
            if (File.Exists(Path.Combine("/etc", f))) File.Copy(Path.Combine("/etc", f), Path.Combine(etc, f));
        // /usr/bin/awk → /etc/alternatives/awk → …: the server's, mounted read-only (LabProfile), not copied (500 links).
        Directory.CreateDirectory(Path.Combine(etc, "alternatives"));
        foreach (var d in new[] { "ld.so.conf.d", "profile.d", "skel" }) CopyFiles(Path.Combine("/etc", d), Path.Combine(etc, d));
        File.WriteAllText(Path.Combine(etc, "passwd"),
            "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        File.WriteAllText(Path.Combine(etc, "group"), "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n");
        File.WriteAllText(Path.Combine(etc, "shadow"), "root:*:19000:0:99999:7:::\n");
        File.SetUnixFileMode(Path.Combine(etc, "shadow"), (UnixFileMode)0x180);
        File.WriteAllText(Path.Combine(etc, "hostname"), name + "\n");
        File.WriteAllText(Path.Combine(etc, "hosts"), $"127.0.0.1\tlocalhost\n127.0.1.1\t{name}\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        // The lab's network is its own loopback: there is no name server to ask.
        File.WriteAllText(Path.Combine(etc, "resolv.conf"), "# this lab's network is loopback only: no name server\n");
        // Nested user namespaces (newuidmap, unshare --map-users) hand out ids from here.
        File.WriteAllText(Path.Combine(etc, "subuid"), "root:1000:64000\n");
        File.WriteAllText(Path.Combine(etc, "subgid"), "root:1000:64000\n");
        File.CreateSymbolicLink(Path.Combine(etc, "mtab"), "/proc/self/mounts");

        Rootfs.TreeOwner.ChownTree(root, firstId, firstId); // it is ours alone until the lab starts
    }

    static void CopyFiles(string from, string to)
    {
        if (!Directory.Exists(from)) return;
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
            if (new FileInfo(file).LinkTarget is null) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
