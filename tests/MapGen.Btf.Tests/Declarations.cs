using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static MapGen.BpfMapType;

// The corpus: every map type of the emulated runtime and every key/value shape MapGen lays out
// in C (integers of each size and sign, bool, char, enums of each size and sign with ENUM64,
// float/double, fixed buffers, [InlineArray], nested structs, Sequential/Explicit, Pack, padding).
// Corpus.cs pairs each with the C a libbpf user would write by hand.
namespace MapGen.Btf.Tests;

// 1. Array, key omitted (u32), value u64.
[BpfMap(BpfMapType.Array, MaxEntries = 16, Value = typeof(ulong))]
public partial struct PacketCounters;

// 2. PerCpuArray, value a struct with tail padding.
public struct CpuStats
{
    public ulong Packets;
    public ulong Bytes;
    public uint Drops;
}

[BpfMap(PerCpuArray, MaxEntries = 4, Value = typeof(CpuStats))]
public partial struct CpuStatsMap;

// 3. Hash with flags: a sequential key with inner and tail padding.
[StructLayout(LayoutKind.Sequential)]
public struct FlowKey
{
    public uint SrcIp, DstIp;
    public ushort SrcPort, DstPort;
    public byte Proto;
}

public struct FlowStats
{
    public ulong Packets, Bytes;
}

[BpfMap(Hash, MaxEntries = 65536, Key = typeof(FlowKey), Value = typeof(FlowStats), Flags = BpfMapFlags.NoPrealloc)]
public partial struct FlowTable;

// 4. PerCpuHash: signed key, double value.
[BpfMap(PerCpuHash, MaxEntries = 128, Key = typeof(int), Value = typeof(double))]
public partial struct Latencies;

// 5. LruHash: an explicit-layout key, a value with a fixed buffer, bool, char and float.
[StructLayout(LayoutKind.Explicit)]
public struct ConnKey
{
    [FieldOffset(0)] public uint Addr;
    [FieldOffset(4)] public ushort Port;
    [FieldOffset(8)] public long Cookie;
}

public unsafe struct ConnInfo
{
    public fixed byte Comm[16];
    public bool Active;
    public char Initial;
    public float Score;
    public short Delta;
    public sbyte Bias;
}

[BpfMap(LruHash, MaxEntries = 1024, Key = typeof(ConnKey), Value = typeof(ConnInfo))]
public partial struct Connections;

// 6. LruPerCpuHash: a Pack = 1 key, float value.
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct PackedKey
{
    public byte Tag;
    public uint Id;
    public ushort Port;
}

[BpfMap(LruPerCpuHash, MaxEntries = 256, Key = typeof(PackedKey), Value = typeof(float))]
public partial struct PackedScores;

// 7. DevMap, key and value omitted: u32 -> u32 ifindex.
[BpfMap(DevMap, MaxEntries = 32)]
public partial struct TxPorts;

// 8. DevMapHash with an 8-byte struct bpf_devmap_val.
public struct DevMapValue
{
    public uint IfIndex;
    public int ProgFd;
}

[BpfMap(DevMapHash, MaxEntries = 64, Value = typeof(DevMapValue))]
public partial struct Redirects;

// 9. ArrayOfMaps of DevMaps: the shared example.
[BpfMap(ArrayOfMaps, MaxEntries = 32)]
[InnerMap(typeof(TxPorts))]
public partial struct TxPortTables;

// 10. HashOfMaps of hashes (the inner definition carries map_flags).
[BpfMap(HashOfMaps, MaxEntries = 1024, Key = typeof(uint))]
[InnerMap(typeof(FlowTable))]
public partial struct TenantFlows;

// 11. ProgArray.
[BpfMap(ProgArray, MaxEntries = 8)]
public partial struct JumpTable;

// 12. Hash of enums: every enum size and sign, ENUM64 with values beyond 32 bits.
public enum Color : ushort
{
    Red = 1,
    Green = 2,
    Blue = 0xFFFF,
}

public enum Level : sbyte
{
    Low = -100,
    High = 100,
}

public enum Verdict
{
    Pass,
    Drop = -1,
}

public enum Huge : long
{
    Min = long.MinValue,
    Big = 0x1_0000_0000,
}

public enum Mask : ulong
{
    None = 0,
    Top = 0x8000_0000_0000_0000,
}

public enum Kind : uint
{
    First = 1,
    Last = 0xFFFF_FFFF,
}

public struct Labels
{
    public Level Level;
    public Color Color;
    public Verdict Verdict;
    public Huge Huge;
    public Mask Mask;
    public Kind Kind;
}

[BpfMap(Hash, MaxEntries = 64, Key = typeof(Color), Value = typeof(Labels))]
public partial struct LabelsByColor;

// 13. Hash with [InlineArray] key and nested structs, an array of structs and a 2-D array.
[InlineArray(4)]
public struct Ipv6Address
{
    private uint _element;
}

[InlineArray(6)]
public struct MacAddress
{
    private byte _element;
}

public struct Endpoint
{
    public Ipv6Address Addr;
    public ushort Port;
}

[InlineArray(2)]
public struct EndpointPair
{
    private Endpoint _element;
}

[InlineArray(3)]
public struct MacRows
{
    private MacAddress _element;
}

public struct Neighbour
{
    public EndpointPair Ends;
    public MacAddress Mac;
    public MacRows History;
    public ulong Seen;
}

[BpfMap(Hash, MaxEntries = 512, Key = typeof(Ipv6Address), Value = typeof(Neighbour))]
public partial struct Neighbours;

// 14. Array of an explicit layout no C packing reproduces: byte gaps and a declared Size.
[StructLayout(LayoutKind.Explicit, Size = 24)]
public struct OddLayout
{
    [FieldOffset(0)] public byte A;
    [FieldOffset(1)] public uint B;
    [FieldOffset(8)] public ulong C;
}

[BpfMap(BpfMapType.Array, MaxEntries = 2, Value = typeof(OddLayout))]
public partial struct OddValues;

// 15. Hash with a Pack = 2 struct holding a nested struct (pragma pack in C).
[StructLayout(LayoutKind.Sequential, Pack = 2)]
public struct Packed2
{
    public byte A;
    public ulong B;
    public FlowStats Stats;
    public ushort C;
}

[BpfMap(Hash, MaxEntries = 8, Key = typeof(ulong), Value = typeof(Packed2), Name = "packed_two")]
public partial struct PackedTwo;
