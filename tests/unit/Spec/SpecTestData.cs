using Playground.Engine.Spec;

namespace Playground.Tests.Spec;

/// <summary>A throwaway rootfs and host directory for validator and renderer tests.</summary>
public sealed class TempRootfs : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("pg-spec-").FullName;
    public string Rootfs => Path.Join(Dir, "rootfs");
    public string HostData => Path.Join(Dir, "data");

    public TempRootfs()
    {
        Directory.CreateDirectory(Path.Join(Rootfs, "proc"));
        Directory.CreateDirectory(Path.Join(Rootfs, "etc"));
        Directory.CreateDirectory(HostData);
    }

    public SandboxSpec Spec(params string[] command) => SandboxSpec.Default(Rootfs, command.Length > 0 ? command : ["/bin/sh"]);

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
