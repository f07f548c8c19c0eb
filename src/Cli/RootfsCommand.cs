using System.CommandLine;
using Playground.Engine.Rootfs;

namespace Playground.Cli;

/// <summary>
/// <c>playground rootfs …</c>: root filesystems from every source the workshop uses: busybox, a
/// compiled program, host programs with their libraries, a tarball, a Docker image; and the
/// Doctor that says why a program will not run in one.
/// </summary>
internal static class RootfsCommand
{
    public static Command Create()
    {
        var rootfs = new Command("rootfs", "Build and check root filesystems.") { Busybox(), RootfsImportCommand.Create(), FromImage(), Debian() };
        foreach (var c in RootfsElfCommands.Create()) rootfs.Subcommands.Add(c);
        return rootfs;
    }

    static Command Busybox()
    {
        var dir = new Argument<string>("DIR") { Description = "Directory to make into a root filesystem" };
        var busybox = new Command("busybox", "Debian's busybox-static with a link per applet, and the standard directories.") { dir };
        busybox.SetAction(r =>
        {
            var path = Path.GetFullPath(r.GetValue(dir)!);
            try { BusyboxRootfs.Create(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
            {
                Console.Error.WriteLine($"playground rootfs busybox: {e.Message}");
                return 1;
            }
            Console.WriteLine(path);
            return 0;
        });
        return busybox;
    }

    static Command FromImage()
    {
        var image = new Argument<string>("IMAGE") { Description = "A Docker image on the engine (name[:tag] or id); pulled when missing and the engine can reach a registry" };
        var dir = new Argument<string>("DIR") { Description = "Directory to extract the image's filesystem into" };
        var host = new Option<string?>("--docker-host") { Description = $"The Docker engine: unix:///path/to/docker.sock or tcp://host:port (default: $DOCKER_HOST, else {DockerImage.DefaultHost})" };
        var noPull = new Option<bool>("--no-pull") { Description = "Do not pull the image when the engine does not have it" };
        var command = new Command("from-image", "A root filesystem from a Docker image: create a container (never started), export it, extract it safely (docker create; docker export | tar x).")
        {
            image, dir, host, noPull,
        };
        command.SetAction(r =>
        {
            var target = Path.GetFullPath(r.GetValue(dir)!);
            var made = !Directory.Exists(target);
            try
            {
                Directory.CreateDirectory(target);
                var result = DockerImage.ExportAsync(r.GetValue(image)!, s => TarImport.Extract(s, target, new ImportOptions()),
                    r.GetValue(host), pull: !r.GetValue(noPull), progress: m => Console.Error.WriteLine($"playground rootfs from-image: {m}"))
                    .GetAwaiter().GetResult();
                return Report("from-image", target, result);
            }
            catch (Exception e) when (e is DockerUnavailableException or ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                Console.Error.WriteLine($"playground rootfs from-image: {e.Message}");
                if (made) try { Directory.Delete(target, recursive: true); } catch (IOException) { } // nothing half made
                return 2;
            }
        });
        return command;
    }

    static Command Debian()
    {
        var dir = new Argument<string>("DIR") { Description = "Directory to make into a Debian root (must not exist, or be empty)" };
        var suite = new Option<string>("--suite") { Description = "Debian suite", DefaultValueFactory = _ => DebianRootfs.DefaultSuite };
        var mirror = new Option<string>("--mirror") { Description = "Debian mirror", DefaultValueFactory = _ => DebianRootfs.DefaultMirror };
        var cache = new Option<string>("--cache") { Description = "Where the built base is kept for the next roots", DefaultValueFactory = _ => "/var/cache/playground" };
        var command = new Command("debian", "Debian's minimal base (debootstrap --variant=minbase), built once per suite into a cache, copied from there.")
        {
            dir, suite, mirror, cache,
        };
        command.SetAction(r =>
        {
            var target = Path.GetFullPath(r.GetValue(dir)!);
            try
            {
                DebianRootfs.Create(target, r.GetValue(cache)!, r.GetValue(suite)!, r.GetValue(mirror)!,
                    m => Console.Error.WriteLine($"playground rootfs debian: {m}"));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
            {
                Console.Error.WriteLine($"playground rootfs debian: {e.Message}");
                return e is ArgumentException ? 2 : 1;
            }
            Console.WriteLine(target);
            return 0;
        });
        return command;
    }

    /// <summary>A summary on stdout, each refused entry on stderr; 1 when any entry was refused.</summary>
    internal static int Report(string verb, string dir, ImportResult result)
    {
        foreach (var refused in result.Refused) Console.Error.WriteLine($"playground rootfs {verb}: refused {refused.Name}: {refused.Reason}");
        Console.WriteLine($"{dir}: {result.Files} files, {result.Directories} directories, {result.Symlinks} symlinks, {result.HardLinks} hard links, " +
                          $"{result.Bytes / 1e6:0.0} MB{(result.Refused.Count > 0 ? $", {result.Refused.Count} entries refused" : "")}");
        return result.Refused.Count > 0 ? 1 : 0;
    }
}
