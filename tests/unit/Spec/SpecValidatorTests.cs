using Playground.Engine;
using Playground.Engine.Spec;

namespace Playground.Tests.Spec;

public class SpecValidatorTests : IDisposable
{
    readonly TempRootfs tmp = new();
    public void Dispose() => tmp.Dispose();

    static NamespaceSet Without(NamespaceKind k) => NamespaceSet.AllButTime.With(k, false);
    static SeccompAction Errno(int n) => new(SeccompActionKind.Errno, n);

    // One row per bad input: a name, how to spoil the default spec, the field and a phrase of the message.
    public static TheoryData<string, Func<TempRootfs, SandboxSpec>, string, string> BadSpecs => new()
    {
        { "rootfs missing", t => t.Spec() with { Rootfs = null }, "rootfs", "missing" },
        { "rootfs relative", t => t.Spec() with { Rootfs = "toyfs" }, "rootfs", "give an absolute path" },
        { "rootfs absent", t => t.Spec() with { Rootfs = t.Dir + "/nope" }, "rootfs", "does not exist" },
        { "rootfs is a file", t => { File.WriteAllText(t.Dir + "/f", ""); return t.Spec() with { Rootfs = t.Dir + "/f" }; }, "rootfs", "not a directory" },
        { "read-only root without mount ns", t => t.Spec() with { ReadOnlyRoot = true, Namespaces = Without(NamespaceKind.Mount), Mounts = [], MinimalDev = false, MaskPaths = false }, "readOnlyRoot", "namespaces.mount" },
        { "command empty", t => t.Spec() with { Command = [] }, "command", "empty" },
        { "command[0] empty", t => t.Spec() with { Command = [""] }, "command[0]", "empty" },
        { "hostname without uts", t => t.Spec() with { Hostname = "box", Namespaces = Without(NamespaceKind.Uts) }, "hostname", "namespaces.uts" },
        { "hostname bad chars", t => t.Spec() with { Hostname = "my_box" }, "hostname", "RFC 1123" },
        { "hostname leading dash", t => t.Spec() with { Hostname = "-box" }, "hostname", "not starting or ending with '-'" },
        { "hostname too long", t => t.Spec() with { Hostname = new string('a', 65) }, "hostname", "1 to 64" },
        { "uid map without user ns", t => t.Spec() with { Namespaces = Without(NamespaceKind.User), UidMap = [new(0, 1000, 1)] }, "uidMap", "namespaces.user" },
        { "gid map without user ns", t => t.Spec() with { Namespaces = Without(NamespaceKind.User), GidMap = [new(0, 1000, 1)] }, "gidMap", "namespaces.user" },
        { "map count 0", t => t.Spec() with { UidMap = [new(0, 100000, 0)] }, "uidMap[0].count", "at least 1" },
        { "map inside overlap", t => t.Spec() with { UidMap = [new(0, 100000, 10), new(5, 200000, 10)] }, "uidMap[1].inside", "must not overlap" },
        { "map outside overlap", t => t.Spec() with { GidMap = [new(0, 100000, 10), new(10, 100005, 10)] }, "gidMap[1].outside", "must not overlap" },
        { "map past -1", t => t.Spec() with { UidMap = [new(uint.MaxValue, 100000, 1)] }, "uidMap[0]", "4294967295" },
        { "uid not mapped", t => t.Spec() with { Uid = 70000 }, "uid", "not mapped" },
        { "gid not mapped", t => t.Spec() with { GidMap = [new(1000, 100000, 1)] }, "gid", "not mapped" },
        { "group not mapped", t => t.Spec() with { SupplementaryGroups = [70000] }, "supplementaryGroups[0]", "not mapped" },
        { "time offsets without time ns", t => t.Spec() with { TimeOffsets = new() { BoottimeSeconds = 5 } }, "timeOffsets", "namespaces.time" },
        { "mount without mount ns", t => t.Spec() with { Namespaces = Without(NamespaceKind.Mount), MinimalDev = false, MaskPaths = false }, "mounts[0]", "mounts need the mount namespace (namespaces.mount)" },
        { "minimal dev without mount ns", t => t.Spec() with { Namespaces = Without(NamespaceKind.Mount), Mounts = [], MaskPaths = false }, "minimalDev", "namespaces.mount" },
        { "mask paths without mount ns", t => t.Spec() with { Namespaces = Without(NamespaceKind.Mount), Mounts = [], MinimalDev = false }, "maskPaths", "namespaces.mount" },
        { "destination empty", t => t.Spec() with { Mounts = [MountSpec.Tmpfs("")] }, "mounts[0].destination", "empty" },
        { "destination relative", t => t.Spec() with { Mounts = [MountSpec.Tmpfs("tmp")] }, "mounts[0].destination", "relative" },
        { "destination with ..", t => t.Spec() with { Mounts = [MountSpec.Tmpfs("/tmp/../etc")] }, "mounts[0].destination", "'..'" },
        { "destination symlink loop", t => { File.CreateSymbolicLink(t.Rootfs + "/loop", "/loop"); return t.Spec() with { Mounts = [MountSpec.Tmpfs("/loop/x")] }; }, "mounts[0].destination", "ELOOP" },
        { "bind source missing", t => t.Spec() with { Mounts = [new MountSpec { Type = MountType.Bind, Destination = "/data" }] }, "mounts[0].source", "missing" },
        { "bind source relative", t => t.Spec() with { Mounts = [MountSpec.Bind("data", "/data")] }, "mounts[0].source", "relative" },
        { "bind source absent", t => t.Spec() with { Mounts = [MountSpec.Bind(t.Dir + "/nope", "/data")] }, "mounts[0].source", "does not exist: give an existing" },
        { "source on tmpfs", t => t.Spec() with { Mounts = [MountSpec.Tmpfs("/tmp") with { Source = "/x" }] }, "mounts[0].source", "only bind mounts" },
        { "tmpfs size 0", t => t.Spec() with { Mounts = [MountSpec.Tmpfs("/tmp", 0)] }, "mounts[0].sizeBytes", "positive" },
        { "size on proc", t => t.Spec() with { Mounts = [MountSpec.Proc() with { SizeBytes = 10 }] }, "mounts[0].sizeBytes", "only tmpfs" },
        { "read-only devpts", t => t.Spec() with { Mounts = [new MountSpec { Type = MountType.Devpts, Destination = "/dev/pts", ReadOnly = true }] }, "mounts[0].readOnly", "bind, tmpfs, sysfs and proc" },
        { "sysfs in user ns without net ns", t => t.Spec() with { Namespaces = Without(NamespaceKind.Net), Mounts = [new MountSpec { Type = MountType.Sysfs, Destination = "/sys" }] }, "mounts[0]", "network namespace owned by it" },
        { "env without =", t => t.Spec() with { Environment = new() { Set = ["FOO"] } }, "environment.set[0]", "KEY=VALUE" },
        { "env bad key", t => t.Spec() with { Environment = new() { Set = ["1FOO=x"] } }, "environment.set[0]", "not a valid variable name" },
        { "env empty key", t => t.Spec() with { Environment = new() { Set = ["=x"] } }, "environment.set[0]", "not a valid variable name" },
        { "cwd relative", t => t.Spec() with { Cwd = "root" }, "cwd", "not absolute" },
        { "rlimit unknown", t => t.Spec() with { Rlimits = [new("files", 1, 1)] }, "rlimits[0].name", "nofile" },
        { "rlimit twice", t => t.Spec() with { Rlimits = [new("nofile", 1, 1), new("RLIMIT_NOFILE", 2, 2)] }, "rlimits[1].name", "twice" },
        { "rlimit soft > hard", t => t.Spec() with { Rlimits = [new("nofile", 2048, 1024)] }, "rlimits[0].soft", "soft ≤ hard" },
        { "cap preset unknown", t => t.Spec() with { Capabilities = new() { Preset = "root" } }, "capabilities.preset", "none, docker-default, all" },
        { "cap add unknown", t => t.Spec() with { Capabilities = new() { Add = ["CAP_FLY"] } }, "capabilities.add[0]", "capabilities(7)" },
        { "cap drop unknown", t => t.Spec() with { Capabilities = new() { Drop = ["fly"] } }, "capabilities.drop[0]", "not a capability" },
        { "cap exact set unknown", t => t.Spec() with { Capabilities = new() { Bounding = ["CAP_CHOWN", "nope"] } }, "capabilities.bounding[1]", "not a capability" },
        { "ambient not inheritable", t => t.Spec() with { Capabilities = new() { Ambient = ["CAP_NET_RAW"] } }, "capabilities.ambient", "ambient ⊆ permitted ∩ inheritable" },
        { "ambient not permitted", t => t.Spec() with { Capabilities = new() { Inheritable = ["CAP_SYS_ADMIN"], Ambient = ["CAP_SYS_ADMIN"] } }, "capabilities.ambient", "CAP_SYS_ADMIN" },
        { "effective not permitted", t => t.Spec() with { Capabilities = new() { Effective = ["CAP_SYS_ADMIN"] } }, "capabilities.effective", "effective ⊆ permitted" },
        { "seccomp preset unknown", t => t.Spec() with { Seccomp = new() { Preset = "strict" } }, "seccomp.preset", "unconfined, docker-default" },
        { "seccomp syscall unknown", t => t.Spec() with { Seccomp = new() { Rules = [new("mkdirr", SeccompAction.Eperm)] } }, "seccomp.rules[0].syscall", "not a system call" },
        { "seccomp errno 0", t => t.Spec() with { Seccomp = new() { Rules = [new("mkdir", Errno(0))] } }, "seccomp.rules[0].action", "1 to 4095" },
        { "seccomp errno 4096", t => t.Spec() with { Seccomp = new() { DefaultAction = Errno(4096) } }, "seccomp.defaultAction", "1 to 4095" },
        { "memory too low", t => t.Spec() with { Limits = new() { MemoryBytes = 1 << 20 } }, "limits.memoryBytes", "init" },
        { "memory too high", t => t.Spec() with { Limits = new() { MemoryBytes = 2 * Sizes.TiB } }, "limits.memoryBytes", "1TiB" },
        { "pids 1 with pid ns", t => t.Spec() with { Limits = new() { PidsMax = 1 } }, "limits.pidsMax", "at least 2" },
        { "pids 0 without pid ns", t => t.Spec() with { Namespaces = Without(NamespaceKind.Pid), Limits = new() { PidsMax = 0 } }, "limits.pidsMax", "at least 1" },
        { "cpus 0", t => t.Spec() with { Limits = new() { Cpus = 0 } }, "limits.cpus", "above 0" },
        { "cpus too many", t => t.Spec() with { Limits = new() { Cpus = 2000 } }, "limits.cpus", "1024" },
        { "cpus NaN", t => t.Spec() with { Limits = new() { Cpus = double.NaN } }, "limits.cpus", "out of range" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void BadInputNamesTheField(string why, Func<TempRootfs, SandboxSpec> spoil, string field, string phrase)
    {
        var errors = SpecValidator.Validate(spoil(tmp));
        Assert.True(errors.Any(e => e.Field == field && e.Message.Contains(phrase)),
            $"{why}: expected {field}: …{phrase}…, got:\n{string.Join("\n", errors)}");
    }

    [Fact]
    public void DefaultSpecIsValid() => Assert.Empty(SpecValidator.Validate(tmp.Spec()));

    [Fact]
    public void RichValidSpecIsValid()
    {
        File.CreateSymbolicLink(tmp.Rootfs + "/data", "/srv/data");
        var spec = tmp.Spec("/bin/sh", "-l") with
        {
            Namespaces = NamespaceSet.All, Hostname = "box.lab", ReadOnlyRoot = true, Uid = 1000, Gid = 1000,
            TimeOffsets = new() { MonotonicSeconds = -60 },
            UidMap = [new(0, 100000, 1), new(1000, 101000, 1)], GidMap = [new(0, 100000, 65536)],
            Mounts = [MountSpec.Proc(), MountSpec.Bind(tmp.HostData, "/data", ro: true), MountSpec.Tmpfs("/tmp", 64 << 20),
                      new MountSpec { Type = MountType.Sysfs, Destination = "/sys", ReadOnly = true }],
            Environment = new() { Clear = true, Set = ["FOO=BAR", "_x1="] },
            Rlimits = [new("RLIMIT_NOFILE", 1024, Rlimits.Infinity)],
            Capabilities = new() { Preset = "none", Add = ["net_raw"], Inheritable = ["CAP_NET_RAW"], Ambient = ["CAP_NET_RAW"] },
            Seccomp = new() { Rules = [new("mkdir", Errno(13))] },
            Limits = new() { MemoryBytes = 64 << 20, PidsMax = 2, Cpus = 0.5 },
        };
        Assert.Empty(SpecValidator.Validate(spec));
    }

    [Fact]
    public void ProcWithoutPidNamespaceIsAllowed() =>
        Assert.Empty(SpecValidator.Validate(tmp.Spec() with { Namespaces = NamespaceSet.AllButTime with { Pid = false, User = false } }));

    [Fact]
    public void ThrowIfInvalidCarriesEveryError()
    {
        var spec = tmp.Spec() with { Command = [], Cwd = "x", Hostname = "a_b" };
        var ex = Assert.Throws<SpecValidationException>(() => SpecValidator.ThrowIfInvalid(spec));
        Assert.Equal(["hostname", "command", "cwd"], ex.Errors.Select(e => e.Field));
        Assert.Contains("cwd: ", ex.Message);
    }
}
