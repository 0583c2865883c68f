using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MapGen.Tests.TypedApi;

/// <summary>The generated typed API on the emulated runtime, as a consumer uses it.</summary>
public sealed class TypedApiTests : IDisposable
{
    private readonly BpfRuntime _runtime = BpfRuntime.CreateEmulated(new Emulation.EmulatedRuntimeOptions
    {
        PossibleCpus = 4,
        NetworkInterfaces = [new("lo", 1), new("eth0", 2), new("eth1", 3)],
    });

    public void Dispose() => _runtime.Dispose();

    [Fact]
    public void Spec_carries_the_declaration()
    {
        Assert.Equal("flow_table", FlowTable.Spec.Name);
        Assert.Equal(BpfMapType.Hash, FlowTable.Spec.Type);
        Assert.Equal(16u, FlowTable.Spec.KeySize);
        Assert.Equal(16u, FlowTable.Spec.ValueSize);
        Assert.Equal(65536u, FlowTable.Spec.MaxEntries);
        Assert.Equal(BpfMapFlags.NoPrealloc, FlowTable.Spec.Flags);
        Assert.Null(FlowTable.Spec.InnerMap);

        Assert.Equal("tx_port_tables", TxPortTables.Spec.Name);
        Assert.Equal(4u, TxPortTables.Spec.KeySize);
        Assert.Equal(4u, TxPortTables.Spec.ValueSize);
        Assert.Same(TxPorts.Spec, TxPortTables.Spec.InnerMap);
        Assert.Equal("tenant_flows", TenantFlows.Spec.Name);
    }

    [Fact]
    public void Computed_sizes_equal_the_runtime_sizes_of_the_types()
    {
        Assert.Equal((uint)Unsafe.SizeOf<FlowKey>(), FlowTable.Spec.KeySize);
        Assert.Equal((uint)Unsafe.SizeOf<PackedKey>(), LayoutShapes.Spec.KeySize);
        Assert.Equal((uint)Unsafe.SizeOf<NestedValue>(), LayoutShapes.Spec.ValueSize);
        Assert.Equal((uint)Unsafe.SizeOf<ExplicitValue>(), ExplicitShapes.Spec.ValueSize);
        Assert.Equal(1u, ExplicitShapes.Spec.KeySize);
        Assert.Equal(8u, PerCpuStats.Spec.ValueSize);
    }

    [Fact]
    public void Data_map_round_trips_struct_keys_and_values()
    {
        using FlowTable table = FlowTable.Create(_runtime);
        var key = new FlowKey { SrcIp = 0x0a000001, DstIp = 0x0a000002, SrcPort = 1234, DstPort = 80, Proto = 6 };
        table.Update(key, new FlowStats { Packets = 3, Bytes = 180 });
        Assert.True(table.TryLookup(key, out FlowStats stats));
        Assert.Equal(3ul, stats.Packets);
        Assert.Equal(180ul, table.Lookup(key).Bytes);
        Assert.Equal([key], table.Keys.ToArray());
        Assert.Equal(180ul, Assert.Single(table.Entries).Value.Bytes);
        Assert.True(table.Delete(key));
        Assert.False(table.Delete(key));
        Assert.False(table.TryLookup(key, out _));
    }

