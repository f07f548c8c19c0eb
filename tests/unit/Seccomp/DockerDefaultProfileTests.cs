using Playground.Engine.Interop;
using Playground.Engine.Seccomp;
using Playground.Engine.Spec;

namespace Playground.Tests.Seccomp;

public class DockerDefaultProfileTests
{
    [Fact]
    public void Every_entry_has_a_reason_and_appears_once()
    {
        var refused = DockerDefaultProfile.Refused;
        Assert.All(refused, r => Assert.False(string.IsNullOrWhiteSpace(r.Reason), r.Syscall));
        Assert.Equal(refused.Count, refused.Select(r => r.Syscall).Distinct().Count());
        Assert.Contains(refused, r => r.Syscall == "mount" && r.Action == SeccompAction.Eperm);
    }

    [Fact]
    public void Clone_is_refused_only_with_namespace_flags_and_clone3_gets_ENOSYS()
    {
        Assert.True(DockerDefaultProfile.Refused.Single(r => r.Syscall == "clone").OnlyWithNamespaceFlags);
        Assert.Equal(new SeccompAction(SeccompActionKind.Errno, Errno.ENOSYS),
            DockerDefaultProfile.Refused.Single(r => r.Syscall == "clone3").Action);
        Assert.Equal(0x7E020000UL, DockerDefaultProfile.CloneNamespaceFlags);
    }

    [Fact]
    public void Names_libseccomp_does_not_know_on_x86_64_are_skipped()
    {
        var here = DockerDefaultProfile.OnThisArchitecture.Select(r => r.Syscall).ToList();
        Assert.DoesNotContain("vm86", here);
        Assert.DoesNotContain("vm86old", here);
        Assert.Contains("open_by_handle_at", here);
        Assert.Contains("fsopen", here);
    }
}
