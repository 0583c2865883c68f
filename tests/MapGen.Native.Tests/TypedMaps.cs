using System.Runtime.InteropServices;
using MapGen.CompilerServices;

// Hand-written equivalents of what the generator emits for a few declarations, so that the typed
// operations run on the native runtime independently of the generator:
//
//   [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))] partial struct Counters;
//   [BpfMap(HashOfMaps, MaxEntries = 64, Key = typeof(uint))] [InnerMap(typeof(Counters))] partial struct Tenants;
//   [BpfMap(ArrayOfMaps, MaxEntries = 64)] [InnerMap(typeof(Counters))] partial struct CounterTables;
//   [BpfMap(PerCpuArray, MaxEntries = 4, Value = typeof(ulong))] partial struct CpuCounters;
//   [BpfMap(Hash, MaxEntries = 65536, Key = typeof(FlowKey), Value = typeof(FlowStats))] partial struct FlowTable;
namespace MapGen.Native.Tests;

internal readonly struct U32Codec : IBpfCodec<uint>
{
    public static int Size => 4;

    public static void Write(Span<byte> destination, in uint value) => MemoryMarshal.Write(destination, value);

    public static uint Read(ReadOnlySpan<byte> source) => MemoryMarshal.Read<uint>(source);
}

internal readonly struct U64Codec : IBpfCodec<ulong>
{
    public static int Size => 8;

    public static void Write(Span<byte> destination, in ulong value) => MemoryMarshal.Write(destination, value);

    public static ulong Read(ReadOnlySpan<byte> source) => MemoryMarshal.Read<ulong>(source);
}

/// <summary>A key with 3 bytes of tail padding (C: 16 bytes), written field by field.</summary>
internal record struct FlowKey(uint SrcIp, uint DstIp, ushort SrcPort, ushort DstPort, byte Proto);

internal record struct FlowStats(ulong Packets, ulong Bytes);

internal readonly struct FlowKeyCodec : IBpfCodec<FlowKey>
{
    public static int Size => 16;

    public static void Write(Span<byte> destination, in FlowKey value)
    {
        destination[..Size].Clear();
        MemoryMarshal.Write(destination, value.SrcIp);
        MemoryMarshal.Write(destination[4..], value.DstIp);
        MemoryMarshal.Write(destination[8..], value.SrcPort);
        MemoryMarshal.Write(destination[10..], value.DstPort);
        destination[12] = value.Proto;
    }

    public static FlowKey Read(ReadOnlySpan<byte> source) => new(
        MemoryMarshal.Read<uint>(source),
        MemoryMarshal.Read<uint>(source[4..]),
        MemoryMarshal.Read<ushort>(source[8..]),
        MemoryMarshal.Read<ushort>(source[10..]),
        source[12]);
}

internal readonly struct FlowStatsCodec : IBpfCodec<FlowStats>
{
    public static int Size => 16;

    public static void Write(Span<byte> destination, in FlowStats value)
    {
        MemoryMarshal.Write(destination, value.Packets);
        MemoryMarshal.Write(destination[8..], value.Bytes);
    }

    public static FlowStats Read(ReadOnlySpan<byte> source) => new(MemoryMarshal.Read<ulong>(source), MemoryMarshal.Read<ulong>(source[8..]));
}

