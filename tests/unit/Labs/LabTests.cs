using System.Net;
using System.Net.Sockets;
using System.Text;
using Playground.Engine.Labs;
using Playground.Engine.Launch;
using Playground.Tests.Support;

namespace Playground.Tests.Labs;

/// <summary>Labs of the tests' own (their own data directory, cgroup parent and id ranges).</summary>
public sealed class LabFixture : IDisposable
{
    public string Data { get; } = Directory.CreateTempSubdirectory("playground-labs-").FullName;
    public LabManager Labs { get; }

    public LabFixture()
    {
        File.SetUnixFileMode(Data, (UnixFileMode)0x1ed);
        Labs = new LabManager(new LabOptions
        {
            DataDirectory = Data, CgroupParent = "playground-labs-tests", FirstId = 100000 + 65536 * 300,
            MemoryBytes = 256L << 20, PidsMax = 200, WorkspaceBytes = 32L << 20, TmpBytes = 16L << 20, OpenFiles = 1024,
        });
    }

    /// <summary>
    /// A busybox root made inside the lab at /srv/toy, as its root would (owned by the lab's ids;
    /// /srv, unlike /root, is searchable by an inner root mapped to another lab uid). Its lab path.
    /// </summary>
    public string BusyboxRoot(Lab lab)
    {
        var toy = Path.Combine(Data, "labs", lab.Name, "root", "srv", "toy");
        Playground.Engine.Rootfs.BusyboxRootfs.Create(toy);
        HostCommand.Run("chown", "-R", $"{lab.FirstId}:{lab.FirstId}", toy);
        return "/srv/toy";
    }

