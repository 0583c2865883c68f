using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MapGen;
using static MapGen.BpfMapType;

// The SPEC section 1 examples, compiled by this project with the generator, plus a few shapes more.
namespace MapGen.Tests.TypedApi;

[BpfMap(DevMap, MaxEntries = 32)]
public partial struct TxPorts;

[BpfMap(ArrayOfMaps, MaxEntries = 32)]
[InnerMap(typeof(TxPorts))]
public partial struct TxPortTables;

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

[BpfMap(HashOfMaps, MaxEntries = 1024, Key = typeof(uint))]
[InnerMap(typeof(FlowTable))]
public partial struct TenantFlows;

[BpfMap(BpfMapType.Array, MaxEntries = 8, Value = typeof(ulong))]
public partial struct Counters;

[BpfMap(PerCpuHash, MaxEntries = 128, Key = typeof(uint), Value = typeof(PerCpuValue))]
public partial struct PerCpuStats;

public struct PerCpuValue
{
    public uint Packets;
    public byte Flag;
}

[BpfMap(ArrayOfMaps, MaxEntries = 4)]
[InnerMap(typeof(Counters))]
public partial struct CounterSets;

/// <summary>Layout shapes whose C layout the generator computes; their .NET size must agree.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 2)]
public struct PackedKey
{
    public byte A;
    public ulong B;
    public ushort C;
}

[StructLayout(LayoutKind.Explicit, Size = 24)]
public struct ExplicitValue
{
    [FieldOffset(0)] public uint Low;
    [FieldOffset(8)] public ulong High;
    [FieldOffset(16)] public byte Tag;
}

public enum Verdict : byte
{
    Pass,
    Drop,
}

[InlineArray(6)]
public struct MacAddress
{
    private byte _element;
}

public unsafe struct NestedValue
{
    public Verdict Verdict;
    public MacAddress Mac;
    public fixed ushort Ports[3];
    public PackedKey Inner;
    public bool Enabled;
    public double Weight;
}

[BpfMap(LruHash, MaxEntries = 16, Key = typeof(PackedKey), Value = typeof(NestedValue))]
public partial struct LayoutShapes;

[BpfMap(Hash, MaxEntries = 16, Key = typeof(Verdict), Value = typeof(ExplicitValue))]
public partial struct ExplicitShapes;

[BpfMap(BpfMapType.Array, MaxEntries = 64, Value = typeof(ulong), Flags = BpfMapFlags.Mmapable)]
public partial struct SharedCounters;

/// <summary>12 bytes: the kernel keeps such values 16 bytes apart in a mapped array.</summary>
public struct Sample
{
    public uint Packets, Bytes, Drops;
}

[BpfMap(BpfMapType.Array, MaxEntries = 16, Value = typeof(Sample), Flags = BpfMapFlags.Mmapable)]
public partial struct SharedSamples;
