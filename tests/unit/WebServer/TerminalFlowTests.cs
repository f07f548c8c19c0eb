using System.Text;
using Playground.Engine.Launch;
using Playground.Tests.Launch;
using Playground.Web;
using Playground.Web.Terminals;

namespace Playground.Tests.WebServer;

/// <summary>The web's terminal path against real sandboxes: flow control, replay, input.</summary>
[Collection("sandbox")]
public sealed class TerminalFlowTests(SandboxFixture f)
{
    static readonly PlaygroundOptions Small = new()
    {
        HighWatermarkBytes = 64 * 1024, LowWatermarkBytes = 16 * 1024, BatchBytes = 4096, ReplayBytes = 8192,
    };

    /// <summary>A terminal whose session ends with it (in the app, SandboxHost owns sessions).</summary>
    sealed class Owned(LiveTerminal terminal) : IDisposable
    {
        public LiveTerminal T { get; } = terminal;
        public void Dispose() { T.Dispose(); T.Session.Dispose(); }
    }

    Owned Start(string command) =>
        new(new LiveTerminal("t1", "owner", f.Engine.Launch(f.Spec("/bin/sh", "-c", command) with { Terminal = true }), Small));

    static string Drain(LiveTerminal.Attachment a)
    {
        var text = new StringBuilder();
        while (a.Reader.TryRead(out var chunk)) text.Append(Encoding.UTF8.GetString(chunk));
        return text.ToString();
    }

    static async Task<string> ReadUntil(LiveTerminal t, LiveTerminal.Attachment a, string what, byte[]? replay = null)
    {
        var text = new StringBuilder(replay is null ? "" : Encoding.UTF8.GetString(replay));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!text.ToString().Contains(what))
        {
            var chunk = await a.Reader.ReadAsync(timeout.Token);
            text.Append(Encoding.UTF8.GetString(chunk));
            t.Acknowledge(a, chunk.Length);
        }
        return text.ToString();
    }

    [Fact]
    public async Task Unacknowledged_output_stops_at_the_high_watermark_and_resumes_below_the_low_one()
    {
        using var owned = Start("yes");
        var t = owned.T;
        var (_, a) = t.Attach();
        // Nobody acknowledges: reading must stop soon after the high watermark.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (t.Unacknowledged < Small.HighWatermarkBytes && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.True(t.Unacknowledged >= Small.HighWatermarkBytes);
        await Task.Delay(500);
        var held = t.Unacknowledged;
        await Task.Delay(500);
        // Still there, and no more than one read past the mark.
        Assert.Equal(held, t.Unacknowledged);
        Assert.True(held < Small.HighWatermarkBytes + Small.BatchBytes, $"{held} bytes unacknowledged");
        Assert.False(t.Session.Completion.IsCompleted);

        // Acknowledge all but a little more than the low mark: still paused.
        t.Acknowledge(a, held - Small.LowWatermarkBytes - 1);
        await Task.Delay(300);
        Assert.Equal(Small.LowWatermarkBytes + 1, t.Unacknowledged);
        // Below the low mark: reading resumes and the count climbs again.
        t.Acknowledge(a, 2);
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (t.Unacknowledged < Small.HighWatermarkBytes && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.True(t.Unacknowledged >= Small.HighWatermarkBytes);
        t.Session.Kill();
    }

    [Fact]
    public async Task Ctrl_C_reaches_yes_while_its_output_is_held_back()
    {
        using var owned = Start("exec sh -i");   // an interactive shell, like a person's
        var t = owned.T;
        var (_, a) = t.Attach();
        t.Input("yes\n"u8.ToArray());
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (t.Unacknowledged < Small.HighWatermarkBytes && DateTime.UtcNow < deadline) await Task.Delay(10);
        t.Input([3]);
        // Catch up, then the prompt comes back and the shell answers.
        t.Acknowledge(a, t.Unacknowledged);
        t.Input("echo done-$((1+1))\n"u8.ToArray());
        Assert.Contains("done-2", await ReadUntil(t, a, "done-2\r\n"));
        t.Session.Kill();
    }

    [Fact]
    public async Task A_new_attach_replays_recent_output_and_replaces_the_old_one()
    {
        using var owned = Start("echo first-$((1+1)); sh");
        var t = owned.T;
        // what was printed before the attach comes as its replay
        var (replay1, first) = t.Attach();
        await ReadUntil(t, first, "first-2", replay1);
        var (replay, second) = t.Attach();
        Assert.Contains("first-2", Encoding.UTF8.GetString(replay));
        // The old attachment ends: what it was sent before (the prompt after first-2 may be there) is read, then it is complete.
        Drain(first);
        Assert.True(SpinWait.SpinUntil(() => first.Reader.Completion.IsCompleted, TimeSpan.FromSeconds(5)), "the old attachment ends");
        t.Input("echo again-$((2+2))\n"u8.ToArray());
        Assert.Contains("again-4", await ReadUntil(t, second, "again-4"));
        Assert.Equal("", Drain(first));
        t.Session.Kill();
    }

    [Fact]
    public async Task Watchers_get_the_replay_then_the_output_and_follow_resizes_but_never_hold_the_owner_back()
    {
        using var owned = Start("echo early-$((1+1)); sh");
        var t = owned.T;
        var (replay0, attachment) = t.Attach();
        await ReadUntil(t, attachment, "early-2", replay0);
        var (replay, watcher) = t.Watch();
        Assert.Contains("early-2", Encoding.UTF8.GetString(replay));
        t.Input("echo later-$((2+3))\n"u8.ToArray());
        t.Resize(90, 30);
        var seen = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!seen.ToString().Contains("\u001b[8;30;90t") || !seen.ToString().Contains("later-5"))
            seen.Append(Encoding.UTF8.GetString(await watcher.Reader.ReadAsync(timeout.Token)));
        Assert.Equal(1, t.Watchers);
        // A watcher that reads nothing is dropped once 1 MiB behind; the owner's shell runs on.
        t.Input("head -c 3000000 /dev/zero | tr '\\0' x; echo; echo done-$((3*3))\n"u8.ToArray());
        while (!Drain(attachment).Contains("done-9"))
        {
            t.Acknowledge(attachment, 1 << 30);
            await Task.Delay(20, timeout.Token);
        }
        // (what the hub waits on: the watcher's end, with its reason)
        await Assert.ThrowsAsync<LiveTerminal.FellBehindException>(async () => { while (await watcher.Reader.WaitToReadAsync(timeout.Token)) watcher.Reader.TryRead(out _); });
        Assert.Equal(0, t.Watchers);
        t.Session.Kill();
    }

    [Fact]
    public void The_replay_keeps_only_the_last_bytes()
    {
        var r = new ReplayBuffer(8);
        r.Append("abc"u8);
        Assert.Equal("abc", Encoding.ASCII.GetString(r.ToArray()));
        r.Append("defgh"u8);
        Assert.Equal("abcdefgh", Encoding.ASCII.GetString(r.ToArray()));
        r.Append("ij"u8);
        Assert.Equal("cdefghij", Encoding.ASCII.GetString(r.ToArray()));
        r.Append("0123456789"u8);
        Assert.Equal("23456789", Encoding.ASCII.GetString(r.ToArray()));
        r.Append("x"u8);
        Assert.Equal("3456789x", Encoding.ASCII.GetString(r.ToArray()));
    }
}
