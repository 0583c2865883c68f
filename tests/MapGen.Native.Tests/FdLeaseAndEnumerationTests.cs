using MapGen.CompilerServices;
using MapGen.Native;
using static MapGen.Native.Tests.Bytes;

namespace MapGen.Native.Tests;

/// <summary>
/// Fd leases on kernel handles, specs the kernel rounds, the keys of device maps, and enumeration
/// of arrays of maps on kernels whose batched read stops at an empty slot.
/// </summary>
public sealed class FdLeaseAndEnumerationTests
{
    private const string Name = "test_map";

    [Fact]
    public void A_lease_keeps_a_disposed_handles_fd_on_its_map_until_it_ends()
    {
        using BpfRuntime rt = Kernel.Runtime();
        BpfMap map = Create(rt, BpfMapType.Array, 4, 8, 2);
        uint id = map.Id;
        FdLease lease = map.LeaseFd();
        int fd = lease.Fd;
        map.Dispose();
        Assert.True(map.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => map.LeaseFd().Dispose());

        // The fd still names the map: no other object can have its number.
        Assert.Equal(BpfErrno.None, BpfSyscall.MapInfo(fd, out MapInfoStruct info));
        Assert.Equal(id, info.Id);

        lease.Dispose();
        // Closed now: the number names nothing, or (reused by another thread) another object.
        Assert.True(BpfSyscall.MapInfo(fd, out MapInfoStruct after) != BpfErrno.None || after.Id != id);
    }

    [Theory]
    [InlineData(BpfMapType.LruHash)]
    [InlineData(BpfMapType.LruPerCpuHash)]
    public void A_per_cpu_lru_map_matches_its_own_spec_although_the_kernel_rounds_its_max_entries(BpfMapType type)
    {
        using BpfRuntime rt = Kernel.Runtime();
        uint maxEntries = (uint)rt.PossibleCpus + 1;
        var spec = new BpfMapSpec("lru_flows", type, 4, 8, maxEntries, BpfMapFlags.NoCommonLru);
        using BpfMap created = MapOperations.Create(rt, spec);
        uint rounded = BpfMapRules.KernelMaxEntries(type, BpfMapFlags.NoCommonLru, maxEntries, rt.PossibleCpus);
        Assert.Equal(rounded, created.Info.MaxEntries);
        if (rt.PossibleCpus > 1)
        {
            Assert.Equal(2u * (uint)rt.PossibleCpus, created.Info.MaxEntries);
        }

        Assert.Same(created, MapOperations.FromMap(created, spec));
        Assert.Throws<BpfMapMismatchException>(() => MapOperations.FromMap(created, spec.WithMaxEntries(rounded + 1)));
    }

    [Fact]
    public void DevMap_keys_are_its_filled_slots()
    {
        Kernel.RequireNetAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap devmap = Create(rt, BpfMapType.DevMap, 4, 4, 6);
        Assert.Empty(DataMapOperations.Keys<uint, U32Codec>(devmap, Name));
        Assert.Equal(BpfErrno.None, devmap.TryUpdate(U32(2), U32(1)));
        Assert.Equal(BpfErrno.None, devmap.TryUpdate(U32(5), U32(1)));
        Assert.Equal([2u, 5u], DataMapOperations.Keys<uint, U32Codec>(devmap, Name));
        Assert.Equal([2u, 5u], DataMapOperations.Entries<uint, U32Codec, uint, U32Codec>(devmap, Name).Select(e => e.Key));
    }

    [Theory]
    [InlineData(new uint[] { 0, 1, 4, 6 })]
    [InlineData(new uint[] { 2, 3, 7 })]
    [InlineData(new uint[] { 0, 1, 2, 3, 4, 5, 6, 7 })]
    [InlineData(new uint[] { })]
    public void Array_of_maps_enumeration_falls_back_to_the_walk_where_the_kernels_batch_stops_at_an_empty_slot(uint[] filled)
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap template = Create(rt, BpfMapType.Array, 4, 8, 2);
        using BpfMap outer = Create(rt, BpfMapType.ArrayOfMaps, 4, 4, 8, innerMapFd: template.Fd);
        using BpfMap inner = Create(rt, BpfMapType.Array, 4, 8, 2);
        foreach (uint slot in filled)
        {
            Assert.Equal(BpfErrno.None, outer.TryUpdate(U32(slot), U32((uint)inner.Fd)));
        }

        // Answer as generic_map_lookup_batch did before "bpf: skip non existing keys in
        // generic_map_lookup_batch" (2025): EINTR at the first empty slot, with what came before it.
        int interrupted = 0;
        uint next = 0;
        ((NativeMap)outer).LookupBatchHook = (BpfErrno errno, Span<byte> keys, Span<byte> outBatch, ref int count) =>
        {
            for (int i = 0; i < count; i++)
            {
                if (ReadU32(keys[(i * 4)..]) != next)
                {
                    return Interrupt(ref count, i, keys, outBatch);
                }

                next++;
            }

            return errno == BpfErrno.ENOENT && next < 8 ? Interrupt(ref count, count, keys, outBatch) : errno;
        };

        BpfErrno Interrupt(ref int count, int readBefore, Span<byte> keys, Span<byte> outBatch)
        {
            interrupted++;
            count = readBefore;
            if (readBefore > 0)
            {
                keys.Slice((readBefore - 1) * 4, 4).CopyTo(outBatch);
            }

            return BpfErrno.EINTR;
        }

        Assert.Equal(filled, KeyEnumeration.RawKeys(outer).Select(k => ReadU32(k)));
        next = 0;
        Assert.Equal(
            filled.Select(slot => (slot, inner.Id)),
            KeyEnumeration.RawEntries(outer).Select(e => (ReadU32(e.Key.Span), ReadU32(e.Value.Span))));
        Assert.Equal(filled.Length == 8 ? 0 : 2, interrupted);
    }
}
