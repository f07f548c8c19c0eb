using Playground.Engine.Labs;
using Playground.Engine.Lessons;

namespace Playground.Tests.Lessons;

/// <summary>The runner against real labs: snippets typed as a person types them, checks that fail before and pass after.</summary>
[Collection("labs")]
public sealed class LessonRunnerTests : IDisposable
{
    readonly string _data = Directory.CreateTempSubdirectory("pg-lesson-runner-").FullName;
    readonly LabManager _labs;

    public LessonRunnerTests()
    {
        File.SetUnixFileMode(_data, (UnixFileMode)0x1ed);
        _labs = new LabManager(new LabOptions { DataDirectory = _data, CgroupParent = "playground-labs-lessontests", FirstId = 100000 + 65536 * 500 });
    }

    static Lesson Parse(string body) => LessonParser.Parse("lessons/99-test.md", "99-test", "---\ntitle: t\nsummary: s\n---\n\n" + body);

    async Task<(bool Passed, string Log)> RunAsync(Lesson lesson)
    {
        var lab = _labs.Create("runner-" + Guid.NewGuid().ToString("n")[..8]);
        try
        {
            var log = new StringWriter();
            return (await LessonRunner.RunAsync(lesson, _labs, lab.Name, log), log.ToString());
        }
        finally { _labs.End(lab.Name); }
    }

    [Fact]
    public async Task History_expansion_here_documents_and_a_key_that_stops_a_foreground_job_work_as_typed()
    {
        var (passed, log) = await RunAsync(Parse("""
            ## Files with history

            ```run
            cat <<'!' >one.txt
            from a here document
            !
            cp one.txt two.txt
            cat !$ > three.txt
            ```

            ```check "three.txt should hold the here document."
            grep -qx 'from a here document' three.txt
            ```

            ## A job stopped with Ctrl-C

            ```run
            sleep 1000 &
            echo $! > sleep.pid
            fg
            ```

            ```run
            <Ctrl-C>
            ```

            ```check "The sleep should be gone."
            test -s sleep.pid && ! kill -0 $(cat sleep.pid) 2>/dev/null
            ```
            """));
        Assert.True(passed, log);
        Assert.Contains("step 1 (Files with history): passed", log);
        Assert.Contains("step 2 (A job stopped with Ctrl-C): passed", log);
    }

    [Fact]
    public async Task A_check_that_does_not_pass_fails_the_lesson_with_its_file_line_and_message()
    {
        var (passed, log) = await RunAsync(Parse("""
            ## Wrong file

            ```run
            echo hi > a.txt
            ```

            ```check "b.txt is missing."
            test -f b.txt
            ```
            """));
        Assert.False(passed);
        Assert.Contains("step 1 (Wrong file): FAILED", log);
        Assert.Contains("lessons/99-test.md:12: the check exited 1: b.txt is missing.", log);
        Assert.Contains("echo hi > a.txt", log); // the host shell's screen
    }

    [Fact]
    public async Task A_step_that_leaves_the_person_in_an_inner_shell_fails_and_one_that_leaves_it_passes()
    {
        const string Box = """
            ```run
            mkdir -p box/bin && cp /bin/busybox box/bin/ && chroot box /bin/busybox --install -s /bin
            chroot box /bin/sh
            ```

            """;
        var (stuck, log) = await RunAsync(Parse("## Stay inside\n\n" + Box + "```check \"x\"\ntest -d box\n```\n"));
        Assert.False(stuck);
        Assert.Contains("the step ends with \"sh\" in the foreground, not the host shell", log);
        var (left, log2) = await RunAsync(Parse("## Leave it\n\n" + Box + "```run\n<Ctrl-D>\n```\n\n```check \"x\"\ntest -d box\n```\n"));
        Assert.True(left, log2);
        // Lines typed into a nested bash (its bashrc sets its own prompt) wait for it as for the host shell.
        var (nested, log3) = await RunAsync(Parse("## Nested bash\n\n```run\nunshare -u bash\nhostname inner\nhostname > name.txt\n```\n\n```run\n<Ctrl-D>\n```\n\n```check \"x\"\ngrep -qx inner name.txt && [ \"$(hostname)\" != inner ]\n```\n"));
        Assert.True(nested, log3);
    }

    [Fact]
    public async Task A_check_that_passes_before_its_step_is_done_checks_nothing_and_is_refused()
    {
        var (passed, log) = await RunAsync(Parse("""
            ## Always true

            ```run
            true
            ```

            ```check "never shown"
            test -d /proc
            ```
            """));
        Assert.False(passed);
        Assert.Contains("its check passes in a fresh lab, before the step is done", log);
    }

    [Fact]
    public async Task A_spec_snippet_starts_a_sandbox_in_the_lab_that_the_check_can_see()
    {
        var (passed, log) = await RunAsync(Parse("""
            ## A root and a sandbox

            ```run
            mkdir -p toy/bin toy/proc out && cp /bin/busybox toy/bin/ && chroot toy /bin/busybox --install -s /bin
            ```

            ```spec
            { "rootfs": "/root/toy", "command": ["/bin/sh", "-c", "hostname > /out/name; sleep 1000"], "hostname": "from-spec",
              "mounts": [{ "type": "proc", "destination": "/proc" }, { "type": "bind", "source": "/root/out", "destination": "/out" }] }
            ```

            ```check "The sandbox did not write its hostname."
            for i in $(seq 50); do [ -s out/name ] && break; sleep 0.1; done; grep -qx from-spec out/name
            ```
            """));
        Assert.True(passed, log);
    }

    [Fact]
    public async Task A_check_taking_too_long_fails_and_is_ended()
    {
        var lab = _labs.Create("slow-check");
        try
        {
            var result = await LessonRunner.CheckAsync(_labs, lab.Name, new LessonCheck("echo $$ > /tmp/check.pid; sleep 100", "slow", 1), timeLimit: TimeSpan.FromSeconds(1));
            Assert.False(result.Passed);
            Assert.Equal("the check took longer than 1 s", result.Output);
            var left = await LessonRunner.CheckAsync(_labs, lab.Name, new LessonCheck("kill -0 $(cat /tmp/check.pid)", "", 1));
            Assert.False(left.Passed); // the slow check's shell is gone
        }
        finally { _labs.End(lab.Name); }
    }

    public void Dispose()
    {
        foreach (var lab in _labs.List()) _labs.End(lab.Name);
        _labs.Dispose();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
