using System.Buffers.Binary;

namespace Playground.Engine.Seccomp;

/// <summary>
/// A compiled filter. <paramref name="Bpf"/> is the raw <c>struct sock_filter</c> array
/// (8 bytes per instruction) that init hands to seccomp(2) or bwrap reads with --seccomp;
/// <paramref name="Readable"/> is libseccomp's pseudo-C of the same filter, for the UI.
/// <paramref name="NotifyingBpf"/> is the same filter with its errno answers left to a listener
/// (see <see cref="SeccompCompiler"/>), which a sandbox in a lab gets so its refusals can be shown.
/// </summary>
public sealed record SeccompProgram(byte[] Bpf, string Readable, byte[] NotifyingBpf)
{
    public const int InstructionSize = 8;
    public int InstructionCount => Bpf.Length / InstructionSize;

    /// <summary>sizeof(struct seccomp_data): nr, arch, instruction pointer, six arguments.</summary>
    public const int DataSize = 64;

    /// <summary>What the kernel would answer for a call: <see cref="Bpf"/> run on <paramref name="data"/>
    /// (a struct seccomp_data), as the kernel's classic-BPF interpreter runs it.</summary>
    public uint Evaluate(ReadOnlySpan<byte> data) => Run(Bpf, data);

    /// <summary>
    /// Runs a seccomp program: the instructions seccomp_check_filter accepts (loads of 32-bit words
    /// of the data, immediates and scratch memory; ALU; jumps; return). Throws for anything else,
    /// or a program that ends without returning, which the kernel would have refused to load.
    /// </summary>
    public static uint Run(ReadOnlySpan<byte> program, ReadOnlySpan<byte> data)
    {
        if (data.Length != DataSize) throw new ArgumentException($"seccomp data is {DataSize} bytes, not {data.Length}", nameof(data));
        uint a = 0, x = 0;
        Span<uint> memory = stackalloc uint[16];
        memory.Clear();
        var count = program.Length / InstructionSize;
        for (var pc = 0; pc < count; pc++)
        {
            var at = program.Slice(pc * InstructionSize, InstructionSize);
            var code = BinaryPrimitives.ReadUInt16LittleEndian(at);
            byte jt = at[2], jf = at[3];
            var k = BinaryPrimitives.ReadUInt32LittleEndian(at[4..]);
            switch (code)
            {
                case 0x20: a = Word(data, k); break;                          // ld  [k]
                case 0x80: a = DataSize; break;                               // ld  len
                case 0x81: x = DataSize; break;                               // ldx len
                case 0x00: a = k; break;                                      // ld  #k
                case 0x01: x = k; break;                                      // ldx #k
                case 0x60: a = memory[(int)(k & 15)]; break;                  // ld  M[k]
                case 0x61: x = memory[(int)(k & 15)]; break;                  // ldx M[k]
                case 0x02: memory[(int)(k & 15)] = a; break;                  // st  M[k]
                case 0x03: memory[(int)(k & 15)] = x; break;                  // stx M[k]
                case 0x07: x = a; break;                                      // tax
                case 0x87: a = x; break;                                      // txa
                case 0x06: return k;                                          // ret #k
                case 0x16: return a;                                          // ret a
                case 0x05: pc += (int)k; break;                               // ja
                default:
                    switch (code & 0x07)
                    {
                        case 0x04: a = Alu(code, a, (code & 0x08) != 0 ? x : k); break;
                        case 0x05:
                            var operand = (code & 0x08) != 0 ? x : k;
                            var taken = (code & 0xf0) switch
                            {
                                0x10 => a == operand,
                                0x20 => a > operand,
                                0x30 => a >= operand,
                                0x40 => (a & operand) != 0,
                                _ => throw Unknown(code, pc),
                            };
                            pc += taken ? jt : jf;
                            break;
                        default: throw Unknown(code, pc);
                    }
                    break;
            }
        }
        throw new InvalidOperationException("the seccomp program ended without returning");
    }

    static uint Word(ReadOnlySpan<byte> data, uint offset) =>
        offset % 4 == 0 && offset <= DataSize - 4
            ? BinaryPrimitives.ReadUInt32LittleEndian(data[(int)offset..])
            : throw new InvalidOperationException($"seccomp load at offset {offset}, outside struct seccomp_data");

    static uint Alu(ushort code, uint a, uint operand) => (code & 0xf0) switch
    {
        0x00 => a + operand,
        0x10 => a - operand,
        0x20 => a * operand,
        0x30 => operand == 0 ? 0 : a / operand,
        0x40 => a | operand,
        0x50 => a & operand,
        0x60 => operand >= 32 ? 0 : a << (int)operand,
        0x70 => operand >= 32 ? 0 : a >> (int)operand,
        0x80 => (uint)-(int)a,
        0x90 => operand == 0 ? 0 : a % operand,
        0xa0 => a ^ operand,
        _ => throw Unknown(code, -1),
    };

    static InvalidOperationException Unknown(ushort code, int pc) => new($"seccomp instruction 0x{code:x4} at {pc} is not one the kernel accepts");

    /// <summary>A struct seccomp_data for a call on this machine's architecture (x86_64).</summary>
    public static byte[] Data(int number, params ulong[] args)
    {
        var data = new byte[DataSize];
        BinaryPrimitives.WriteInt32LittleEndian(data, number);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), AuditArchX86_64);
        for (var i = 0; i < Math.Min(args.Length, 6); i++) BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(16 + 8 * i), args[i]);
        return data;
    }

    /// <summary>AUDIT_ARCH_X86_64, as seccomp_data.arch carries it.</summary>
    public const uint AuditArchX86_64 = 0xc000003e;

    /// <summary>SECCOMP_RET_ACTION_FULL and SECCOMP_RET_DATA: a filter's answer is an action and a datum (the errno).</summary>
    public const uint ActionMask = 0xffff0000, DataMask = 0x0000ffff;
    public const uint RetErrno = 0x00050000, RetAllow = 0x7fff0000, RetUserNotif = 0x7fc00000;
}
