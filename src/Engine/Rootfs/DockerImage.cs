using Docker.DotNet;
using Docker.DotNet.Models;
using Version = System.Version;

namespace Playground.Engine.Rootfs;

/// <summary>No Docker engine answers at the address given (or the default one).</summary>
public sealed class DockerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A root filesystem from a Docker image, the workshop's way: create a container from the image
/// (it never runs), export its filesystem as a tar stream, and hand the stream to an extractor
/// (the safe importer, <c>TarImport</c>). <c>docker create; docker export | tar x</c>.
/// </summary>
public static class DockerImage
{
    /// <summary>Where a local Docker engine listens unless told otherwise (as the docker CLI).</summary>
    public const string DefaultHost = "unix:///var/run/docker.sock";

    // Docker Engine API 1.41 (Docker 20.10, Debian 12's docker.io) has every call used here; the
    // client asks for the engine's own version when it is older.
    static readonly Version Wanted = new(1, 41);

    /// <summary>
    /// Exports <paramref name="image"/> (e.g. "debian:bookworm", "busybox", an image id) from the
    /// engine at <paramref name="host"/> (unix:///path or tcp://host:port; null: $DOCKER_HOST or
    /// the default socket). When the image is not there and <paramref name="pull"/> is set, it is
    /// pulled first (the engine needs a registry for that). The temporary container is removed
    /// whatever happens.
    /// </summary>
    public static async Task<T> ExportAsync<T>(string image, Func<Stream, T> extract, string? host = null, bool pull = true,
        Action<string>? progress = null, CancellationToken cancel = default)
    {
        if (string.IsNullOrWhiteSpace(image)) throw new ArgumentException("image: give an image name (e.g. debian:bookworm) or id");
        using var client = await ConnectAsync(host, cancel);
        var imageId = await EnsureImageAsync(client, image, pull, progress, cancel);
        progress?.Invoke($"creating a container from {image} ({ShortId(imageId)}); it will not run");
        var container = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = imageId,
            // An image without a command cannot make a container; this one is never started.
            Cmd = ["/playground-export-never-runs"],
            Labels = new Dictionary<string, string> { ["playground.export"] = image },
        }, cancel);
        try
        {
            progress?.Invoke($"exporting container {ShortId(container.ID)}");
            await using var tar = await client.Containers.ExportContainerAsync(container.ID, cancel);
            // The engine's response stream reads only asynchronously, and only in whole copies
            // (Docker.DotNet's chunked stream fails some small reads); the extractor reads
            // synchronously, in any size. A pipe between them, filled by CopyToAsync.
            var pipe = new System.IO.Pipelines.Pipe(new System.IO.Pipelines.PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
            var fill = Task.Run(async () =>
            {
                try { await tar.CopyToAsync(pipe.Writer.AsStream(leaveOpen: true), 1 << 16, cancel); await pipe.Writer.CompleteAsync(); }
                catch (Exception e) { await pipe.Writer.CompleteAsync(e); }
            }, cancel);
            try
            {
                await using var reader = pipe.Reader.AsStream();
                return await Task.Run(() => extract(reader), cancel);
            }
            finally
            {
                await pipe.Reader.CompleteAsync(); // an extractor that stopped early stops the copy too
                try { await fill; } catch (Exception) { }
            }
        }
        finally
        {
            try { await client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None); }
            catch (Exception e) when (e is DockerApiException or HttpRequestException) { progress?.Invoke($"could not remove container {ShortId(container.ID)}: {e.Message}"); }
        }
    }

    /// <summary>
    /// A client for the engine at <paramref name="host"/>, speaking an API version the engine
    /// has; a clear <see cref="DockerUnavailableException"/> when nothing answers there.
    /// </summary>
    public static async Task<DockerClient> ConnectAsync(string? host, CancellationToken cancel = default)
    {
        host = string.IsNullOrWhiteSpace(host) ? Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } env ? env : DefaultHost : host;
        if (!Uri.TryCreate(host, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("unix" or "tcp" or "http"))
            throw new ArgumentException($"docker host: '{host}' is not accepted; give unix:///path/to/docker.sock or tcp://host:port");
        if (endpoint.Scheme == "unix" && !File.Exists(endpoint.LocalPath))
            throw new DockerUnavailableException($"no Docker engine at {host}: there is no socket at {endpoint.LocalPath}; {StartOne}");
        var probe = new DockerClientBuilder().WithEndpoint(endpoint).WithApiVersion(Wanted).WithTimeout(TimeSpan.FromMinutes(30)).Build();
        VersionResponse version;
        try
        {
            using var quick = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            quick.CancelAfter(TimeSpan.FromSeconds(10));
            version = await probe.System.GetVersionAsync(quick.Token);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException or TimeoutException
                                      or OperationCanceledException or DockerApiException && !cancel.IsCancellationRequested)
        {
            probe.Dispose();
            throw new DockerUnavailableException($"no Docker engine answers at {host} ({Innermost(e).Message}); {StartOne}", e);
        }
        if (Version.TryParse(version.APIVersion, out var theirs) && theirs < Wanted)
        {
            probe.Dispose();
            return new DockerClientBuilder().WithEndpoint(endpoint).WithApiVersion(theirs).WithTimeout(TimeSpan.FromMinutes(30)).Build();
        }
        return probe;
    }

    const string StartOne = "start one (Debian: apt-get install docker.io, then dockerd) or give the address of a running one " +
                            "(unix:///path/to/docker.sock or tcp://host:port)";

    static async Task<string> EnsureImageAsync(DockerClient client, string image, bool pull, Action<string>? progress, CancellationToken cancel)
    {
        try { return (await client.Images.InspectImageAsync(image, cancel)).ID; }
        catch (DockerImageNotFoundException) when (pull) { }
        catch (DockerImageNotFoundException)
        {
            throw new InvalidOperationException($"image: {image} is not on the Docker engine (and pulling was not asked for): docker pull or docker import it first");
        }
        progress?.Invoke($"{image} is not on the engine: pulling it");
        var (name, tag) = SplitTag(image);
        try
        {
            await client.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = name, Tag = tag }, null,
                new Progress<JSONMessage>(m => { if (m.Status is { Length: > 0 } s && m.Progress is null) progress?.Invoke(s); }), cancel);
            return (await client.Images.InspectImageAsync(image, cancel)).ID;
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException)
        {
            throw new InvalidOperationException($"image: {image} is not on the Docker engine and could not be pulled: {Reason(e)}", e);
        }
    }

    /// <summary>"name:tag" and "registry:5000/name:tag" → (name, tag); no tag means latest; digests stay in the name.</summary>
    internal static (string Name, string Tag) SplitTag(string image)
    {
        if (image.Contains('@')) return (image, "");
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon > slash ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
    }

    static string ShortId(string id) => (id.StartsWith("sha256:", StringComparison.Ordinal) ? id[7..] : id) is var s && s.Length > 12 ? s[..12] : id;

    /// <summary>The engine's own words ({"message": "..."}) when it gave some.</summary>
    static string Reason(Exception e)
    {
        if (e is DockerApiException { ResponseBody: { Length: > 0 } body })
        {
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(body);
                if (json.RootElement.TryGetProperty("message", out var m) && m.GetString() is { Length: > 0 } message) return message;
            }
            catch (System.Text.Json.JsonException) { }
            return body.Trim();
        }
        return Innermost(e).Message;
    }

    static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
