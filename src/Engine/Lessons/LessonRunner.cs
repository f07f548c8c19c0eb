using System.Diagnostics;
using System.Text;
using Playground.Engine.Labs;
using Playground.Engine.Launch;
using Playground.Engine.Spec;

namespace Playground.Engine.Lessons;

/// <summary>The outcome of a check: done or not, with what it printed.</summary>
public sealed record CheckResult(bool Passed, string Output, int ExitCode);

/// <summary>
/// Runs lessons in a lab as a person would: snippets typed line by line into a login bash on a
/// PTY (history expansion, job control and readline work as in the person's host shell), keys
/// pressed, specs started as sandboxes in the lab; and each step's check run beside it.
/// </summary>
public static class LessonRunner
{
    /// <summary>How long a check may take before it counts as failed.</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A check in the lab, as its root, in /root, on pipes; its exit status says whether the step is done.</summary>
    public static async Task<CheckResult> CheckAsync(LabManager labs, string lab, LessonCheck check, CancellationToken cancel = default, TimeSpan? timeLimit = null)
    {
        var limit = timeLimit ?? CheckTimeout;
        // timeout(1) runs the check in a process group of its own and kills the whole group when
        // the time is up: the check's children too (killing the shell alone would leave them).
        using var session = labs.Exec(lab, ["/usr/bin/timeout", "-s", "KILL", $"{limit.TotalSeconds:0.###}", "/bin/bash", "-c", "cd /root && " + check.Script], terminal: false);
        session.CloseInput();
        var output = ReadAllAsync(session.Output);
        var error = session.Error is { } e ? ReadAllAsync(e) : Task.FromResult("");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(limit + TimeSpan.FromSeconds(5)); // timeout(1) ends it first; this if even that hangs
        var tooLong = new CheckResult(false, $"the check took longer than {limit.TotalSeconds:0.###} s", -1);
        try
        {
            var status = await session.Completion.WaitAsync(timeout.Token);
            if (status.ShellCode == 128 + 9) return tooLong;
            return new CheckResult(status.ShellCode == 0, Tail((await output) + (await error), 4000), status.ShellCode);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            session.Kill();
            return tooLong;
        }
    }

