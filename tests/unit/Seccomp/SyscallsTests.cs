using Playground.Engine.Seccomp;

namespace Playground.Tests.Seccomp;

public class SyscallsTests
{
    [Theory]
    [InlineData("mkdir", 83)]
    [InlineData("openat", 257)]
    [InlineData("clone3", 435)]
    public void Known_names_resolve_to_their_x86_64_numbers(string name, int number)
    {
        Assert.True(Syscalls.IsKnown(name));
        Assert.Equal(number, Syscalls.Number(name));
    }

    [Theory]
    [InlineData("no_such_syscall")]
    [InlineData("vm86")] // exists only on 32-bit x86: libseccomp knows it, but not as an x86_64 number
    public void Unknown_names_are_not_known(string name)
    {
        Assert.False(Syscalls.IsKnown(name));
        Assert.Null(Syscalls.Number(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("mkdir; rm -rf /")]
    [InlineData("MKDIR\n")]
    [InlineData("../mkdir")]
    public void Garbage_is_not_known(string name) => Assert.False(Syscalls.IsKnown(name));

    [Fact]
    public void Names_lists_every_x86_64_syscall_once_sorted()
    {
        var names = Syscalls.Names;
        Assert.InRange(names.Count, 300, 1024);
        Assert.Contains("mkdir", names);
        Assert.Contains("read", names);
        Assert.DoesNotContain("vm86", names);
        Assert.Equal(names.Distinct().Count(), names.Count);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.All(names, n => Assert.True(Syscalls.IsKnown(n), n));
    }
}
