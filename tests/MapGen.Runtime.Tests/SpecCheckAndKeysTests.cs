using System.Runtime.InteropServices;
using MapGen.CompilerServices;
using MapGen.Runtime.Tests.Support;

namespace MapGen.Runtime.Tests;

/// <summary>A struct key, as the generator would emit it with its codec.</summary>
internal struct FlowKey
{
    public uint Address;
    public ushort Port;
}

internal readonly struct FlowKeyCodec : IBpfCodec<FlowKey>
{
    public static int Size => 8;

    public static void Write(Span<byte> destination, in FlowKey value)
    {
        destination[..Size].Clear();
        MemoryMarshal.Write(destination, value.Address);
        MemoryMarshal.Write(destination[4..], value.Port);
    }

    public static FlowKey Read(ReadOnlySpan<byte> source) =>
        new() { Address = MemoryMarshal.Read<uint>(source), Port = MemoryMarshal.Read<ushort>(source[4..]) };
}

/// <summary>Checks against a Spec where the kernel rounds max entries, the keys of maps with empty slots, and key messages.</summary>
public sealed class SpecCheckAndKeysTests : IDisposable
{
    private const string Name = "test_map";
    private readonly BpfRuntime _rt = Kernel.Runtime(cpus: 3);

    public void Dispose() => _rt.Dispose();

    [Theory]
    [InlineData(BpfMapType.LruHash)]
    [InlineData(BpfMapType.LruPerCpuHash)]
    public void A_per_cpu_lru_map_matches_its_own_spec_although_the_kernel_rounds_its_max_entries(BpfMapType type)
    {
        var spec = new BpfMapSpec("flows", type, 4, 8, 10, BpfMapFlags.NoCommonLru);
        using BpfMap created = MapOperations.Create(_rt, spec);
        // htab_map_alloc: roundup(max_entries, num_possible_cpus()).
        Assert.Equal(12u, created.Info.MaxEntries);
        Assert.Same(created, MapOperations.FromMap(created, spec));

        using BpfMap pinned = MapOperations.OpenOrCreate(_rt, "/sys/fs/bpf/test/flows", spec);
        using BpfMap opened = MapOperations.Open(_rt, "/sys/fs/bpf/test/flows", spec);
        using BpfMap again = MapOperations.OpenOrCreate(_rt, "/sys/fs/bpf/test/flows", spec);
        Assert.Equal(pinned.Id, again.Id);

        // A spec the map really differs from still fails, and says how the expectation was rounded.
        BpfMapMismatchException mismatch = Assert.Throws<BpfMapMismatchException>(
            () => MapOperations.FromMap(created, spec.WithMaxEntries(13)));
        BpfMapFieldMismatch field = Assert.Single(mismatch.Mismatches);
        Assert.Equal(nameof(BpfMapInfo.MaxEntries), field.Field);
        Assert.Contains("15", field.Expected, StringComparison.Ordinal);
        Assert.Equal("12", field.Actual);

        // Without NoCommonLru nothing is rounded.
        Assert.Equal(10u, BpfMapRules.KernelMaxEntries(type, BpfMapFlags.None, 10, 3));
    }

    [Fact]
    public void The_kernels_rounding_rounds_down_when_rounding_up_overflows()
    {
        Assert.Equal(12u, BpfMapRules.KernelMaxEntries(BpfMapType.LruHash, BpfMapFlags.NoCommonLru, 10, 4));
        Assert.Equal(0xFFFF_FFFCu, BpfMapRules.KernelMaxEntries(BpfMapType.LruHash, BpfMapFlags.NoCommonLru, 0xFFFF_FFFF, 4));
        Assert.Equal(10u, BpfMapRules.KernelMaxEntries(BpfMapType.Hash, BpfMapFlags.NoCommonLru, 10, 4));
    }

    [Fact]
    public void DevMap_keys_are_its_filled_slots_and_array_keys_every_index()
    {
        using BpfMap devmap = _rt.Create(BpfMapType.DevMap, 4, 4, 6);
        Assert.Empty(DataMapOperations.Keys<uint, U32Codec>(devmap, Name));
        Assert.Equal(BpfErrno.None, devmap.Update(1, 1));
        Assert.Equal(BpfErrno.None, devmap.Update(4, 2));
        Assert.Equal([1u, 4u], DataMapOperations.Keys<uint, U32Codec>(devmap, Name));
        Assert.Equal([1u, 4u], DataMapOperations.Entries<uint, U32Codec, uint, U32Codec>(devmap, Name).Select(e => e.Key));
        // ifindex 0 empties a slot again.
        Assert.Equal(BpfErrno.None, devmap.Update(1, 0));
        Assert.Equal([4u], DataMapOperations.Keys<uint, U32Codec>(devmap, Name));

        using BpfMap array = _rt.Create(BpfMapType.Array, 4, 4, 3);
        Assert.Equal([0u, 1u, 2u], DataMapOperations.Keys<uint, U32Codec>(array, Name));
        using BpfMap perCpu = _rt.Create(BpfMapType.PerCpuArray, 4, 4, 2);
        Assert.Equal([0u, 1u], DataMapOperations.Keys<uint, U32Codec>(perCpu, Name));
    }

    [Fact]
    public void Key_not_found_messages_show_struct_keys_by_their_bytes()
    {
        using BpfMap map = _rt.Create(BpfMapType.Hash, 8, 4, 4);
        var key = new FlowKey { Address = 0x0A00_0001, Port = 0x1F90 };
        KeyNotFoundException missing = Assert.Throws<KeyNotFoundException>(
            () => DataMapOperations.Lookup<FlowKey, FlowKeyCodec, uint, U32Codec>(map, Name, key));
        Assert.Contains("FlowKey (bytes 0100000a901f0000)", missing.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("MapGen.Runtime.Tests.FlowKey", missing.Message, StringComparison.Ordinal);

        using BpfMap perCpu = _rt.Create(BpfMapType.PerCpuHash, 8, 4, 4);
        missing = Assert.Throws<KeyNotFoundException>(
            () => DataMapOperations.LookupPerCpu<FlowKey, FlowKeyCodec, uint, U32Codec>(perCpu, Name, key));
        Assert.Contains("0100000a901f0000", missing.Message, StringComparison.Ordinal);

        // Numbers stay numbers.
        missing = Assert.Throws<KeyNotFoundException>(() => DataMapOperations.Lookup<uint, U32Codec, uint, U32Codec>(
            _rt.Create(BpfMapType.Hash, 4, 4, 4), Name, 1234));
        Assert.Contains("The key 1234 is not", missing.Message, StringComparison.Ordinal);

        var outerSpec = new BpfMapSpec("tables", BpfMapType.HashOfMaps, 8, 4, 4, innerMap: Counters.Spec);
        using BpfMap outer = MapOperations.Create(_rt, outerSpec);
        missing = Assert.Throws<KeyNotFoundException>(() => OuterMapOperations.Lookup<FlowKey, FlowKeyCodec, Counters>(outer, Name, key));
        Assert.Contains("slot FlowKey (bytes 0100000a901f0000)", missing.Message, StringComparison.Ordinal);
    }
}