internal readonly struct Counters : IBpfMap<Counters>
{
    private const string TypeName = nameof(Counters);
    private readonly BpfMap? _map;

    private Counters(BpfMap map) => _map = map;

    public static BpfMapSpec Spec { get; } = new("counters", BpfMapType.Hash, 4, 8, 16);

    public BpfMap Map => MapOperations.Live(_map, TypeName);

    public static Counters Create(BpfRuntime runtime) => new(MapOperations.Create(runtime, Spec));

    public static Counters Create(BpfRuntime runtime, uint maxEntries) => new(MapOperations.Create(runtime, Spec, maxEntries));

    public static Counters Open(BpfRuntime runtime, string pinnedPath) => new(MapOperations.Open(runtime, pinnedPath, Spec));

    public static Counters OpenOrCreate(BpfRuntime runtime, string pinnedPath) => new(MapOperations.OpenOrCreate(runtime, pinnedPath, Spec));

    public static Counters FromMap(BpfMap map) => new(MapOperations.FromMap(map, Spec));

    public bool TryLookup(in uint key, out ulong value) => DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(_map, TypeName, in key, out value);

    public ulong Lookup(in uint key) => DataMapOperations.Lookup<uint, U32Codec, ulong, U64Codec>(_map, TypeName, in key);

    public void Update(in uint key, in ulong value, BpfUpdateFlags flags = BpfUpdateFlags.Any) =>
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(_map, TypeName, in key, in value, flags);

    public bool Delete(in uint key) => DataMapOperations.Delete<uint, U32Codec>(_map, TypeName, in key);

    public IEnumerable<uint> Keys => DataMapOperations.Keys<uint, U32Codec>(_map, TypeName);

    public IEnumerable<KeyValuePair<uint, ulong>> Entries => DataMapOperations.Entries<uint, U32Codec, ulong, U64Codec>(_map, TypeName);

    public void Pin(string path) => MapOperations.Pin(_map, TypeName, path);

    public void Unpin(string path) => MapOperations.Unpin(_map, TypeName, path);

    public void Dispose() => _map?.Dispose();

    static Counters IBpfMap<Counters>.Wrap(BpfMap map) => new(map);
}

internal readonly struct Tenants : IBpfMap<Tenants>
{
    private const string TypeName = nameof(Tenants);
    private readonly BpfMap? _map;

    private Tenants(BpfMap map) => _map = map;

    public static BpfMapSpec Spec { get; } = new("tenants", BpfMapType.HashOfMaps, 4, 4, 64, BpfMapFlags.None, Counters.Spec);

    public BpfMap Map => MapOperations.Live(_map, TypeName);

    public static Tenants Create(BpfRuntime runtime) => new(MapOperations.Create(runtime, Spec));

    public bool TryLookup(in uint key, out Counters inner) => OuterMapOperations.TryLookup<uint, U32Codec, Counters>(_map, TypeName, in key, out inner);

    public Counters Lookup(in uint key) => OuterMapOperations.Lookup<uint, U32Codec, Counters>(_map, TypeName, in key);

    public void Update(in uint key, Counters inner, BpfUpdateFlags flags = BpfUpdateFlags.Any) =>
        OuterMapOperations.Update<uint, U32Codec, Counters>(_map, TypeName, in key, inner, flags);

    public void UpdateBatch(ReadOnlySpan<uint> keys, ReadOnlySpan<Counters> inners) =>
        OuterMapOperations.UpdateBatch<uint, U32Codec, Counters>(_map, TypeName, keys, inners);

    public bool Delete(in uint key) => OuterMapOperations.Delete<uint, U32Codec>(_map, TypeName, in key);

    public IEnumerable<uint> Keys => OuterMapOperations.Keys<uint, U32Codec>(_map, TypeName);

    public IEnumerable<KeyValuePair<uint, Counters>> Entries => OuterMapOperations.Entries<uint, U32Codec, Counters>(_map, TypeName);

    public void Dispose() => _map?.Dispose();

    static Tenants IBpfMap<Tenants>.Wrap(BpfMap map) => new(map);
}

internal readonly struct CounterTables : IBpfMap<CounterTables>
{
    private const string TypeName = nameof(CounterTables);
    private readonly BpfMap? _map;

    private CounterTables(BpfMap map) => _map = map;

    public static BpfMapSpec Spec { get; } = new("counter_tables", BpfMapType.ArrayOfMaps, 4, 4, 64, BpfMapFlags.None, Counters.Spec);

    public BpfMap Map => MapOperations.Live(_map, TypeName);

    public static CounterTables Create(BpfRuntime runtime) => new(MapOperations.Create(runtime, Spec));

    public bool TryLookup(in uint key, out Counters inner) => OuterMapOperations.TryLookup<uint, U32Codec, Counters>(_map, TypeName, in key, out inner);

    public Counters Lookup(in uint key) => OuterMapOperations.Lookup<uint, U32Codec, Counters>(_map, TypeName, in key);

    public void Update(in uint key, Counters inner, BpfUpdateFlags flags = BpfUpdateFlags.Any) =>
        OuterMapOperations.Update<uint, U32Codec, Counters>(_map, TypeName, in key, inner, flags);

    public void UpdateBatch(ReadOnlySpan<uint> keys, ReadOnlySpan<Counters> inners) =>
        OuterMapOperations.UpdateBatch<uint, U32Codec, Counters>(_map, TypeName, keys, inners);

    public bool Delete(in uint key) => OuterMapOperations.Delete<uint, U32Codec>(_map, TypeName, in key);

    public IEnumerable<uint> Keys => OuterMapOperations.Keys<uint, U32Codec>(_map, TypeName);

    public IEnumerable<KeyValuePair<uint, Counters>> Entries => OuterMapOperations.Entries<uint, U32Codec, Counters>(_map, TypeName);

    public void Dispose() => _map?.Dispose();

    static CounterTables IBpfMap<CounterTables>.Wrap(BpfMap map) => new(map);
}

