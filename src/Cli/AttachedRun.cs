using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Playground.Cli.Terminal;
using Playground.Engine;
using Playground.Engine.Launch;
using Playground.Engine.Spec;

namespace Playground.Cli;

/// <summary>
/// Launches one sandbox and joins it to this process's stdio until it ends: a PTY when the
/// spec asks for a terminal, pipes otherwise, as <c>docker run -it</c> and <c>docker run -i</c>.
/// </summary>
internal static class AttachedRun
{
    public static int Run(SandboxSpec spec, bool story)
    {
        SandboxSession session;
        try
        {
            session = new SandboxEngine(new EngineOptions { Prestart = 0 }).Launch(spec, spec.Terminal ? Tty.GetSize() : null);
        }
        catch (SpecValidationException e)
        {
            foreach (var err in e.Errors) Console.Error.WriteLine($"playground run: {err}");
            return Program.LaunchFailed;
        }
        catch (SandboxException e)
        {
            Console.Error.WriteLine($"playground run: {e.Message}");
            if (story && e.Story is { } s) Console.Error.WriteLine(s);
            return Program.LaunchFailed;
        }
        catch (Exception e)
        {
            // Anything else is a bug or a missing piece (e.g. init not built); still 125, still named.
            Console.Error.WriteLine($"playground run: launch failed: {e.GetType().Name}: {e.Message}");
            return Program.LaunchFailed;
        }

        return Attach(session, story);
    }

    /// <summary>Joins a started process to this process's stdio until it ends; its exit status as a shell's.</summary>
    public static int Attach(SandboxSession session, bool story = false)
    {
        using (session)
        {
            // Before raw mode: in raw mode "\n" no longer returns the carriage.
            if (story) Console.Error.WriteLine(session.Story);
            // The command runs in its own session, so the keyboard's signals do not reach it;
            // a signal meant for us ends the sandbox instead of leaving it behind.
            using var stop = StopOn(session, PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT);
            var status = session.HasTerminal && OperatingSystem.IsLinux() ? WithTerminal(session) : WithPipes(session);
            return status.ShellCode;
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // SIGWINCH
    static ExitStatus WithTerminal(SandboxSession session)
    {
        using var raw = RawMode.Enter(0);
        using var winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, ctx =>
        {
            ctx.Cancel = true;
            if (Tty.GetSize() is { } size) TryIgnore(() => session.Resize(size));
        });
        var output = Task.Run(() => Copy(session.Output, Fd(1, FileAccess.Write)));
        // Not awaited: a read on a terminal only ends when a key is pressed or the terminal goes away.
        _ = Task.Run(() => Copy(Fd(0, FileAccess.Read), session.Input));
        var status = session.Completion.GetAwaiter().GetResult();
        // The PTY reports end of stream once the last process holding it is gone; output
        // still buffered in it is the command's last words.
        output.Wait(TimeSpan.FromSeconds(2));
        return status;
    }

    static ExitStatus WithPipes(SandboxSession session)
    {
        var stdout = Task.Run(() => Copy(session.Output, Fd(1, FileAccess.Write)));
        var stderr = session.Error is { } err ? Task.Run(() => Copy(err, Fd(2, FileAccess.Write))) : Task.CompletedTask;
        _ = Task.Run(() =>
        {
            Copy(Fd(0, FileAccess.Read), session.Input);
            TryIgnore(session.CloseInput); // EOF reaches the command, as with `cat file | cmd`.
        });
        var status = session.Completion.GetAwaiter().GetResult();
        Task.WaitAll(stdout, stderr);
        return status;
    }

    /// <summary>
    /// Copies until end of stream. When the destination fails (stdout closed, as under
    /// `| head`), keeps reading so the sandbox is not blocked on a full pipe.
    /// </summary>
    static void Copy(Stream from, Stream to)
    {
        var buffer = new byte[16 * 1024];
        bool writable = true;
        try
        {
            int n;
            while ((n = from.Read(buffer)) > 0)
            {
                if (!writable) continue;
                try { to.Write(buffer, 0, n); to.Flush(); }
                catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException) { writable = false; }
            }
        }
        // EIO on a PTY master after the last slave closed is its end of stream (pty(7)).
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    /// <summary>A stream on one of our standard fds that bypasses System.Console, whose terminal handling would fight raw mode.</summary>
    /// <remarks>Not a FileStream: on a regular file (stdout redirected) it would write at its own offset, from 0.</remarks>
    static FdStream Fd(int fd, FileAccess access) =>
        new(new SafeFileHandle(fd, ownsHandle: false), access == FileAccess.Read, access == FileAccess.Write);

    static IDisposable StopOn(SandboxSession session, params PosixSignal[] signals)
    {
        var registrations = signals.Select(sig => PosixSignalRegistration.Create(sig, ctx =>
        {
            ctx.Cancel = true; // we exit with the sandbox's status once it is gone
            TryIgnore(session.Kill);
        })).ToList();
        return new Registrations(registrations);
    }

    sealed class Registrations(List<PosixSignalRegistration> list) : IDisposable
    {
        public void Dispose() { foreach (var r in list) r.Dispose(); }
    }

    static void TryIgnore(Action action)
    {
        try { action(); } catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
    }
}
