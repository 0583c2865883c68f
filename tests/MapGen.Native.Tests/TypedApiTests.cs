using MapGen.Testing;
using static MapGen.Native.Tests.Bytes;

namespace MapGen.Native.Tests;

/// <summary>The typed operations that generated code calls, on real kernel maps.</summary>
public sealed class TypedApiTests
{
    [Fact]
    public void Data_map_round_trip()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using Counters counters = Counters.Create(rt);
        counters.Update(1, 10);
        counters.Update(2, 20);
        Assert.Equal(10UL, counters.Lookup(1));
        Assert.True(counters.TryLookup(2, out ulong two));
        Assert.Equal(20UL, two);
        Assert.False(counters.TryLookup(3, out _));
        Assert.Throws<KeyNotFoundException>(() => counters.Lookup(3));

        BpfException e = Assert.Throws<BpfException>(() => counters.Update(1, 11, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EEXIST, e.Errno);
        Assert.Contains("counters", e.Message, StringComparison.Ordinal);

        Assert.Equal([1U, 2U], counters.Keys.Order());
        Assert.Equal([(1U, 10UL), (2U, 20UL)], counters.Entries.Select(kv => (kv.Key, kv.Value)).Order());
        Assert.True(counters.Delete(1));
        Assert.False(counters.Delete(1));
    }

