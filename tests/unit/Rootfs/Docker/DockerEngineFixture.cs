using System.Diagnostics;
using Docker.DotNet;
using Playground.Engine.Rootfs;

namespace Playground.Tests.Rootfs.Docker;

/// <summary>
/// A Docker engine of the tests' own: Debian's dockerd (apt-get install docker.io) with the vfs
/// storage driver (works on any filesystem, in containers too), no networking, its data and
/// socket in a temporary directory, stopped and removed at the end. Images are made with
/// <c>docker import</c> from tarballs the tests build: no registry is ever asked.
/// </summary>
public sealed class DockerEngineFixture : IAsyncLifetime
{
    readonly string _dir = Directory.CreateTempSubdirectory("playground-dockerd-").FullName;
    Process? _dockerd;

    public string Host => $"unix://{Path.Combine(_dir, "docker.sock")}";

    public async Task InitializeAsync()
    {
        var dockerd = new[] { "/usr/sbin/dockerd", "/usr/bin/dockerd" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("no dockerd: apt-get install -y docker.io (scripts/test.sh installs it)");
        var start = new ProcessStartInfo(dockerd)
        {
            ArgumentList =
            {
                "--storage-driver", "vfs", "--data-root", Path.Combine(_dir, "data"), "--exec-root", Path.Combine(_dir, "exec"),
                "--pidfile", Path.Combine(_dir, "dockerd.pid"), "-H", Host, "--iptables=false", "--ip6tables=false", "--bridge=none",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _dockerd = Process.Start(start)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _dockerd.ErrorDataReceived += (_, e) => { if (e.Data is { } l) log.Enqueue(l); };
        _dockerd.OutputDataReceived += (_, e) => { if (e.Data is { } l) log.Enqueue(l); };
        _dockerd.BeginErrorReadLine();
        _dockerd.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var client = await DockerImage.ConnectAsync(Host);
                await client.System.PingAsync();
                return;
            }
            catch (DockerUnavailableException) when (DateTime.UtcNow < deadline && !_dockerd.HasExited)
            {
                await Task.Delay(200);
            }
            catch (DockerUnavailableException e)
            {
                throw new InvalidOperationException($"dockerd did not come up: {e.Message}\n{string.Join('\n', log.TakeLast(30))}");
            }
        }
    }

    public DockerClient Client() => DockerImage.ConnectAsync(Host).GetAwaiter().GetResult();

    public async Task DisposeAsync()
    {
        if (_dockerd is { HasExited: false })
        {
            // SIGTERM: dockerd stops the containerd it started; SIGKILL only if it does not end.
            Playground.Engine.Interop.Libc.kill(_dockerd.Id, 15);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await _dockerd.WaitForExitAsync(wait.Token); }
            catch (OperationCanceledException) { _dockerd.Kill(entireProcessTree: true); await _dockerd.WaitForExitAsync(); }
        }
        // containerd children of this dockerd end with it; whatever vfs left is plain directories.
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition("docker")]
public sealed class DockerCollection : ICollectionFixture<DockerEngineFixture>;