    /// <summary>
    /// Every check of <paramref name="lesson"/> in a fresh lab, where each must fail (nothing is
    /// done yet); then every step: its snippets, then its check, which must pass. Writes what
    /// happens to <paramref name="log"/>; true when every check failed before and passed after.
    /// </summary>
    public static async Task<bool> RunAsync(Lesson lesson, LabManager labs, string lab, TextWriter log, CancellationToken cancel = default)
    {
        // The failing case of every check: in the fresh lab nothing is done yet, so each must fail.
        var idle = 0;
        foreach (var step in lesson.Steps)
        {
            if (step.Check is not { } check) continue;
            var before = await CheckAsync(labs, lab, check, cancel);
            if (!before.Passed) continue;
            idle++;
            log.WriteLine($"  step {step.Number} ({step.Title}): FAILED: its check passes in a fresh lab, before the step is done ({lesson.Path}:{check.Line}): it checks nothing");
        }
        if (idle > 0) return false;
        await using var shell = await Shell.StartAsync(labs, lab);
        var sandboxes = new List<SandboxSession>();
        var passed = true;
        try
        {
            foreach (var step in lesson.Steps)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    await RunSnippetsAsync(step, shell, labs, lab, sandboxes, cancel);
                    if (shell.Foreground() is { } other)
                        throw new InvalidOperationException($"the step ends with \"{other}\" in the foreground, not the host shell: a person would type the next step into it (end it with a <Ctrl-D> or <Ctrl-C> block)");
                }
                catch (Exception e) when (e is TimeoutException or InvalidOperationException or SandboxException or SpecValidationException)
                {
                    log.WriteLine($"  step {step.Number} ({step.Title}): FAILED running its snippets: {e.Message}");
                    return false; // the shell's state is unknown: the rest would only fail after it
                }
                if (step.Check is not { } check)
                {
                    log.WriteLine($"  step {step.Number} ({step.Title}): no check ({clock.ElapsedMilliseconds} ms)");
                    continue;
                }
                var result = await CheckAsync(labs, lab, check, cancel);
                log.WriteLine($"  step {step.Number} ({step.Title}): {(result.Passed ? "passed" : "FAILED")} ({clock.ElapsedMilliseconds} ms)");
                if (result.Passed) continue;
                passed = false;
                log.WriteLine($"    {lesson.Path}:{check.Line}: the check exited {result.ExitCode}: {check.FailureMessage}");
                if (result.Output.Trim().Length > 0) log.WriteLine(Indent("check printed: " + result.Output.Trim()));
                log.WriteLine(Indent("the host shell's last output:\n" + Tail(shell.Screen, 1500)));
            }
        }
        finally
        {
            foreach (var s in sandboxes) { s.Kill(); s.Dispose(); }
        }
        return passed;
    }

    static async Task RunSnippetsAsync(LessonStep step, Shell shell, LabManager labs, string lab, List<SandboxSession> sandboxes, CancellationToken cancel)
    {
        var parts = step.Snippets.ToList();
        for (var i = 0; i < parts.Count; i++)
        {
            var next = i + 1 < parts.Count ? parts[i + 1] : null;
            switch (parts[i].Kind)
            {
                case SnippetKind.Type:
                    await shell.TypeAsync(parts[i].Lines, lastWaits: next?.Kind != SnippetKind.Key, cancel);
                    break;
                case SnippetKind.Key:
                    await shell.PressAsync(parts[i].KeyBytes, cancel);
                    break;
                case SnippetKind.Spec:
                    var s = labs.Run(lab, AsTheBuilderRunsIt(SpecJson.Deserialize(parts[i].Text)), new TerminalSize(40, 120));
                    _ = ReadAllAsync(s.Output);
                    sandboxes.Add(s);
                    break;
            }
        }
    }

    /// <summary>
    /// A lesson's spec as the web's builder runs it in a lab: with a terminal, and with the user
    /// namespace on but no id map given, all the lab's ids (<see cref="LabProfile.AllIds"/>).
    /// </summary>
    public static SandboxSpec AsTheBuilderRunsIt(SandboxSpec spec)
    {
        IReadOnlyList<IdMapping> LabIds(IReadOnlyList<IdMapping> m) => spec.Namespaces.User && m.Count == 0 ? LabProfile.AllIds : m;
        return spec with { Terminal = true, UidMap = LabIds(spec.UidMap), GidMap = LabIds(spec.GidMap) };
    }

    static string Indent(string s) => string.Join('\n', s.Split('\n').Select(l => "    " + l));

    static string Tail(string s, int n) => s.Length <= n ? s : "…" + s[^n..];

    static async Task<string> ReadAllAsync(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        try { return await reader.ReadToEndAsync(); }
        catch (IOException) { return ""; } // a PTY reads EIO once the other side is gone
    }

    /// <summary>A login bash on a PTY in the lab, its prompts made recognisable.</summary>
    sealed class Shell : IAsyncDisposable
    {
        const string Prompt = "\u001b[0m__pg_ps1__ ", Continue = "\u001b[0m__pg_ps2__ ";
        readonly SandboxSession _session;
        readonly StringBuilder _screen = new();
        readonly Task _reader;
        int _seen; // how much of _screen the last wait looked at

        Shell(SandboxSession session)
        {
            _session = session;
            _reader = Task.Run(async () =>
            {
                var buffer = new byte[8192];
                var decoder = Encoding.UTF8.GetDecoder();
                var chars = new char[8192];
                try
                {
                    int n;
                    while ((n = await session.Output.ReadAsync(buffer)) > 0)
                    {
                        var c = decoder.GetChars(buffer, 0, n, chars, 0);
                        lock (_screen) _screen.Append(chars, 0, c);
                    }
                }
                catch (IOException) { }
            });
        }

        public string Screen
        {
            get { lock (_screen) return _screen.ToString(); }
        }

        public static async Task<Shell> StartAsync(LabManager labs, string lab)
        {
            var shell = new Shell(labs.Exec(lab, ["/bin/bash", "-l"], terminal: true, new TerminalSize(40, 120)));
            // Prompts the runner can tell apart from output (written with escapes the typed line cannot
            // echo), and no history of this. Exported, so shells started inside show them too: a
            // busybox sh takes PS1; a nested bash, whose bashrc sets PS1 again, runs PROMPT_COMMAND.
            await shell.SendAsync(" export PS1='\\[\\e[0m\\]__pg_ps1__ ' PS2='\\[\\e[0m\\]__pg_ps2__ ' PROMPT_COMMAND='printf \"\\033[0m__pg_ps1__ \"'; history -c\n");
            await shell.WaitForPromptAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            return shell;
        }

        Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

        async Task SendAsync(byte[] bytes)
        {
            if (_session.Completion.IsCompleted) throw new InvalidOperationException("the host shell has ended (a Ctrl-D or exit at its prompt?)");
            lock (_screen) _seen = _screen.Length;
            await _session.Input.WriteAsync(bytes);
            await _session.Input.FlushAsync();
        }

        /// <summary>Types each line, waiting for bash to ask for the next; the last line's command may run on (a job in the foreground before a key).</summary>
        public async Task TypeAsync(IReadOnlyList<string> lines, bool lastWaits, CancellationToken cancel)
        {
            for (var i = 0; i < lines.Count; i++)
            {
                await SendAsync(lines[i] + "\n");
                var last = i == lines.Count - 1;
                if (!last || lastWaits) await WaitForPromptAsync(TimeSpan.FromSeconds(120), cancel);
                else await Task.Delay(1000, cancel); // let it start
            }
        }

        /// <summary>
        /// What holds the terminal when it is not the host shell (a chroot's shell, a job brought
        /// back with fg), by its command name; null at the host shell's prompt. From the
        /// terminal's foreground process group against the shell's own (/proc/PID/stat).
        /// </summary>
        public string? Foreground()
        {
            try
            {
                // The shell is the session leader with the terminal among the processes the
                // session started (nsenter and init come before it); /proc/PID/stat fields.
                var tree = Descendants(_session.HostPid).Select(pid => (Pid: pid, Stat: Stat(pid))).Where(p => p.Stat is not null).ToList();
                if (tree.FirstOrDefault(p => p.Stat!.Value.Session == p.Pid && p.Stat.Value.Tty != 0) is not { Stat: { } shell }) return null;
                if (shell.Tpgid == shell.Pgrp || shell.Tpgid <= 0) return null;
                return tree.FirstOrDefault(p => p.Stat!.Value.Pgrp == shell.Tpgid).Stat?.Comm ?? "another process";
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { return null; } // ended meanwhile
        }

        static IEnumerable<int> Descendants(int pid)
        {
            var queue = new Queue<int>([pid]);
            while (queue.TryDequeue(out var p))
            {
                yield return p;
                string[] children;
                try { children = Directory.EnumerateDirectories($"/proc/{p}/task").SelectMany(t => File.ReadAllText(Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray(); }
                catch (IOException) { continue; }
                foreach (var c in children) queue.Enqueue(int.Parse(c));
            }
        }

        static (string Comm, int Pgrp, int Session, int Tty, int Tpgid)? Stat(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                var f = stat[(close + 2)..].Split(' ');
                return (stat[(open + 1)..close], int.Parse(f[2]), int.Parse(f[3]), int.Parse(f[4]), int.Parse(f[5]));
            }
            catch (IOException) { return null; }
        }

        public async Task PressAsync(byte[] key, CancellationToken cancel)
        {
            await SendAsync(key);
            await WaitForPromptAsync(TimeSpan.FromSeconds(30), cancel);
        }

        async Task WaitForPromptAsync(TimeSpan timeout, CancellationToken cancel)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                string fresh;
                lock (_screen) fresh = _screen.ToString(_seen, _screen.Length - _seen);
                if (fresh.Contains(Prompt) || fresh.Contains(Continue)) return;
                if (_session.Completion.IsCompleted && _reader.IsCompleted) throw new InvalidOperationException("the host shell has ended (a Ctrl-D or exit at its prompt?)");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"no prompt after {timeout.TotalSeconds:0} s; the screen ends:\n{Tail(Screen, 800)}");
                await Task.Delay(20, cancel);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _session.Kill();
            await Task.WhenAny(_reader, Task.Delay(2000));
            _session.Dispose();
        }
    }
}
