using System.Runtime.InteropServices;
using MapGen.CompilerServices;
using MapGen.Runtime.Tests.Support;

namespace MapGen.Runtime.Tests;

/// <summary>Writes a <c>u32</c> as the kernel reads it (native endianness).</summary>
internal readonly struct U32Codec : IBpfCodec<uint>
{
    public static int Size => sizeof(uint);

    public static void Write(Span<byte> destination, in uint value) => MemoryMarshal.Write(destination, value);

    public static uint Read(ReadOnlySpan<byte> source) => MemoryMarshal.Read<uint>(source);
}

internal readonly struct U64Codec : IBpfCodec<ulong>
{
    public static int Size => sizeof(ulong);

    public static void Write(Span<byte> destination, in ulong value) => MemoryMarshal.Write(destination, value);

    public static ulong Read(ReadOnlySpan<byte> source) => MemoryMarshal.Read<ulong>(source);
}

/// <summary>What the generator emits for <c>[BpfMap(Array, MaxEntries = 4, Value = typeof(ulong))] partial struct Counters</c>.</summary>
internal readonly struct Counters : IBpfMap<Counters>
{
    private const string MapName = nameof(Counters);
    private readonly BpfMap? _map;

    private Counters(BpfMap map) => _map = map;

    public static BpfMapSpec Spec { get; } = new("counters", BpfMapType.Array, 4, 8, 4);

    public BpfMap Map => MapOperations.Live(_map, MapName);

    public static Counters Wrap(BpfMap map) => new(map);

    public static Counters Create(BpfRuntime runtime) => new(MapOperations.Create(runtime, Spec));

    public static Counters FromMap(BpfMap map) => new(MapOperations.FromMap(map, Spec));

    public bool TryLookup(in uint key, out ulong value) =>
        DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(_map, MapName, in key, out value);

    public void Update(in uint key, in ulong value) =>
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(_map, MapName, in key, in value, BpfUpdateFlags.Any);

    public void Dispose() => _map?.Dispose();
}

public sealed class TypedOperationsTests : IDisposable
{
    private const string Name = "test_map";
    private readonly BpfRuntime _rt = Kernel.Runtime(cpus: 3);

    public void Dispose() => _rt.Dispose();