internal readonly struct CpuCounters : IBpfMap<CpuCounters>
{
    private const string TypeName = nameof(CpuCounters);
    private readonly BpfMap? _map;

    private CpuCounters(BpfMap map) => _map = map;

    public static BpfMapSpec Spec { get; } = new("cpu_counters", BpfMapType.PerCpuArray, 4, 8, 4);

    public BpfMap Map => MapOperations.Live(_map, TypeName);

    public static CpuCounters Create(BpfRuntime runtime) => new(MapOperations.Create(runtime, Spec));

    public ulong[] Lookup(in uint key) => DataMapOperations.LookupPerCpu<uint, U32Codec, ulong, U64Codec>(_map, TypeName, in key);

    public void Update(in uint key, ReadOnlySpan<ulong> values, BpfUpdateFlags flags = BpfUpdateFlags.Any) =>
        DataMapOperations.UpdatePerCpu<uint, U32Codec, ulong, U64Codec>(_map, TypeName, in key, values, flags);

    public IEnumerable<KeyValuePair<uint, ulong[]>> Entries => DataMapOperations.EntriesPerCpu<uint, U32Codec, ulong, U64Codec>(_map, TypeName);

    public void Dispose() => _map?.Dispose();

    static CpuCounters IBpfMap<CpuCounters>.Wrap(BpfMap map) => new(map);
}

internal readonly struct FlowTable : IBpfMap<FlowTable>
{
    private const string TypeName = nameof(FlowTable);
    private readonly BpfMap? _map;

    private FlowTable(BpfMap map) => _map = map;

    public static BpfMapSpec Spec { get; } = new("flow_table", BpfMapType.Hash, 16, 16, 65536, BpfMapFlags.NoPrealloc);

    public BpfMap Map => MapOperations.Live(_map, TypeName);

    public static FlowTable Create(BpfRuntime runtime) => new(MapOperations.Create(runtime, Spec));

    public bool TryLookup(in FlowKey key, out FlowStats value) =>
        DataMapOperations.TryLookup<FlowKey, FlowKeyCodec, FlowStats, FlowStatsCodec>(_map, TypeName, in key, out value);

    public void Update(in FlowKey key, in FlowStats value, BpfUpdateFlags flags = BpfUpdateFlags.Any) =>
        DataMapOperations.Update<FlowKey, FlowKeyCodec, FlowStats, FlowStatsCodec>(_map, TypeName, in key, in value, flags);

    public IEnumerable<KeyValuePair<FlowKey, FlowStats>> Entries =>
        DataMapOperations.Entries<FlowKey, FlowKeyCodec, FlowStats, FlowStatsCodec>(_map, TypeName);

    public IEnumerable<FlowKey> Keys => DataMapOperations.Keys<FlowKey, FlowKeyCodec>(_map, TypeName);

    public void UpdateBatch(ReadOnlySpan<FlowKey> keys, ReadOnlySpan<FlowStats> values) =>
        DataMapOperations.UpdateBatch<FlowKey, FlowKeyCodec, FlowStats, FlowStatsCodec>(_map, TypeName, keys, values);

    public int DeleteBatch(ReadOnlySpan<FlowKey> keys) => DataMapOperations.DeleteBatch<FlowKey, FlowKeyCodec>(_map, TypeName, keys);

    public KeyValuePair<FlowKey, FlowStats>[] Drain() => DataMapOperations.Drain<FlowKey, FlowKeyCodec, FlowStats, FlowStatsCodec>(_map, TypeName);

    public void Dispose() => _map?.Dispose();

    static FlowTable IBpfMap<FlowTable>.Wrap(BpfMap map) => new(map);
}