    [Fact]
    public void Lookup_of_an_absent_key_throws_KeyNotFoundException()
    {
        using FlowTable table = FlowTable.Create(_runtime);
        var e = Assert.Throws<KeyNotFoundException>(() => table.Lookup(new FlowKey { SrcIp = 1 }));
        Assert.Contains("flow_table", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refused_updates_throw_BpfException_with_the_kernels_errno()
    {
        using Counters counters = Counters.Create(_runtime);
        var outOfRange = Assert.Throws<BpfException>(() => counters.Update(8, 1));
        Assert.Equal(BpfErrno.E2BIG, outOfRange.Errno);
        Assert.Contains("counters", outOfRange.Message, StringComparison.Ordinal);
        Assert.Equal(BpfErrno.EEXIST, Assert.Throws<BpfException>(() => counters.Update(0, 1, BpfUpdateFlags.NoExist)).Errno);

        using TxPorts ports = TxPorts.Create(_runtime);
        Assert.Equal(BpfErrno.EINVAL, Assert.Throws<BpfException>(() => ports.Update(0, 42)).Errno);
        ports.Update(0, 2);
        Assert.Equal(2u, ports.Lookup(0));
    }

    [Fact]
    public void Keys_equal_field_by_field_find_the_same_entry_whatever_their_padding_held()
    {
        using FlowTable table = FlowTable.Create(_runtime);
        FlowKey clean = default;
        clean.SrcIp = 7;
        clean.DstPort = 443;
        clean.Proto = 17;

        // The same fields, over padding bytes full of garbage.
        FlowKey dirty = default;
        MemoryMarshal.AsBytes(new Span<FlowKey>(ref dirty)).Fill(0xA5);
        dirty.SrcIp = 7;
        dirty.DstIp = 0;
        dirty.SrcPort = 0;
        dirty.DstPort = 443;
        dirty.Proto = 17;
        Assert.NotEqual(MemoryMarshal.AsBytes(new Span<FlowKey>(ref clean)).ToArray(), MemoryMarshal.AsBytes(new Span<FlowKey>(ref dirty)).ToArray());

        table.Update(clean, new FlowStats { Packets = 1 });
        Assert.Equal(1ul, table.Lookup(dirty).Packets);
        table.Update(dirty, new FlowStats { Packets = 2 });
        Assert.Single(table.Keys);
        Assert.Equal(2ul, table.Lookup(clean).Packets);
    }

    [Fact]
    public void Outer_lookup_returns_the_typed_borrowed_inner_map()
    {
        using TxPortTables tables = TxPortTables.Create(_runtime);
        using TxPorts ports = TxPorts.Create(_runtime);
        ports.Update(0, 2);
        tables.Update(1, ports);

        TxPorts found = tables.Lookup(1);
        Assert.Equal(ports.Map.Id, found.Map.Id);
        Assert.False(found.Map.IsOwned);
        Assert.Equal(2u, found.Lookup(0));
        found.Dispose();
        Assert.Equal(2u, found.Lookup(0));
        Assert.True(tables.TryLookup(1, out TxPorts again));
        Assert.Same(found.Map, again.Map);
        Assert.False(tables.TryLookup(0, out _));
        Assert.Throws<KeyNotFoundException>(() => tables.Lookup(0));
        Assert.Equal([1u], tables.Keys.ToArray());
    }

    [Fact]
    public void A_borrowed_inner_map_stays_valid_while_another_slot_it_was_found_in_holds_it()
    {
        using TxPortTables tables = TxPortTables.Create(_runtime);
        using TxPorts shared = TxPorts.Create(_runtime);
        using TxPorts replacement = TxPorts.Create(_runtime);
        shared.Update(0, 2);
        tables.Update(0, shared);
        tables.Update(1, shared);
        TxPorts fromSlot0 = tables.Lookup(0);
        TxPorts fromSlot1 = tables.Lookup(1);
        Assert.Same(fromSlot0.Map, fromSlot1.Map);

        // Slot 1 still holds the map: replacing slot 0 must not release the handle found there.
        tables.Update(0, replacement);
        Assert.Equal(2u, fromSlot1.Lookup(0));

        // Once no slot it was found in holds it, the borrowed handle is released.
        tables.Delete(1);
        Assert.Throws<ObjectDisposedException>(() => fromSlot1.Lookup(0));
        Assert.Equal(2u, shared.Lookup(0));
    }

    [Fact]
    public void Inner_maps_outlive_their_handles_while_a_slot_holds_them()
    {
        using TenantFlows tenants = TenantFlows.Create(_runtime);
        uint id;
        using (FlowTable table = FlowTable.Create(_runtime, maxEntries: 16))
        {
            table.Update(new FlowKey { SrcIp = 9 }, new FlowStats { Bytes = 99 });
            tenants.Update(42, table);
            id = table.Map.Id;
        }

        FlowTable inner = tenants.Lookup(42);
        Assert.Equal(id, inner.Map.Id);
        Assert.Equal(16u, inner.Map.Info.MaxEntries);
        Assert.Equal(99ul, inner.Lookup(new FlowKey { SrcIp = 9 }).Bytes);
        Assert.True(tenants.Delete(42));
        Assert.Throws<ObjectDisposedException>(() => inner.Lookup(new FlowKey { SrcIp = 9 }));
        Assert.Equal(BpfErrno.ENOENT, Assert.Throws<BpfException>(() => _runtime.OpenById(id)).Errno);
    }

    [Fact]
    public void An_inner_map_that_does_not_fit_is_refused_with_the_differing_field()
    {
        using CounterSets sets = CounterSets.Create(_runtime);
        using Counters larger = Counters.FromMap(_runtime.CreateMap(Counters.Spec.WithMaxEntries(8)));
        sets.Update(0, larger);

        // An array inner map must keep the template's max entries: the kernel says EINVAL, MapGen names the field.
        using BpfMap other = _runtime.CreateMap(Counters.Spec.WithMaxEntries(9));
        var mismatch = Assert.Throws<BpfMapMismatchException>(() => Counters.FromMap(other));
        var field = Assert.Single(mismatch.Mismatches);
        Assert.Equal("MaxEntries", field.Field);
        Assert.Equal("8", field.Expected);
        Assert.Equal("9", field.Actual);

        // The same map smuggled in as a Counters without the check: Update still refuses it before the system call.
        Counters unchecked_ = WrapUnchecked<Counters>(other);
        var refused = Assert.Throws<BpfMapMismatchException>(() => sets.Update(1, unchecked_));
        Assert.Equal("MaxEntries", Assert.Single(refused.Mismatches).Field);
        Assert.False(sets.TryLookup(1, out _));
    }

    private static T WrapUnchecked<T>(BpfMap map)
        where T : struct, IBpfMap<T> => T.Wrap(map);

    [Fact]
    public void Per_cpu_maps_hold_one_value_per_possible_cpu()
    {
        using PerCpuStats stats = PerCpuStats.Create(_runtime);
        PerCpuValue[] values = [new() { Packets = 1 }, new() { Packets = 2, Flag = 1 }, new() { Packets = 3 }, new() { Packets = 4 }];
        stats.Update(5, values);
        PerCpuValue[] read = stats.Lookup(5);
        Assert.Equal(values, read);
        Span<PerCpuValue> buffer = new PerCpuValue[4];
        Assert.True(stats.TryLookup(5, buffer));
        Assert.Equal(2u, buffer[1].Packets);
        Assert.Throws<ArgumentException>(() => stats.Update(5, values.AsSpan(0, 3)));
        Assert.Equal(values, Assert.Single(stats.Entries).Value);
    }

    [Fact]
    public void Default_and_disposed_maps_throw_ObjectDisposedException()
    {
        FlowTable none = default;
        Assert.Throws<ObjectDisposedException>(() => none.Map);
        Assert.Throws<ObjectDisposedException>(() => none.Lookup(default));
        none.Dispose();

        FlowTable table = FlowTable.Create(_runtime);
        FlowTable copy = table;
        table.Dispose();
        Assert.Throws<ObjectDisposedException>(() => copy.Update(default, default));
        Assert.Throws<ObjectDisposedException>(() => copy.Keys);
    }

    [Fact]
    public void An_inner_map_from_another_runtime_is_refused()
    {
        using BpfRuntime other = BpfRuntime.CreateEmulated();
        using TxPortTables tables = TxPortTables.Create(_runtime);
        using TxPorts foreign = TxPorts.Create(other);
        Assert.Throws<ArgumentException>(() => tables.Update(0, foreign));
    }

    [Fact]
    public void Pinned_maps_are_opened_and_checked_against_Spec()
    {
        using (FlowTable table = FlowTable.OpenOrCreate(_runtime, "/sys/fs/bpf/test/flows"))
        {
            table.Update(new FlowKey { Proto = 1 }, new FlowStats { Packets = 5 });
        }

        using (FlowTable reopened = FlowTable.Open(_runtime, "/sys/fs/bpf/test/flows"))
        {
            Assert.Equal(5ul, reopened.Lookup(new FlowKey { Proto = 1 }).Packets);
            var mismatch = Assert.Throws<BpfMapMismatchException>(() => Counters.Open(_runtime, "/sys/fs/bpf/test/flows"));
            Assert.Contains(mismatch.Mismatches, m => m.Field == "Type");
            reopened.Unpin("/sys/fs/bpf/test/flows");
        }

        Assert.Equal(BpfErrno.ENOENT, Assert.Throws<BpfException>(() => FlowTable.Open(_runtime, "/sys/fs/bpf/test/flows")).Errno);
    }

    [Fact]
    public void UpdateBatch_installs_every_inner_map()
    {
        using TxPortTables tables = TxPortTables.Create(_runtime);
        TxPorts[] ports = [TxPorts.Create(_runtime), TxPorts.Create(_runtime), TxPorts.Create(_runtime)];
        try
        {
            tables.UpdateBatch([0u, 5u, 31u], ports);
            Assert.Equal([0u, 5u, 31u], tables.Keys.Order().ToArray());
            Assert.Equal(ports[1].Map.Id, tables.Lookup(5).Map.Id);
            Assert.Equal(BpfErrno.E2BIG, Assert.Throws<BpfBatchException>(() => tables.UpdateBatch([1u, 32u], ports.AsSpan(0, 2))).Errno);
            Assert.Equal(ports[0].Map.Id, tables.Lookup(1).Map.Id);
        }
        finally
        {
            foreach (TxPorts p in ports)
            {
                p.Dispose();
            }
        }
    }
}
