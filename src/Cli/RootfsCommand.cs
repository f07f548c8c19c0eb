using System.CommandLine;
using Playground.Engine.Rootfs;

namespace Playground.Cli;

/// <summary><c>playground rootfs …</c>: build root filesystems (more sources come with the rootfs builder).</summary>
internal static class RootfsCommand
{
    public static Command Create()
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
        return new Command("rootfs", "Build root filesystems.") { busybox };
    }
}