//   [BpfMap(Array, MaxEntries = 64, Value = typeof(ulong), Flags = BpfMapFlags.Mmapable)] partial struct MappedCounters;
internal readonly struct MappedCounters : IBpfMap<MappedCounters>
{
    private const string TypeName = nameof(MappedCounters);
    private readonly BpfMap? _map;

    private MappedCounters(BpfMap map) => _map = map;

    public static BpfMapSpec Spec { get; } = new("mapped_counters", BpfMapType.Array, 4, 8, 64, BpfMapFlags.Mmapable);

    public BpfMap Map => MapOperations.Live(_map, TypeName);

    public static MappedCounters Create(BpfRuntime runtime) => new(MapOperations.Create(runtime, Spec));

    public static MappedCounters FromMap(BpfMap map) => new(MapOperations.FromMap(map, Spec));

    public ulong Lookup(in uint key) => DataMapOperations.Lookup<uint, U32Codec, ulong, U64Codec>(_map, TypeName, in key);

    public void Update(in uint key, in ulong value, BpfUpdateFlags flags = BpfUpdateFlags.Any) =>
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(_map, TypeName, in key, in value, flags);

    public BpfContiguousArrayView<ulong> CreateView() => DataMapOperations.CreateContiguousView<ulong>(_map, TypeName);

    public void Pin(string path) => MapOperations.Pin(_map, TypeName, path);

    public void Dispose() => _map?.Dispose();

    static MappedCounters IBpfMap<MappedCounters>.Wrap(BpfMap map) => new(map);
}

// The C# declarations of Interop/array_of_devmaps.bpf.c:
//   [BpfMap(DevMap, MaxEntries = 32)] partial struct TxPorts;
//   [BpfMap(ArrayOfMaps, MaxEntries = 32)] [InnerMap(typeof(TxPorts))] partial struct TxPortTables;
internal readonly struct TxPorts : IBpfMap<TxPorts>
{
    private const string TypeName = nameof(TxPorts);
    private readonly BpfMap? _map;

    private TxPorts(BpfMap map) => _map = map;

    public static BpfMapSpec Spec { get; } = new("tx_ports", BpfMapType.DevMap, 4, 4, 32);

    public BpfMap Map => MapOperations.Live(_map, TypeName);

    public static TxPorts Create(BpfRuntime runtime) => new(MapOperations.Create(runtime, Spec));

    public static TxPorts Open(BpfRuntime runtime, string pinnedPath) => new(MapOperations.Open(runtime, pinnedPath, Spec));

    public bool TryLookup(in uint key, out uint value) => DataMapOperations.TryLookup<uint, U32Codec, uint, U32Codec>(_map, TypeName, in key, out value);

    public void Update(in uint key, in uint value, BpfUpdateFlags flags = BpfUpdateFlags.Any) =>
        DataMapOperations.Update<uint, U32Codec, uint, U32Codec>(_map, TypeName, in key, in value, flags);

    public void Dispose() => _map?.Dispose();

    static TxPorts IBpfMap<TxPorts>.Wrap(BpfMap map) => new(map);
}

internal readonly struct TxPortTables : IBpfMap<TxPortTables>
{
    private const string TypeName = nameof(TxPortTables);
    private readonly BpfMap? _map;

    private TxPortTables(BpfMap map) => _map = map;

    public static BpfMapSpec Spec { get; } = new("tx_port_tables", BpfMapType.ArrayOfMaps, 4, 4, 32, BpfMapFlags.None, TxPorts.Spec);

    public BpfMap Map => MapOperations.Live(_map, TypeName);

    public static TxPortTables Open(BpfRuntime runtime, string pinnedPath) => new(MapOperations.Open(runtime, pinnedPath, Spec));

    public bool TryLookup(in uint key, out TxPorts inner) => OuterMapOperations.TryLookup<uint, U32Codec, TxPorts>(_map, TypeName, in key, out inner);

    public void Update(in uint key, TxPorts inner, BpfUpdateFlags flags = BpfUpdateFlags.Any) =>
        OuterMapOperations.Update<uint, U32Codec, TxPorts>(_map, TypeName, in key, inner, flags);

    public IEnumerable<uint> Keys => OuterMapOperations.Keys<uint, U32Codec>(_map, TypeName);

    public void Dispose() => _map?.Dispose();

    static TxPortTables IBpfMap<TxPortTables>.Wrap(BpfMap map) => new(map);
}
