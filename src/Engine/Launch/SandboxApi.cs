// What a launch returns besides the session: its story and its end.
namespace Playground.Engine.Launch;

/// <summary>One step of a launch as init (or the engine) reported it.</summary>
public sealed record LaunchStep(string Step, bool Ok, int Errno, string Detail)
{
    /// <summary>When the engine learned of this step, in milliseconds since the launch began.</summary>
    public double AtMs { get; init; }

    public override string ToString() =>
        Ok ? $"{AtMs,7:0.00} ms  ok    {Step}{(Detail.Length > 0 ? "  " + Detail : "")}"
           : $"{AtMs,7:0.00} ms  FAIL  {Step}  {Interop.Errno.Name(Errno)}  {Detail}";
}

/// <summary>The launch story: every step in order, with its outcome.</summary>
public sealed class LaunchStory(IReadOnlyList<LaunchStep> steps) : IReadOnlyList<LaunchStep>
{
    public LaunchStep this[int index] => steps[index];
    public int Count => steps.Count;
    public IEnumerator<LaunchStep> GetEnumerator() => steps.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    public override string ToString() => string.Join(Environment.NewLine, steps);
}

/// <summary>How a process ended: an exit code, or the signal that killed it.</summary>
public readonly record struct ExitStatus(int Code, int Signal)
{
    /// <summary>The shell's convention: the code, or 128+N when killed by signal N.</summary>
    public int ShellCode => Signal != 0 ? 128 + Signal : Code;
    public override string ToString() => Signal != 0 ? $"killed by signal {Signal}" : $"exited with {Code}";
}
