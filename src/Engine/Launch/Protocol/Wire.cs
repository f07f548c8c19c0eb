using System.Text;

namespace Playground.Engine.Launch.Protocol;

/// <summary>Little-endian, length-prefixed encoding of protocol messages. No reflection: init is NativeAOT.</summary>
public sealed class WireWriter
{
    readonly MemoryStream _ms = new();
    readonly BinaryWriter _w;

    public WireWriter(MessageType type) { _w = new BinaryWriter(_ms, Encoding.UTF8); _w.Write((byte)type); }

    public WireWriter U8(byte v) { _w.Write(v); return this; }
    public WireWriter Bool(bool v) { _w.Write(v); return this; }
    public WireWriter I32(int v) { _w.Write(v); return this; }
    public WireWriter U32(uint v) { _w.Write(v); return this; }
    public WireWriter U64(ulong v) { _w.Write(v); return this; }
    public WireWriter Str(string v) { _w.Write(v); return this; }
    public WireWriter Bytes(byte[] v) { _w.Write(v.Length); _w.Write(v); return this; }
    public WireWriter Strs(IReadOnlyList<string> v) { _w.Write(v.Count); foreach (var s in v) _w.Write(s); return this; }
    public byte[] ToArray() { _w.Flush(); return _ms.ToArray(); }

    public static byte[] Encode(LaunchPlan p)
    {
        var w = new WireWriter(MessageType.Plan)
            .Str(p.Rootfs).U8((byte)p.RootSwitch).Bool(p.ReadOnlyRoot).Bool(p.NewCgroupNamespace)
            .Bool(p.ReapAsPid1).Bool(p.NewUserNamespace);
        w.I32(p.Mounts.Count);
        foreach (var m in p.Mounts) w.U8((byte)m.Kind).Str(m.Target).Str(m.Source).Bool(m.ReadOnly).Str(m.Data);
        w.Str(p.DevptsInside).Bool(p.Terminal).U32(p.Columns).U32(p.Rows).Str(p.Hostname);
        w.I32(p.Rlimits.Count);
        foreach (var r in p.Rlimits) w.I32(r.Resource).U64(r.Soft).U64(r.Hard);
        w.U32(p.Uid).U32(p.Gid).I32(p.Groups.Count);
        foreach (var g in p.Groups) w.U32(g);
        w.U64(p.CapBounding).U64(p.CapEffective).U64(p.CapPermitted).U64(p.CapInheritable).U64(p.CapAmbient)
         .I32(p.LastCap).Bool(p.NoNewPrivs).Bytes(p.SeccompBpf).Str(p.Cwd).Strs(p.Env).Strs(p.Argv).Bytes(p.OuterSeccompBpf).Bool(p.SeccompListener);
        return w.ToArray();
    }

    public static byte[] Encode(StepReport s) =>
        new WireWriter(MessageType.Step).Str(s.Step).Str(s.Syscall).I32(s.Errno).Str(s.Detail).ToArray();
}

public sealed class WireReader
{
    readonly BinaryReader _r;
    public MessageType Type { get; }

    public WireReader(byte[] message, int length)
    {
        _r = new BinaryReader(new MemoryStream(message, 0, length), Encoding.UTF8);
        Type = (MessageType)_r.ReadByte();
    }

    public byte U8() => _r.ReadByte();
    public bool Bool() => _r.ReadBoolean();
    public int I32() => _r.ReadInt32();
    public uint U32() => _r.ReadUInt32();
    public ulong U64() => _r.ReadUInt64();
    public string Str() => _r.ReadString();
    public byte[] Bytes() => _r.ReadBytes(_r.ReadInt32());
    public string[] Strs() { var a = new string[_r.ReadInt32()]; for (var i = 0; i < a.Length; i++) a[i] = _r.ReadString(); return a; }

    public LaunchPlan Plan()
    {
        var rootfs = Str(); var sw = (RootSwitch)U8(); var ro = Bool(); var cg = Bool(); var pid1 = Bool(); var user = Bool();
        var mounts = new MountOp[I32()];
        for (var i = 0; i < mounts.Length; i++) mounts[i] = new MountOp((MountOpKind)U8(), Str(), Str(), Bool(), Str());
        var devpts = Str(); var term = Bool(); var cols = (ushort)U32(); var rows = (ushort)U32(); var host = Str();
        var rl = new Rlimit[I32()];
        for (var i = 0; i < rl.Length; i++) rl[i] = new Rlimit(I32(), U64(), U64());
        var uid = U32(); var gid = U32();
        var groups = new uint[I32()];
        for (var i = 0; i < groups.Length; i++) groups[i] = U32();
        return new LaunchPlan
        {
            Rootfs = rootfs, RootSwitch = sw, ReadOnlyRoot = ro, NewCgroupNamespace = cg, ReapAsPid1 = pid1,
            NewUserNamespace = user, Mounts = mounts, DevptsInside = devpts, Terminal = term, Columns = cols, Rows = rows, Hostname = host,
            Rlimits = rl, Uid = uid, Gid = gid, Groups = groups,
            CapBounding = U64(), CapEffective = U64(), CapPermitted = U64(), CapInheritable = U64(), CapAmbient = U64(),
            LastCap = I32(), NoNewPrivs = Bool(), SeccompBpf = Bytes(), Cwd = Str(), Env = Strs(), Argv = Strs(), OuterSeccompBpf = Bytes(), SeccompListener = Bool(),
        };
    }

    public StepReport Step() => new(Str(), Str(), I32(), Str());
}
