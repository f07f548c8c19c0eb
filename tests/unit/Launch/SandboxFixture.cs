using Playground.Engine.Launch;
using Playground.Engine.Rootfs;
using Playground.Engine.Spec;

namespace Playground.Tests.Launch;

/// <summary>A busybox rootfs (Debian's busybox-static) and an engine, shared by the launch tests.</summary>
public sealed class SandboxFixture : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("playground-tests-").FullName;
    public string Rootfs => Path.Combine(Dir, "rootfs");
    // A cgroup parent of the tests own: a playground running on the same machine uses "playground".
    public SandboxEngine Engine { get; } = new(new EngineOptions { CgroupParent = "playground-tests" });

    public SandboxFixture()
    {
        // The sandbox's root is uid 100000 on the host: it must be able to reach the rootfs
        // (CreateTempSubdirectory makes the directory 0700).
        File.SetUnixFileMode(Dir, (UnixFileMode)0x1ed);
        BusyboxRootfs.Create(Rootfs);
    }

    public SandboxSpec Spec(params string[] command) => SandboxSpec.Default(Rootfs, command);

    /// <summary>Runs to completion on pipes; returns exit status, stdout and stderr.</summary>
    public sealed record RunResult(ExitStatus Exit, string Out, string Err, LaunchStory Story);

    public static RunResult Run(SandboxEngine engine, SandboxSpec spec)
    {
        using var s = engine.Launch(spec);
        s.CloseInput();
        var output = Task.Run(() => new StreamReader(s.Output).ReadToEnd());
        var error = Task.Run(() => new StreamReader(s.Error!).ReadToEnd());
        if (!s.Completion.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException($"{string.Join(' ', spec.Command)} did not end");
        return new RunResult(s.Completion.Result, output.Result, error.Result, s.Story);
    }

    public RunResult Run(SandboxSpec spec) => Run(Engine, spec);

    public void Dispose()
    {
        Engine.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition("sandbox")]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>;

/// <summary>Tests that need the machine to themselves (process counts, the host mount table): run alone.</summary>
[CollectionDefinition("leaks", DisableParallelization = true)]
public sealed class LeakCollection : ICollectionFixture<SandboxFixture>;