    /// <summary>Runs a shell command in the lab on pipes; exit code, stdout and stderr.</summary>
    public (int Code, string Out, string Err) Sh(string lab, string script, int timeoutSeconds = 60)
    {
        using var s = Labs.Exec(lab, ["/bin/bash", "-c", script], terminal: false);
        s.CloseInput();
        var output = Task.Run(() => new StreamReader(s.Output).ReadToEnd());
        var error = Task.Run(() => new StreamReader(s.Error!).ReadToEnd());
        if (!s.Completion.Wait(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            s.Kill();
            throw new TimeoutException($"`{script}` in lab {lab} did not end in {timeoutSeconds} s");
        }
        return (s.Completion.Result.ShellCode, output.Result, error.Result);
    }

    public void Dispose()
    {
        foreach (var lab in Labs.List()) Labs.End(lab.Name);
        Labs.Dispose();
        try { Directory.Delete(Data, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition("labs", DisableParallelization = true)]
public sealed class LabCollection : ICollectionFixture<LabFixture>;

[Collection("labs")]
public sealed class LabTests(LabFixture f)
{
    LabManager Labs => f.Labs;

    [Fact]
    public void A_lab_is_made_once_outlives_its_maker_and_its_root_is_root_of_its_own()
    {
        var lab = Labs.Create("first");
        Assert.Equal(lab.InitPid, Labs.Create("first").InitPid); // idempotent
        // Another manager (another process, the web app) sees the same lab through the data directory.
        using (var other = new LabManager(Labs.Options)) Assert.Equal(lab.InitPid, other.Find("first")!.InitPid);
        var (code, output, _) = f.Sh("first", "id -u; hostname; cat /proc/1/comm; readlink /proc/self/ns/user; gcc --version | head -1");
        Assert.Equal(0, code);
        var lines = output.Split('\n');
        Assert.Equal("0", lines[0]);
        Assert.Equal("first", lines[1]);
        Assert.Equal("reaper", lines[2]);
        Assert.NotEqual(File.ResolveLinkTarget("/proc/self/ns/user", false)?.ToString(), lines[3]);
        Assert.StartsWith("gcc", lines[4]);
        Assert.Contains(Labs.List(), l => l.Name == "first");
        Assert.True(Labs.End("first"));
    }

    [Fact]
    public void Ending_a_lab_leaves_no_process_mount_cgroup_or_file()
    {
        var lab = Labs.Create("ender");
        f.Sh("ender", "sleep 1000 > /dev/null 2>&1 & sleep 1000 > /dev/null 2>&1 & setsid sleep 1000 < /dev/null > /dev/null 2>&1 & echo started");
        var root = Path.Combine(f.Data, "labs", "ender", "root");
        Assert.Contains(root, File.ReadAllText("/proc/self/mountinfo"));
        Assert.True(Labs.End("ender"));
        Assert.False(Directory.Exists(Path.Combine(f.Data, "labs", "ender")));
        Assert.DoesNotContain(root, File.ReadAllText("/proc/self/mountinfo"));
        Assert.False(File.Exists($"/proc/{lab.InitPid}/stat") && File.ReadAllText($"/proc/{lab.InitPid}/comm").Trim() == "reaper");
        Assert.DoesNotContain(Directory.GetDirectories("/sys/fs/cgroup", lab.CgroupId, SearchOption.AllDirectories), d => true);
        Assert.Null(Labs.Find("ender"));
        Assert.False(Labs.End("ender"));
    }

    [Fact]
    public void The_servers_usr_is_read_only_and_the_workspace_and_tmp_are_bounded()
    {
        Labs.Create("space");
        var (code, output, _) = f.Sh("space",
            "touch /usr/x 2>&1 | grep -c 'Read-only'; " +
            "dd if=/dev/zero of=/root/fill bs=1M count=100 2>&1 | grep -c 'No space left'; " +
            "dd if=/dev/zero of=/tmp/fill bs=1M count=100 2>&1 | grep -c 'No space left'; " +
            "ulimit -n; " +
            "for i in $(seq 1 2000); do exec {fd}</dev/null || { echo refused-at-$i; break; }; done 2>/dev/null");
        Assert.Equal(0, code);
        var lines = output.Trim().Split('\n');
        Assert.Equal(["1", "1", "1", "1024"], lines[..4]);
        Assert.StartsWith("refused-at-", lines[4]); // RLIMIT_NOFILE, not the server's file table
        Labs.End("space");
    }

    [Fact]
    public void A_fork_bomb_and_a_memory_hog_stay_inside_their_lab_and_the_lab_still_ends_cleanly()
    {
        Labs.Create("bomber");
        Labs.Create("neighbour");
        f.Sh("neighbour", "sleep 1000 > /dev/null 2>&1 & echo ok");
        using (var bomb = Labs.Exec("bomber", ["/bin/bash", "-c", "b() { b | b & }; b"], terminal: false))
        {
            Thread.Sleep(3000);
            var procs = Directory.GetDirectories("/sys/fs/cgroup/pids", Labs.Find("bomber")!.CgroupId, SearchOption.AllDirectories)
                .Select(d => int.Parse(File.ReadAllText(Path.Combine(d, "pids.current")))).DefaultIfEmpty(0).Max();
            Assert.InRange(procs, 1, 200);
            // The neighbour and this machine still answer.
            Assert.Equal("alive\n", f.Sh("neighbour", "echo alive").Out);
        }
        Assert.True(Labs.End("bomber"));

        Labs.Create("hog");
        var (code, _, _) = f.Sh("hog", "head -c 1G /dev/zero | tail > /dev/null; echo $?");
        Assert.Equal("alive\n", f.Sh("neighbour", "echo alive").Out);
        Assert.Equal("still here\n", f.Sh("hog", "echo still here").Out);
        Assert.True(Labs.End("hog"));
        Assert.True(Labs.End("neighbour"));
    }

    [Fact]
    public void Kill_minus_one_chroot_tricks_devices_sysrq_proc_sys_and_cgroup_mounts_get_nowhere()
    {
        Labs.Create("breaker");
        var before = File.ReadAllText("/proc/sys/kernel/hostname");
        var (code, output, _) = f.Sh("breaker",
            """
            kill -9 -1 2>/dev/null; echo "kill: $(cat /proc/1/comm)"
            mkdir -p /root/jail && cd /root && chroot /root/jail /bin/true 2>/dev/null; echo "chroot-into-empty: $?"
            mkdir -p /root/j/bin && cp -a /usr/bin/true /root/j/bin/ 2>/dev/null
            # The classic escape: chroot deeper, then climb with .. past it: it ends at the lab's root, not the server's.
            cd / && perl -e 'mkdir "/root/e"; chroot "/root/e"; chdir "../../../../.." for 1..10; chroot "."; opendir(D, "/") or die; print join(",", sort grep { !/^\./ } readdir D), "\n"' 2>/dev/null || echo "perl-missing"
            mknod /root/sda b 8 0 2>/dev/null; echo "mknod: $?"
            mkdir -p /mnt/x; mount /dev/sda /mnt/x 2>/dev/null; echo "mount-disk: $?"
            echo b > /proc/sysrq-trigger 2>/dev/null; echo "sysrq: $?"
            echo 1 > /proc/sys/vm/drop_caches 2>/dev/null; echo "proc-sys: $?"
            # CVE-2022-0492: a v1 hierarchy mounted in the lab, then its release_agent pointed at a
            # program of ours, for the host to run as root. The mount may work; the write must not.
            mkdir -p /mnt/cg; mount -t cgroup -o memory cgroup /mnt/cg 2>/dev/null
            echo /root/evil > /mnt/cg/release_agent 2>/dev/null; echo "release_agent: $?"
            hostname pwned; echo "hostname: $(hostname)"
            date -s '2001-01-01' >/dev/null 2>&1; echo "date: $?"
            """);
        Assert.Equal(0, code);
        Assert.Contains("kill: reaper", output);
        Assert.Contains("mknod: 1", output);
        Assert.Contains("mount-disk: 32", output);
        Assert.Contains("sysrq: 1", output);
        Assert.Contains("proc-sys: 1", output);
        Assert.DoesNotContain("release_agent: 0", output);
        foreach (var agent in Directory.GetFiles("/sys/fs/cgroup", "release_agent", SearchOption.AllDirectories).Take(20))
            Assert.DoesNotContain("/root/evil", File.ReadAllText(agent));
        Assert.Contains("hostname: pwned", output); // its own UTS namespace…
        Assert.Equal(before, File.ReadAllText("/proc/sys/kernel/hostname")); // …not the server's
        Assert.Contains("date: 1", output);
        Assert.True(DateTime.UtcNow.Year >= 2026); // the server's clock was not set back
        // The escape, where perl exists, lists the lab's root (it has .playground's siblings, not the server's /work).
        var escapeLine = output.Split('\n').FirstOrDefault(l => l.Contains("bin,") || l == "perl-missing");
        Assert.NotNull(escapeLine);
        if (escapeLine != "perl-missing") Assert.DoesNotContain("work", escapeLine!.Split(','));
        Assert.True(Labs.End("breaker"));
    }

    [Fact]
    public void Refused_kernel_surface_fails_with_EPERM_and_the_workshops_calls_work()
    {
        Labs.Create("calls");
        var (code, output, err) = f.Sh("calls",
            """
            cat > /root/probe.c <<'C'
            #include <errno.h>
            #include <stdio.h>
            #include <unistd.h>
            #include <sys/syscall.h>
            int main(void) {
                long calls[][2] = { {SYS_bpf, 0}, {SYS_keyctl, 0}, {SYS_add_key, 0}, {SYS_perf_event_open, 0}, {SYS_userfaultfd, 0},
                                    {SYS_io_uring_setup, 0}, {SYS_init_module, 0}, {SYS_finit_module, 0}, {SYS_kexec_load, 0},
                                    {SYS_open_by_handle_at, 0}, {SYS_clock_settime, 0}, {SYS_swapon, 0}, {SYS_acct, 0} };
                for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) {
                    errno = 0;
                    long r = syscall(calls[i][0], 0, 0, 0, 0, 0);
                    printf("%ld:%s ", calls[i][0], r == -1 && errno == EPERM ? "EPERM" : "other");
                }
                printf("\n");
                return 0;
            }
            C
            gcc -o /root/probe /root/probe.c && /root/probe
            unshare -n ip -o link | cut -d: -f2 | tr -d ' \n'; echo
            unshare -m sh -c 'mount -t tmpfs none /mnt && echo mounted'
            unshare -pf --mount-proc sh -c 'echo "fresh-proc $(ls /proc | grep -c "^[0-9]")"'
            strace -f -o /dev/null /bin/true && echo traced
            """);
        Assert.True(code == 0, err);
        var first = output.Split('\n')[0].Trim().Split(' ');
        Assert.All(first, p => Assert.EndsWith(":EPERM", p));
        Assert.Contains("\nlo\n", output);
        Assert.Contains("mounted", output);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(output, @"fresh-proc [1-6]\n"), output); // the workshop's own pid namespace with its /proc
        Assert.Contains("traced", output);
        Assert.True(Labs.End("calls"));
    }

    [Fact]
    public void A_labs_network_is_its_own_it_reaches_neither_the_server_nor_another_lab()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var port = ((IPEndPoint)server.LocalEndpoint).Port;
        Labs.Create("net-a");
        Labs.Create("net-b");
        f.Sh("net-b", "(busybox nc -l -p 7777 -e /bin/echo hello-from-b > /dev/null 2>&1 &) ; echo listening");
        var (code, output, _) = f.Sh("net-a",
            $"ip -o link | cut -d: -f2 | tr -d ' ' | tr '\\n' ','; echo; " +
            $"timeout 3 bash -c 'echo > /dev/tcp/127.0.0.1/{port}' 2>/dev/null; echo \"server: $?\"; " +
            "timeout 3 bash -c 'cat < /dev/tcp/127.0.0.1/7777' 2>/dev/null; echo \"other-lab: $?\"");
        Assert.Equal("lo,", output.Split('\n')[0]);
        Assert.DoesNotContain("server: 0", output);
        Assert.DoesNotContain("hello-from-b", output);
        Assert.False(server.Pending());
        Assert.True(Labs.End("net-a"));
        Assert.True(Labs.End("net-b"));
    }

    [Fact]
    public void A_lab_sees_neither_the_servers_processes_nor_another_labs_files()
    {
        Labs.Create("reader");
        Labs.Create("victim");
        f.Sh("victim", "echo top-secret > /root/secret");
        var victimRoot = Path.Combine(f.Data, "labs", "victim", "root");
        var (_, output, _) = f.Sh("reader",
            $"ls /proc | grep -c '^[0-9]'; cat {victimRoot}/root/secret 2>&1 | head -1; kill -0 {Environment.ProcessId} 2>&1 | head -1; " +
            $"grep -c 'labs/victim' /proc/self/mountinfo");
        var lines = output.Split('\n');
        Assert.InRange(int.Parse(lines[0]), 1, 10);
        Assert.DoesNotContain("top-secret", output);
        Assert.Contains("No such file", lines[1]);
        Assert.Contains("No such process", lines[2]);
        Assert.Equal("0", lines[3]);
        Assert.True(Labs.End("reader"));
        Assert.True(Labs.End("victim"));
    }

    [Fact]
    public void A_sandbox_runs_inside_a_lab_with_the_labs_paths_ids_and_limits()
    {
        var lab = Labs.Create("nest");
        var spec = Playground.Engine.Spec.SandboxSpec.Default(f.BusyboxRoot(lab), "/bin/sh", "-c",
            "id -u; hostname; cat /proc/self/uid_map | tr -s ' '; cat /proc/self/cgroup | grep -c pids") with
        {
            Hostname = "inner",
            UidMap = [new(0, 1000, 64000)], GidMap = [new(0, 1000, 64000)], // the lab's ids, as /etc/subuid in the lab says
        };
        using (var inner = Labs.Run("nest", spec))
        {
            inner.CloseInput();
            var output = new StreamReader(inner.Output).ReadToEnd();
            Assert.True(inner.Completion.Wait(TimeSpan.FromSeconds(30)));
            var lines = output.Split('\n');
            Assert.Equal("0", lines[0]);
            Assert.Equal("inner", lines[1]);
            Assert.Equal(" 0 1000 64000", lines[2]); // seen from inside: lab ids, not the host's
            Assert.Equal(0, inner.Completion.Result.Code);
            // Its cgroup is a child of the lab's: the lab's limits bound it.
            Assert.StartsWith(lab.CgroupId + "/", inner.Cgroup.Id);
        }
        // The lab sees the sandbox's process tree in its own pid namespace while it runs.
        using (var sleeper = Labs.Run("nest", spec with { Command = ["/bin/sleep", "30"] }))
        {
            var (_, ps, _) = f.Sh("nest", "ps -e -o comm= | grep -c '^sleep$'");
            Assert.Equal("1\n", ps);
            sleeper.Kill();
        }
        Assert.Equal("alive\n", f.Sh("nest", "echo alive").Out); // ending the sandbox did not end the lab
        Assert.True(Labs.End("nest"));
    }

    [Fact]
    public void A_sandbox_in_a_lab_keeps_the_labs_seccomp_filter_even_when_its_own_spec_asks_for_none()
    {
        var lab = Labs.Create("filtered");
        var toy = f.BusyboxRoot(lab);
        // adjtimex (reading the clock's state) works for anyone without a filter (the host runs
        // busybox adjtimex fine); the lab refuses it with EPERM. The sandbox asks for no filter.
        var spec = Playground.Engine.Spec.SandboxSpec.Default(toy, "/bin/sh", "-c",
            "grep -E '^(Seccomp_filters|NoNewPrivs):' /proc/self/status | tr -d ' \\t'; adjtimex > /dev/null 2>&1; echo adjtimex=$?") with
        {
            UidMap = [new(0, 1000, 64000)], GidMap = [new(0, 1000, 64000)],
            Seccomp = new Playground.Engine.Spec.SeccompSpec { Preset = Playground.Engine.Spec.SeccompPresets.Unconfined },
            NoNewPrivs = false,
        };
        using var inner = Labs.Run("filtered", spec);
        inner.CloseInput();
        var output = new StreamReader(inner.Output).ReadToEnd();
        Assert.True(inner.Completion.Wait(TimeSpan.FromSeconds(30)));
        Assert.Contains("NoNewPrivs:1", output); // the lab has it: so do sandboxes in it
        Assert.Contains("Seccomp_filters:1", output); // the lab's, though its own spec asked for none
        Assert.Contains("adjtimex=1", output);
        HostCommand.Run("busybox", "adjtimex"); // the same call without the lab's filter works (throws if not)
        // With a filter of its own, both apply.
        using var both = Labs.Run("filtered", spec with { Seccomp = new Playground.Engine.Spec.SeccompSpec() });
        both.CloseInput();
        Assert.Contains("Seccomp_filters:2", new StreamReader(both.Output).ReadToEnd());
        // The lab's own root as a sandbox's is refused with the launch's reason, not a crash.
        var whole = Record.Exception(() => Labs.Run("filtered", spec with { Rootfs = "/" }).Dispose());
        Assert.True(whole is Playground.Engine.SandboxException or Playground.Engine.SpecValidationException, whole?.ToString());
        Assert.True(Labs.End("filtered"));
    }

    [Fact]
    public void Bad_names_are_refused_naming_the_field()
    {
        foreach (var bad in new[] { "", "../x", "A", "-a", new string('a', 33) })
            Assert.StartsWith("name:", Assert.Throws<ArgumentException>(() => Labs.Create(bad)).Message);
        Assert.StartsWith("name:", Assert.Throws<ArgumentException>(() => Labs.Exec("nope", ["/bin/true"], false)).Message);
    }
}
