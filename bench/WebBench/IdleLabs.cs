using System.Diagnostics;
using Playground.Engine.Labs;
using Playground.Engine.Launch;

namespace Playground.WebBench;

/// <summary>
/// Many idle labs, each with an interactive bash on a PTY (as a class leaves them), made with the
/// engine in this process (a data directory and cgroup parent of their own) and ended on dispose.
/// </summary>
sealed class IdleLabs : IDisposable
{
    readonly LabManager _labs;
    readonly string _data;
    readonly List<SandboxSession> _shells = [];
    readonly List<string> _names = [];

    IdleLabs(LabManager labs, string data) => (_labs, _data) = (labs, data);

    public static IdleLabs Start(int count, string initPath)
    {
        var data = Directory.CreateTempSubdirectory("playground-webbench-labs-").FullName;
        File.SetUnixFileMode(data, (UnixFileMode)0x1ed);
        var labs = new LabManager(new LabOptions
        {
            DataDirectory = data, CgroupParent = "playground-labs-bench", FirstId = 100000 + 65536 * 1200, MaxLabs = count,
        }, initPath);
        var idle = new IdleLabs(labs, data);
        var clock = Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var name = $"idle{i}";
                labs.Create(name);
                idle._names.Add(name);
                var shell = labs.Exec(name, ["/bin/bash", "-i"], terminal: true);
                idle._shells.Add(shell);
                WaitFor(shell, $"root@{name}:");
            }
        }
        catch
        {
            idle.Dispose();
            throw;
        }
        Console.WriteLine($"idle:     {count} labs, each with an interactive bash, made in {clock.Elapsed.TotalSeconds:0} s; MemAvailable {Playground.E2E.Support.Machine.MemAvailableMiB():0} MiB");
        return idle;
    }

    static void WaitFor(SandboxSession shell, string prompt)
    {
        var seen = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        while (!seen.ToString().Contains(prompt))
        {
            var n = shell.Output.Read(buffer);
            if (n <= 0) throw new IOException($"bash ended before its prompt: {seen}");
            seen.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        }
    }

    public void Dispose()
    {
        foreach (var s in _shells) s.Dispose();
        foreach (var name in _names)
            try { _labs.End(name); } catch (IOException e) { Console.WriteLine($"ending {name}: {e.Message}"); }
        _labs.Dispose();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