    [Fact]
    public void Keys_with_padding_are_equal_kernel_keys()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using FlowTable flows = FlowTable.Create(rt);
        var key = new FlowKey(0x0a000001, 0x0a000002, 1234, 80, 6);
        flows.Update(key, new FlowStats(1, 100));
        flows.Update(key with { }, new FlowStats(2, 200));
        Assert.True(flows.TryLookup(new FlowKey(0x0a000001, 0x0a000002, 1234, 80, 6), out FlowStats stats));
        Assert.Equal(new FlowStats(2, 200), stats);
        Assert.Equal([key], flows.Entries.Select(kv => kv.Key));
    }

    [Fact]
    public void PerCpu_map_round_trip()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using CpuCounters counters = CpuCounters.Create(rt);
        ulong[] values = Enumerable.Range(1, rt.PossibleCpus).Select(i => (ulong)i * 1000).ToArray();
        counters.Update(3, values);
        Assert.Equal(values, counters.Lookup(3));
        KeyValuePair<uint, ulong[]>[] entries = counters.Entries.ToArray();
        Assert.Equal([0U, 1U, 2U, 3U], entries.Select(e => e.Key));
        Assert.Equal(values, entries[3].Value);
        Assert.All(entries[..3], e => Assert.All(e.Value, v => Assert.Equal(0UL, v)));
        Assert.Throws<ArgumentException>(() => counters.Update(0, new ulong[rt.PossibleCpus + 1]));
    }

    [Fact]
    public void Outer_lookups_return_borrowed_typed_inner_maps()
    {
        Kernel.RequireSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        Tenants tenants = Tenants.Create(rt);
        Counters borrowed;
        using (Counters inner = Counters.Create(rt, 100))
        {
            inner.Update(7, 77);
            tenants.Update(42, inner);
            borrowed = tenants.Lookup(42);
            Assert.False(borrowed.Map.IsOwned);
            Assert.Equal(inner.Map.Id, borrowed.Map.Id);
            Assert.Equal(100U, borrowed.Map.Info.MaxEntries);
        }

        // Our handle is closed; the slot holds the map, and the borrowed handle still works.
        Assert.Equal(77UL, borrowed.Lookup(7));
        borrowed.Dispose();
        Assert.Equal(77UL, borrowed.Lookup(7));

        // A steady-state lookup reuses the cached handle.
        Counters again = tenants.Lookup(42);
        Assert.Same(borrowed.Map, again.Map);
        Assert.False(tenants.TryLookup(43, out _));
        Assert.Equal([42U], tenants.Keys);
        Assert.Equal([42U], tenants.Entries.Select(e => e.Key));

        using (BpfMap owned = again.Map.Duplicate())
        {
            tenants.Dispose();
            Assert.Throws<ObjectDisposedException>(() => borrowed.Lookup(7));
            Assert.True(owned.IsOwned);
            Assert.Equal(BpfErrno.None, owned.TryLookup(U32(7), new byte[8]));
        }
    }

    [Fact]
    public void Array_of_maps_keys_are_the_filled_slots()
    {
        Kernel.RequireSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        using CounterTables tables = CounterTables.Create(rt);
        using Counters a = Counters.Create(rt);
        using Counters b = Counters.Create(rt, 5);
        tables.Update(3, a);
        tables.Update(60, b);
        Assert.Equal([3U, 60U], tables.Keys);
        Assert.Equal([(3U, a.Map.Id), (60U, b.Map.Id)], tables.Entries.Select(e => (e.Key, e.Value.Map.Id)));
        Assert.True(tables.Delete(3));
        Assert.False(tables.Delete(3));
        Assert.Equal([60U], tables.Keys);

        BpfException outOfRange = Assert.Throws<BpfException>(() => tables.Update(64, a));
        Assert.Equal(BpfErrno.E2BIG, outOfRange.Errno);
        BpfException flags = Assert.Throws<BpfException>(() => tables.Update(1, a, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EINVAL, flags.Errno);
    }

    [Fact]
    public void Outer_update_checks_the_inner_map_before_the_kernel()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using Tenants tenants = Tenants.Create(rt);
        using BpfMap wrongValue = Create(rt, BpfMapType.Hash, 4, 4, 16, name: "wrong_value");
        Counters impostor = TypedMaps.WrapUnchecked<Counters>(wrongValue);
        BpfMapMismatchException e = Assert.Throws<BpfMapMismatchException>(() => tenants.Update(1, impostor));
        BpfMapFieldMismatch field = Assert.Single(e.Mismatches);
        Assert.Equal(("ValueSize", "8", "4"), (field.Field, field.Expected, field.Actual));

        using BpfRuntime other = BpfRuntime.CreateEmulated();
        using Counters foreign = Counters.Create(other);
        Assert.Throws<ArgumentException>(() => tenants.Update(1, foreign));
    }

    [Fact]
    public void A_slot_holding_an_incompatible_map_is_reported_by_field()
    {
        Kernel.RequireSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        // An outer map made elsewhere, with another inner template than the declaration's.
        using BpfMap outer = OuterMapTests.CreateOuter(rt, BpfMapType.ArrayOfMaps, BpfMapType.Hash, 64);
        using (BpfMap inner = Create(rt, BpfMapType.Hash, 4, 4, 8, name: "foreign"))
        {
            Assert.Equal(BpfErrno.None, outer.TryUpdate(U32(0), U32((uint)inner.Fd)));
        }

        CounterTables tables = TypedMaps.WrapUnchecked<CounterTables>(outer);
        BpfMapMismatchException e = Assert.Throws<BpfMapMismatchException>(() => tables.Lookup(0));
        Assert.Equal("ValueSize", Assert.Single(e.Mismatches).Field);
        Assert.Contains("foreign", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UpdateBatch_fills_an_outer_map_in_one_call()
    {
        Kernel.RequireSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        using CounterTables tables = CounterTables.Create(rt);
        Counters[] inners = Enumerable.Range(0, 64).Select(_ => Counters.Create(rt)).ToArray();
        try
        {
            uint[] keys = Enumerable.Range(0, 64).Select(i => (uint)i).ToArray();
            tables.UpdateBatch(keys, inners);
            Assert.Equal(keys, tables.Keys);
            Assert.Equal(inners.Select(i => i.Map.Id), tables.Entries.Select(e => e.Value.Map.Id));

            // A refused slot stops the batch and says how many were written.
            using Tenants tenants = Tenants.Create(rt);
            uint[] tooMany = Enumerable.Range(0, 65).Select(i => (uint)i).ToArray();
            Counters[] oneMore = [.. inners, inners[0]];
            BpfBatchException e = Assert.Throws<BpfBatchException>(() => tenants.UpdateBatch(tooMany, oneMore));
            Assert.Equal(BpfErrno.E2BIG, e.Errno);
            Assert.Equal((64, 65), (e.Processed, e.Count));
            Assert.Contains("element 64 of 65", e.Message, StringComparison.Ordinal);
            Assert.Equal(64, tenants.Keys.Count());
        }
        finally
        {
            foreach (Counters inner in inners)
            {
                inner.Dispose();
            }
        }
    }
}
