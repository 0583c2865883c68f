using System.Runtime.InteropServices;
using MapGen;
using static MapGen.BpfMapType;

namespace FlowCollector;

/// <summary>A flow as an XDP or tc program keys it: the 5-tuple (3 bytes of padding, which MapGen keeps zero).</summary>
[StructLayout(LayoutKind.Sequential)]
public record struct FlowKey(uint SrcIp, uint DstIp, ushort SrcPort, ushort DstPort, byte Proto);

/// <summary>What the program counts per flow.</summary>
public record struct FlowStats(ulong Packets, ulong Bytes);

/// <summary>One tenant's flows: the BPF program adds to them, the collector drains them.</summary>
[BpfMap(Hash, MaxEntries = 16384, Key = typeof(FlowKey), Value = typeof(FlowStats), Flags = BpfMapFlags.NoPrealloc)]
public partial struct FlowTable;

/// <summary>Tenant id to that tenant's flow table: the program looks its table up, then the flow.</summary>
[BpfMap(HashOfMaps, MaxEntries = 64, Key = typeof(uint))]
[InnerMap(typeof(FlowTable))]
public partial struct TenantFlows;

/// <summary>Packets per destination port, in a mappable array: read and written in place, no system call.</summary>
[BpfMap(BpfMapType.Array, MaxEntries = 65536, Value = typeof(ulong), Flags = BpfMapFlags.Mmapable)]
public partial struct PortHits;
