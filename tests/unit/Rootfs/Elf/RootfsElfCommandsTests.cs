using System.CommandLine;
using Playground.Cli;

namespace Playground.Tests.Rootfs.Elf;

/// <summary>
/// <c>rootfs add | doctor | compile</c> parsed and invoked in-process (they are wired into
/// <c>playground rootfs</c> elsewhere): exit 0 done, 1 still missing or gcc failed, 2 bad input.
/// </summary>
public sealed class RootfsElfCommandsTests : IDisposable
{
    readonly string dir = HostTools.TempDir("pg-rootfs-cli-");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    sealed record Result(int Exit, string Out, string Err);

    static Result Rootfs(params string[] args)
    {
        var root = new RootCommand();
        foreach (var c in RootfsElfCommands.Create()) root.Subcommands.Add(c);
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return new Result(exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Add_then_doctor_is_0_broken_is_1_and_fix_makes_it_0()
    {
        var root = Path.Combine(dir, "root");
        var add = Rootfs("add", root, "/bin/bash");
        Assert.True(add.Exit == 0, add.Err);
        Assert.StartsWith("/bin/bash\n  /lib64/ld-linux-x86-64.so.2 (interpreter)\n", add.Out);
        Assert.Equal(0, Rootfs("doctor", root).Exit);

        File.Delete(Path.Combine(root, "usr/lib/x86_64-linux-gnu/libtinfo.so.6"));
        var doctor = Rootfs("doctor", root);
        Assert.Equal(1, doctor.Exit);
        Assert.Contains("/usr/bin/bash: missing libtinfo.so.6", doctor.Out);

        var fix = Rootfs("doctor", root, "--fix");
        Assert.True(fix.Exit == 0, fix.Out + fix.Err);
        Assert.Contains("copied /usr/lib/x86_64-linux-gnu/libtinfo.so.6", fix.Out);
        Assert.Equal(0, Rootfs("doctor", root).Exit);
    }

    [Fact]
    public void Compile_prints_the_file_line_or_gccs_diagnostics()
    {
        var root = Path.Combine(dir, "root");
        Directory.CreateDirectory(root);
        var hello = Path.Combine(dir, "hello.c");
        File.WriteAllText(hello, HostTools.HelloC);

        var ok = Rootfs("compile", root, hello, "--static", "--output", "/bin/hello");
        Assert.True(ok.Exit == 0, ok.Err);
        Assert.StartsWith("/bin/hello: ELF 64-bit LSB executable, x86-64, statically linked", ok.Out);
        Assert.Equal(0, Rootfs("doctor", root).Exit);

        Assert.Equal(0, Rootfs("compile", root, hello).Exit);
        Assert.Equal(1, Rootfs("doctor", root).Exit); // /hello lacks its interpreter and libc

        var bad = Path.Combine(dir, "bad.c");
        File.WriteAllText(bad, "int main(void) { return nope; }\n");
        var failed = Rootfs("compile", root, bad);
        Assert.Equal(1, failed.Exit);
        Assert.Contains("nope", failed.Err);
    }

    [Theory]
    [InlineData("DIR is missing", "doctor")]
    [InlineData("DIR: /no/such/dir is not a directory", "doctor", "/no/such/dir")]
    [InlineData("DIR is missing", "add")]
    [InlineData("PROGRAM is missing", "add", "{dir}/root")]
    [InlineData("PROGRAM: /no/such/program does not exist", "add", "{dir}/root", "/no/such/program")]
    [InlineData("PROGRAM: /etc/passwd is not an ELF file", "add", "{dir}/root", "/etc/passwd")]
    [InlineData("PROGRAM: no-such-program-anywhere is not in any PATH directory", "add", "{dir}/root", "no-such-program-anywhere")]
    [InlineData("DIR: /no/such/dir is not a directory", "compile", "/no/such/dir", "/no/such.c")]
    [InlineData("SOURCE: /no/such.c does not exist", "compile", "{dir}", "/no/such.c")]
    [InlineData("SOURCE is missing", "compile", "{dir}")]
    [InlineData("--output: rel must be an absolute path", "compile", "{dir}", "/etc/hostname", "--output", "rel")]
    public void Bad_input_is_named_and_exits_2(string message, params string[] args)
    {
        var r = Rootfs([.. args.Select(a => a.Replace("{dir}", dir))]);

        Assert.Equal(2, r.Exit);
        Assert.Contains($"playground rootfs {args[0]}: {message}", r.Err);
        Assert.Empty(r.Out);
    }
}