    [Fact]
    public void Data_map_operations_round_trip_through_the_codecs()
    {
        using BpfMap map = _rt.Create(BpfMapType.Hash, 4, 8, 2);
        Assert.False(DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(map, Name, 1, out _));
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 1, 100, BpfUpdateFlags.Any);
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 2, 200, BpfUpdateFlags.NoExist);
        Assert.Equal(100ul, DataMapOperations.Lookup<uint, U32Codec, ulong, U64Codec>(map, Name, 1));
        Assert.Throws<KeyNotFoundException>(() => DataMapOperations.Lookup<uint, U32Codec, ulong, U64Codec>(map, Name, 3));
        Assert.Equal(BpfErrno.E2BIG, Assert.Throws<BpfException>(
            () => DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 3, 300, BpfUpdateFlags.Any)).Errno);
        Assert.Equal(BpfErrno.EEXIST, Assert.Throws<BpfException>(
            () => DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 1, 1, BpfUpdateFlags.NoExist)).Errno);
        Assert.Equal([1u, 2u], DataMapOperations.Keys<uint, U32Codec>(map, Name).Order());
        Assert.Equal(
            [new KeyValuePair<uint, ulong>(1, 100), new KeyValuePair<uint, ulong>(2, 200)],
            DataMapOperations.Entries<uint, U32Codec, ulong, U64Codec>(map, Name).OrderBy(e => e.Key));
        Assert.True(DataMapOperations.Delete<uint, U32Codec>(map, Name, 1));
        Assert.False(DataMapOperations.Delete<uint, U32Codec>(map, Name, 1));
    }

    [Fact]
    public void Deleting_from_an_array_is_a_kernel_error_not_false()
    {
        using BpfMap map = _rt.Create(BpfMapType.Array, 4, 8, 2);
        Assert.Equal(BpfErrno.EINVAL, Assert.Throws<BpfException>(() => DataMapOperations.Delete<uint, U32Codec>(map, Name, 0)).Errno);
        Assert.Equal([0u, 1u], DataMapOperations.Keys<uint, U32Codec>(map, Name));
    }

    [Fact]
    public void Per_cpu_operations_take_one_value_per_possible_cpu()
    {
        using BpfMap map = _rt.Create(BpfMapType.PerCpuHash, 4, 8, 4);
        DataMapOperations.UpdatePerCpu<uint, U32Codec, ulong, U64Codec>(map, Name, 5, [1, 2, 3], BpfUpdateFlags.Any);
        Assert.Equal([1ul, 2ul, 3ul], DataMapOperations.LookupPerCpu<uint, U32Codec, ulong, U64Codec>(map, Name, 5));
        ulong[] values = new ulong[3];
        Assert.True(DataMapOperations.TryLookupPerCpu<uint, U32Codec, ulong, U64Codec>(map, Name, 5, values));
        Assert.False(DataMapOperations.TryLookupPerCpu<uint, U32Codec, ulong, U64Codec>(map, Name, 6, values));
        Assert.Throws<ArgumentException>(() => DataMapOperations.UpdatePerCpu<uint, U32Codec, ulong, U64Codec>(map, Name, 5, [1, 2], BpfUpdateFlags.Any));
        KeyValuePair<uint, ulong[]> entry = Assert.Single(DataMapOperations.EntriesPerCpu<uint, U32Codec, ulong, U64Codec>(map, Name));
        Assert.Equal(5u, entry.Key);
        Assert.Equal([1ul, 2ul, 3ul], entry.Value);
    }

    [Fact]
    public void Outer_operations_put_inner_maps_in_and_give_borrowed_inner_maps_back()
    {
        var outerSpec = new BpfMapSpec("tables", BpfMapType.HashOfMaps, 4, 4, 8, innerMap: Counters.Spec);
        BpfMap outer = MapOperations.Create(_rt, outerSpec);
        using Counters counters = Counters.Create(_rt);
        counters.Update(2, 42);

        OuterMapOperations.Update<uint, U32Codec, Counters>(outer, Name, 7, counters, BpfUpdateFlags.Any);
        Assert.True(OuterMapOperations.TryLookup<uint, U32Codec, Counters>(outer, Name, 7, out Counters found));
        BpfMap borrowed = found.Map;
        Assert.False(borrowed.IsOwned);
        Assert.Equal(counters.Map.Id, found.Map.Id);
        Assert.True(found.TryLookup(2, out ulong value));
        Assert.Equal(42ul, value);
        // A steady-state lookup reuses the borrowed handle.
        Assert.Same(found.Map, OuterMapOperations.Lookup<uint, U32Codec, Counters>(outer, Name, 7).Map);
        found.Dispose();
        Assert.False(borrowed.IsDisposed);

        Assert.Throws<KeyNotFoundException>(() => OuterMapOperations.Lookup<uint, U32Codec, Counters>(outer, Name, 8));
        Assert.Equal([7u], OuterMapOperations.Keys<uint, U32Codec>(outer, Name));
        Assert.Equal(7u, Assert.Single(OuterMapOperations.Entries<uint, U32Codec, Counters>(outer, Name)).Key);

        Assert.True(OuterMapOperations.Delete<uint, U32Codec>(outer, Name, 7));
        Assert.False(OuterMapOperations.Delete<uint, U32Codec>(outer, Name, 7));
        // The typed API released the borrowed handle of the deleted slot.
        Assert.True(borrowed.IsDisposed);

        OuterMapOperations.Update<uint, U32Codec, Counters>(outer, Name, 9, counters, BpfUpdateFlags.Any);
        Counters again = OuterMapOperations.Lookup<uint, U32Codec, Counters>(outer, Name, 9);
        outer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => again.Map);
        Assert.Throws<ObjectDisposedException>(() => again.TryLookup(2, out _));
        // The inner map itself lives on: its own handle still works.
        Assert.True(counters.TryLookup(2, out _));
    }

    [Fact]
    public void Outer_updates_check_the_inner_map_before_the_kernel_does()
    {
        var outerSpec = new BpfMapSpec("arrays", BpfMapType.ArrayOfMaps, 4, 4, 4, innerMap: Counters.Spec);
        using BpfMap outer = MapOperations.Create(_rt, outerSpec);
        using BpfMap bigger = _rt.Create(BpfMapType.Array, 4, 8, 8);
        BpfMapMismatchException mismatch = Assert.Throws<BpfMapMismatchException>(
            () => OuterMapOperations.Update<uint, U32Codec, Counters>(outer, Name, 0, Counters.Wrap(bigger), BpfUpdateFlags.Any));
        Assert.Equal(nameof(BpfMapInfo.MaxEntries), Assert.Single(mismatch.Mismatches).Field);

        using BpfRuntime otherRuntime = Kernel.Runtime();
        using Counters foreign = Counters.Create(otherRuntime);
        Assert.Throws<ArgumentException>(() => OuterMapOperations.Update<uint, U32Codec, Counters>(outer, Name, 0, foreign, BpfUpdateFlags.Any));

        using Counters counters = Counters.Create(_rt);
        Assert.Equal(BpfErrno.E2BIG, Assert.Throws<BpfException>(
            () => OuterMapOperations.Update<uint, U32Codec, Counters>(outer, Name, 4, counters, BpfUpdateFlags.Any)).Errno);
        Assert.Equal(BpfErrno.EINVAL, Assert.Throws<BpfException>(
            () => OuterMapOperations.Update<uint, U32Codec, Counters>(outer, Name, 0, counters, BpfUpdateFlags.NoExist)).Errno);
    }

    [Fact]
    public void Outer_batch_updates_fill_every_slot_and_array_keys_skip_empty_slots()
    {
        var outerSpec = new BpfMapSpec("arrays", BpfMapType.ArrayOfMaps, 4, 4, 4, innerMap: Counters.Spec);
        using BpfMap outer = MapOperations.Create(_rt, outerSpec);
        using Counters a = Counters.Create(_rt);
        using Counters b = Counters.Create(_rt);
        OuterMapOperations.UpdateBatch<uint, U32Codec, Counters>(outer, Name, [0, 2, 3], [a, b, a]);
        Assert.Equal([0u, 2u, 3u], OuterMapOperations.Keys<uint, U32Codec>(outer, Name));
        Assert.Equal(b.Map.Id, OuterMapOperations.Lookup<uint, U32Codec, Counters>(outer, Name, 2).Map.Id);
        Assert.Equal(a.Map.Id, OuterMapOperations.Lookup<uint, U32Codec, Counters>(outer, Name, 3).Map.Id);

        BpfBatchException failed = Assert.Throws<BpfBatchException>(() => OuterMapOperations.UpdateBatch<uint, U32Codec, Counters>(outer, Name, [1, 9], [b, b]));
        Assert.Equal(BpfErrno.E2BIG, failed.Errno);
        Assert.Equal(1, failed.Processed);
        Assert.Equal(b.Map.Id, OuterMapOperations.Lookup<uint, U32Codec, Counters>(outer, Name, 1).Map.Id);
    }

    [Fact]
    public void Map_operations_create_open_pin_and_check_against_the_spec()
    {
        using Counters created = Counters.Create(_rt);
        Assert.Equal(Counters.Spec.MaxEntries, created.Map.Info.MaxEntries);
        using BpfMap larger = MapOperations.Create(_rt, new BpfMapSpec("h", BpfMapType.Hash, 4, 4, 4), 16);
        Assert.Equal(16u, larger.Info.MaxEntries);

        using BpfMap pinned = MapOperations.OpenOrCreate(_rt, "/sys/fs/bpf/test/counters", Counters.Spec);
        using BpfMap reopened = MapOperations.OpenOrCreate(_rt, "/sys/fs/bpf/test/counters", Counters.Spec);
        Assert.Equal(pinned.Id, reopened.Id);
        using BpfMap opened = MapOperations.Open(_rt, "/sys/fs/bpf/test/counters", Counters.Spec);
        Assert.Equal(pinned.Id, opened.Id);

        BpfMapMismatchException mismatch = Assert.Throws<BpfMapMismatchException>(
            () => MapOperations.Open(_rt, "/sys/fs/bpf/test/counters", Counters.Spec.WithMaxEntries(5)));
        Assert.Equal(nameof(BpfMapInfo.MaxEntries), Assert.Single(mismatch.Mismatches).Field);

        using BpfMap devmap = _rt.Create(BpfMapType.DevMap, 4, 4, 4);
        // RdOnlyProg, which the kernel adds to device maps, is not a mismatch.
        Assert.Same(devmap, MapOperations.FromMap(devmap, new BpfMapSpec("d", BpfMapType.DevMap, 4, 4, 4)));
        Assert.Throws<BpfMapMismatchException>(() => Counters.FromMap(devmap));

        MapOperations.Unpin(pinned, Name, "/sys/fs/bpf/test/counters");
        Assert.Equal(BpfErrno.ENOENT, _rt.TryOpenPinned("/sys/fs/bpf/test/counters", out _));
        MapOperations.Pin(pinned, Name, "/sys/fs/bpf/test/again");
        Assert.Throws<ObjectDisposedException>(() => default(Counters).Map);
    }
}
