namespace Playground.Engine;

/// <summary>One problem with a spec: the field (e.g. <c>mounts[1].destination</c>) and what is accepted.</summary>
public sealed record SpecError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>A spec was refused before anything was created.</summary>
public sealed class SpecValidationException(IReadOnlyList<SpecError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<SpecError> Errors { get; } = errors;
}

/// <summary>
/// A launch step failed. The message names the step, the syscall, the errno and a hint,
/// e.g. "execve: execve(/foo) failed with ENOENT: the ELF interpreter /lib64/ld-linux-x86-64.so.2 is missing from the rootfs".
/// </summary>
public sealed class SandboxException(string step, string syscall, int errno, string hint, Launch.LaunchStory? story = null)
    : Exception(Format(step, syscall, errno, hint))
{
    public string Step { get; } = step;
    public string Syscall { get; } = syscall;
    public int Errno { get; } = errno;
    public string Hint { get; } = hint;
    public Launch.LaunchStory? Story { get; } = story;

    static string Format(string step, string syscall, int errno, string hint)
    {
        var s = $"{step}: {syscall} failed";
        if (errno != 0) s += $" with {Interop.Errno.Name(errno)} ({Interop.Errno.Describe(errno)})";
        return string.IsNullOrEmpty(hint) ? s : $"{s}: {hint}";
    }
}
