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
    public static async Task<CheckResult> CheckAsync(LabManager labs, string lab, LessonCheck check, CancellationToken cancel = default)
    {
        using var session = labs.Exec(lab, ["/bin/bash", "-c", "cd /root && " + check.Script], terminal: false);
        session.CloseInput();
        var output = ReadAllAsync(session.Output);
        var error = session.Error is { } e ? ReadAllAsync(e) : Task.FromResult("");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            var status = await session.Completion.WaitAsync(timeout.Token);
            return new CheckResult(status.ShellCode == 0, Tail((await output) + (await error), 4000), status.ShellCode);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            session.Kill();
            return new CheckResult(false, $"the check took longer than {CheckTimeout.TotalSeconds:0} s", -1);
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
                try { await RunSnippetsAsync(step, shell, labs, lab, sandboxes, cancel); }
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
                    var s = labs.Run(lab, SpecJson.Deserialize(parts[i].Text) with { Terminal = true }, new TerminalSize(40, 120));
                    _ = ReadAllAsync(s.Output);
                    sandboxes.Add(s);
                    break;
            }
        }
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
            // Prompts the runner can tell apart from output (written with escapes the typed line cannot echo), and no history of this.
            await shell.SendAsync(" PS1='\\[\\e[0m\\]__pg_ps1__ ' PS2='\\[\\e[0m\\]__pg_ps2__ '; history -c\n");
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
