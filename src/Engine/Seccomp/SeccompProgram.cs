namespace Playground.Engine.Seccomp;

/// <summary>
/// A compiled filter. <paramref name="Bpf"/> is the raw <c>struct sock_filter</c> array
/// (8 bytes per instruction) that init hands to prctl(PR_SET_SECCOMP) or bwrap reads with
/// --seccomp; <paramref name="Readable"/> is libseccomp's pseudo-C of the same filter, for the UI.
/// </summary>
public sealed record SeccompProgram(byte[] Bpf, string Readable)
{
    public const int InstructionSize = 8;
    public int InstructionCount => Bpf.Length / InstructionSize;
}
