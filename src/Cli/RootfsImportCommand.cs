using System.CommandLine;
using Playground.Engine.Rootfs;

namespace Playground.Cli;

/// <summary>
/// <c>playground rootfs import DIR ARCHIVE</c>: unpack a tarball (docker export, a distro's
/// rootfs tarball) into DIR without letting it write anywhere else. Exit 0 when every entry was
/// written, 1 when some were refused (each named on stderr), 2 when the archive could not be read.
/// </summary>
internal static class RootfsImportCommand
{
    const string Me = "playground rootfs import";

    public static Command Create()
    {
        var dir = new Argument<string>("DIR") { Description = "Directory to unpack into; made if missing. Nothing is written outside it." };
        var archive = new Argument<string>("ARCHIVE") { Description = "A .tar, .tar.gz, .tar.xz or .tar.zst file (told apart by its first bytes), or - to read standard input." };
        var allowDevices = new Option<bool>("--allow-devices") { Description = "Also make device nodes and fifos (refused by default)." };
        var import = new Command("import",
            "Unpack a tarball into a directory as a root filesystem, keeping modes, owners, links and times as tar xpf does as root; " +
            "entries that would reach outside the directory (.. names, links out, paths through symlinks) are refused and named.")
        {
            dir, archive, allowDevices,
        };
        import.SetAction(r => Run(r.GetValue(dir)!, r.GetValue(archive)!, new ImportOptions { AllowDevices = r.GetValue(allowDevices) },
            r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
        return import;
    }

    static int Run(string dir, string archive, ImportOptions options, TextWriter stdout, TextWriter stderr)
    {
        ImportResult result;
        var root = Path.GetFullPath(dir);
        try
        {
            if (archive != "-" && !File.Exists(archive))
            {
                stderr.WriteLine($"{Me}: {archive}: no such file (give a tar, tar.gz, tar.xz or tar.zst file, or - for stdin)");
                return 2;
            }
            Directory.CreateDirectory(root);
            if (archive == "-")
            {
                using var stdin = Console.OpenStandardInput(1 << 16);
                result = TarImport.Extract(stdin, root, options);
            }
            else result = TarImport.ExtractFile(archive, root, options);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"{Me}: {(archive == "-" ? "stdin" : archive)}: {e.Message}");
            return 2;
        }

        foreach (var r in result.Refused) stderr.WriteLine($"{Me}: refused {r.Name}: {r.Reason}");
        stdout.WriteLine($"{root}: {result.Files} files, {result.Directories} directories, {result.Symlinks} symlinks, " +
                         $"{result.HardLinks} hard links, {result.Bytes} bytes ({result.Bytes / 1e6:F1} MB); {result.Refused.Count} refused");
        return result.Refused.Count > 0 ? 1 : 0;
    }
}
