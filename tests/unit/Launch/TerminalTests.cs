using System.Text;
using Playground.Engine.Launch;
using Playground.Engine.Spec;

namespace Playground.Tests.Launch;

/// <summary>A real PTY: job control, Ctrl-C, resize, tty's name; and exec into a running sandbox.</summary>
[Collection("sandbox")]
public sealed class TerminalTests(SandboxFixture f)
{
    /// <summary>Collects a session's output and waits for text to appear.</summary>
    sealed class Screen
    {
        readonly StringBuilder _text = new();
        public Screen(Stream output) => new Thread(() =>
        {
            var buf = new byte[4096];
            int n;
            try { while ((n = output.Read(buf)) > 0) lock (_text) _text.Append(Encoding.UTF8.GetString(buf, 0, n)); }
            catch (IOException) { }
        }) { IsBackground = true }.Start();

        public string Text { get { lock (_text) return _text.ToString(); } }

        public void WaitFor(string what, int afterIndex = 0)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline)
            {
                if (Text.IndexOf(what, afterIndex, StringComparison.Ordinal) >= 0) return;
                Thread.Sleep(10);
            }
            throw new TimeoutException($"'{what}' never appeared; screen:\n{Text}");
        }
    }

    static void Type(SandboxSession s, string text) { s.Input.Write(Encoding.UTF8.GetBytes(text)); }

    [Fact]
    public void Shell_gets_a_terminal_that_tty_can_name_and_resize_reaches_it()
    {
        using var s = f.Engine.Launch(f.Spec("/bin/sh") with { Terminal = true }, new TerminalSize(80, 24));
        var screen = new Screen(s.Output);
        Type(s, "tty; stty size\n");
        screen.WaitFor("/dev/pts/0");
        screen.WaitFor("24 80");
        s.Resize(new TerminalSize(100, 40));
        var mark = screen.Text.Length;
        Type(s, "stty size\n");
        screen.WaitFor("40 100", mark);
        Type(s, "exit 3\n");
        Assert.True(s.Completion.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(3, s.Completion.Result.Code);
    }

    [Fact]
    public void Ctrl_c_stops_a_command_run_directly_in_a_new_pid_namespace()
    {
        using var s = f.Engine.Launch(f.Spec("/bin/sleep", "100") with { Terminal = true });
        Thread.Sleep(200);
        Type(s, "\x03");
        Assert.True(s.Completion.Wait(TimeSpan.FromSeconds(10)), "Ctrl-C did not stop sleep");
        Assert.Equal(2, s.Completion.Result.Signal);
    }

    [Fact]
    public void Job_control_works_in_the_shell()
    {
        using var s = f.Engine.Launch(f.Spec("/bin/sh") with { Terminal = true });
        var screen = new Screen(s.Output);
        Type(s, "sleep 100 &\n");
        Type(s, "jobs\n");
        screen.WaitFor("Running");
        Type(s, "fg\n");
        Thread.Sleep(300);
        Type(s, "\x03");
        var mark = screen.Text.Length;
        Type(s, "echo back-$((40+2))\n");
        screen.WaitFor("back-42", mark);
        Type(s, "exit\n");
        Assert.True(s.Completion.Wait(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Chroot_only_sandbox_gets_the_engines_terminal()
    {
        var spec = f.Spec("/bin/sh", "-c", "stty size; echo ok") with
        {
            Terminal = true, Namespaces = NamespaceSet.None, Mounts = [], MinimalDev = false, MaskPaths = false,
        };
        using var s = f.Engine.Launch(spec, new TerminalSize(132, 50));
        var screen = new Screen(s.Output);
        screen.WaitFor("50 132");
        Assert.True(s.Completion.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, s.Completion.Result.Code);
    }

    [Fact]
    public void Exec_joins_a_running_chroot_sandbox()
    {
        var spec = f.Spec("/bin/sh") with
        {
            Terminal = true, Hostname = "shared", Namespaces = NamespaceSet.None with { Uts = true, Net = true, Ipc = true },
            Mounts = [], MinimalDev = false, MaskPaths = false,
        };
        using var first = f.Engine.Launch(spec);
        var firstScreen = new Screen(first.Output);
        Type(first, "readlink /proc/$$/ns/net; echo $$\n");
        using var second = first.Exec(["/bin/sh", "-c", "hostname; ls /; echo done; sleep 30"], terminal: true);
        var screen = new Screen(second.Output);
        screen.WaitFor("done");
        Assert.Contains("shared", screen.Text);
        Assert.Contains("bin", screen.Text);
        // the joined process carries the sandbox's policy, seen from the host
        var status = File.ReadAllText($"/proc/{second.InitPid}/status");
        Assert.Contains("Seccomp:\t2", status);
        Assert.Contains("NoNewPrivs:\t1", status);
        Assert.Contains("CapEff:\t00000000a80425fb", status);
        Assert.Equal(new FileInfo($"/proc/{first.InitPid}/ns/uts").LinkTarget, new FileInfo($"/proc/{second.InitPid}/ns/uts").LinkTarget);
        Assert.Equal(File.ReadAllText($"/proc/{first.InitPid}/cgroup"), File.ReadAllText($"/proc/{second.InitPid}/cgroup"));
        second.Kill();
        Assert.True(second.Completion.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(9, second.Completion.Result.Signal);
        Assert.False(first.Completion.IsCompleted);
    }

    [Fact]
    public void Exec_joins_a_sandbox_with_every_namespace_its_root_mounts_and_policy()
    {
        var spec = f.Spec("/bin/sh") with
        {
            Terminal = true, Hostname = "joined",
            Mounts = [.. f.Spec("/bin/sh").Mounts, new MountSpec { Type = MountType.Tmpfs, Destination = "/scratch" }],
        };
        using var first = f.Engine.Launch(spec);
        var firstScreen = new Screen(first.Output);
        // (the terminal echoes what is typed: wait for what only running it prints)
        Type(first, "echo from-the-first > /scratch/mark; echo $((6*7))-written\n");
        firstScreen.WaitFor("42-written");
        using var second = first.Exec(["/bin/sh", "-c", "hostname; cat /scratch/mark; tty; echo pid=$$; echo done; sleep 30"], terminal: true);
        Assert.Contains(second.Story, s => s.Step == "join mount namespace" && s.Ok);
        var screen = new Screen(second.Output);
        screen.WaitFor("done");
        Assert.Contains("joined", screen.Text);
        // the same tmpfs, so the same mount namespace and root (not the host's)
        Assert.True(screen.Text.Contains("from-the-first"), screen.Text);
        Assert.Matches(@"/dev/pts/\d+", screen.Text);
        Assert.DoesNotContain("pid=1\r", screen.Text);
        foreach (var ns in new[] { "mnt", "uts", "ipc", "net", "pid", "user", "cgroup" })
            Assert.Equal(new FileInfo($"/proc/{first.InitPid}/ns/{ns}").LinkTarget, new FileInfo($"/proc/{second.InitPid}/ns/{ns}").LinkTarget);
        Assert.Equal(new FileInfo($"/proc/{first.InitPid}/root").LinkTarget, new FileInfo($"/proc/{second.InitPid}/root").LinkTarget);
        var status = File.ReadAllText($"/proc/{second.InitPid}/status");
        Assert.Contains("Seccomp:\t2", status);
        Assert.Contains("NoNewPrivs:\t1", status);
        Assert.Contains("CapEff:\t00000000a80425fb", status);
        Assert.Equal(File.ReadAllText($"/proc/{first.InitPid}/cgroup"), File.ReadAllText($"/proc/{second.InitPid}/cgroup"));
        // only fds 0-2 reached it: the namespace fd and the channel stayed behind
        Assert.Equal(["0", "1", "2"], Directory.GetFileSystemEntries($"/proc/{second.InitPid}/fd").Select(Path.GetFileName).Order());
        second.Kill();
        Assert.True(second.Completion.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(9, second.Completion.Result.Signal);
        Assert.False(first.Completion.IsCompleted);
    }
}
