using System.Collections.ObjectModel;

namespace MapGen.Tests.TypedApi;

/// <summary>The generated bulk operations (UpdateBatch, DeleteBatch, Drain) on the emulated runtime.</summary>
public sealed class BulkOperationTests : IDisposable
{
    private const int Cpus = 4;

    private readonly BpfRuntime _runtime = BpfRuntime.CreateEmulated(new Emulation.EmulatedRuntimeOptions
    {
        PossibleCpus = Cpus,
        NetworkInterfaces = [new("lo", 1), new("eth0", 2)],
    });

    public void Dispose() => _runtime.Dispose();

    private static FlowKey Flow(uint i) => new() { SrcIp = i, DstIp = ~i, SrcPort = (ushort)i, DstPort = 443, Proto = 6 };

    private static FlowStats Stats(uint i) => new() { Packets = i, Bytes = i * 1500UL };

    [Fact]
    public void UpdateBatch_writes_every_element_across_chunks()
    {
        using FlowTable table = FlowTable.Create(_runtime);
        // 10,000 elements of 32 bytes: several chunks of the 64 KiB a batch call carries.
        FlowKey[] keys = Enumerable.Range(0, 10_000).Select(i => Flow((uint)i)).ToArray();
        FlowStats[] values = Enumerable.Range(0, 10_000).Select(i => Stats((uint)i)).ToArray();
        table.UpdateBatch(keys, values);

        Assert.Equal(10_000, table.Keys.Count());
        Assert.All(Enumerable.Range(0, 10_000), i => Assert.Equal(Stats((uint)i), table.Lookup(Flow((uint)i))));
    }

    [Fact]
    public void UpdateBatch_clears_key_padding_as_Update_does()
    {
        using FlowTable table = FlowTable.Create(_runtime);
        FlowKey key = Flow(7);
        FlowKey dirty = key;
        // The three bytes after Proto are padding: garbage there must not make another kernel key.
        unsafe
        {
            byte* bytes = (byte*)&dirty;
            bytes[13] = 0xAA;
            bytes[14] = 0xBB;
            bytes[15] = 0xCC;
        }

        table.UpdateBatch([dirty], [Stats(1)]);
        table.Update(key, Stats(2));
        Assert.Equal(Stats(2), Assert.Single(table.Entries).Value);
    }

    [Fact]
    public void UpdateBatch_refused_part_way_says_which_element_and_keeps_those_before()
    {
        using Counters counters = Counters.Create(_runtime);
        BpfBatchException e = Assert.Throws<BpfBatchException>(() => counters.UpdateBatch([0u, 1u, 8u, 2u], [10ul, 11ul, 12ul, 13ul]));
        Assert.Equal(BpfErrno.E2BIG, e.Errno);
        Assert.Equal((2, 4), (e.Processed, e.Count));
        Assert.Contains("element 2 of 4", e.Message, StringComparison.Ordinal);
        Assert.Contains("max_entries (8)", e.Message, StringComparison.Ordinal);
        Assert.Equal([10ul, 11ul, 0ul], new[] { counters.Lookup(0), counters.Lookup(1), counters.Lookup(2) });

        Assert.Throws<ArgumentException>(() => counters.UpdateBatch([0u, 1u], [1ul]));
        counters.UpdateBatch([], []);
    }

    [Fact]
    public void UpdateBatch_of_a_full_hash_replaces_existing_keys_and_stops_at_the_first_new_one()
    {
        using ExplicitShapes shapes = ExplicitShapes.Create(_runtime);
        Verdict[] full = Enumerable.Range(0, 16).Select(i => (Verdict)i).ToArray();
        shapes.UpdateBatch(full, full.Select(v => new ExplicitValue { Low = (uint)v }).ToArray());

        BpfBatchException e = Assert.Throws<BpfBatchException>(() => shapes.UpdateBatch(
            [(Verdict)3, (Verdict)200, (Verdict)201],
            [new ExplicitValue { Low = 33 }, new ExplicitValue { Low = 1 }, new ExplicitValue { Low = 2 }]));
        Assert.Equal(BpfErrno.E2BIG, e.Errno);
        Assert.Equal(1, e.Processed);
        Assert.Contains("The map is full", e.Message, StringComparison.Ordinal);
        Assert.Equal(33u, shapes.Lookup((Verdict)3).Low);
        Assert.False(shapes.TryLookup((Verdict)200, out _));
    }

    [Fact]
    public void DeleteBatch_deletes_present_keys_and_passes_over_absent_ones()
    {
        using FlowTable table = FlowTable.Create(_runtime);
        FlowKey[] keys = Enumerable.Range(0, 5_000).Select(i => Flow((uint)i)).ToArray();
        table.UpdateBatch(keys, keys.Select((_, i) => Stats((uint)i)).ToArray());

        // Every even key, and absent ones in between (first, last, and runs of them).
        FlowKey[] toDelete = [Flow(90_000), .. keys.Where((_, i) => i % 2 == 0), Flow(90_001), Flow(90_002)];
        Assert.Equal(2_500, table.DeleteBatch(toDelete));
        Assert.Equal(2_500, table.Keys.Count());
        Assert.All(table.Keys, k => Assert.Equal(1u, k.SrcIp % 2));
        Assert.Equal(0, table.DeleteBatch(toDelete));
        Assert.Equal(0, table.DeleteBatch([]));
    }

    [Fact]
    public void DeleteBatch_on_a_device_map_deletes_empty_slots_and_stops_out_of_range()
    {
        using TxPorts ports = TxPorts.Create(_runtime);
        ports.Update(0, 2);
        ports.Update(3, 1);
        // Deleting an empty DevMap slot succeeds in the kernel: it counts.
        Assert.Equal(3, ports.DeleteBatch([0u, 1u, 3u]));
        Assert.Empty(ports.Keys);

        ports.Update(5, 2);
        BpfBatchException e = Assert.Throws<BpfBatchException>(() => ports.DeleteBatch([5u, 7u, 32u, 6u]));
        Assert.Equal(BpfErrno.EINVAL, e.Errno);
        Assert.Equal((2, 2, 4), (e.Processed, e.Succeeded, e.Count));
        Assert.Empty(ports.Keys);
    }

    [Fact]
    public void Drain_takes_every_element_with_its_value_and_leaves_the_map_empty()
    {
        using FlowTable table = FlowTable.Create(_runtime);
        Assert.Empty(table.Drain());
        FlowKey[] keys = Enumerable.Range(0, 3_000).Select(i => Flow((uint)i)).ToArray();
        table.UpdateBatch(keys, keys.Select((_, i) => Stats((uint)i)).ToArray());

        KeyValuePair<FlowKey, FlowStats>[] drained = table.Drain();
        Assert.Equal(3_000, drained.Length);
        Assert.All(drained, e => Assert.Equal(Stats(e.Key.SrcIp), e.Value));
        Assert.Equal(keys.Select(k => k.SrcIp).Order(), drained.Select(e => e.Key.SrcIp).Order());
        Assert.Empty(table.Keys);
    }

    [Fact]
    public void Drain_of_a_per_cpu_hash_gives_each_element_one_value_per_cpu()
    {
        using PerCpuStats stats = PerCpuStats.Create(_runtime);
        uint[] keys = [1, 2, 3];
        PerCpuValue[] values = Enumerable.Range(0, keys.Length * Cpus).Select(i => new PerCpuValue { Packets = (uint)i, Flag = (byte)(i % 2) }).ToArray();
        stats.UpdateBatch(keys, values);
        Assert.Equal(values.AsSpan(Cpus, Cpus).ToArray(), stats.Lookup(2));
        Assert.Throws<ArgumentException>(() => stats.UpdateBatch(keys, values.AsSpan(1)));

        Assert.Equal(1, stats.DeleteBatch([2u, 9u]));
        KeyValuePair<uint, PerCpuValue[]>[] drained = stats.Drain();
        Assert.Equal([1u, 3u], drained.Select(e => e.Key).Order());
        Assert.Equal(values.AsSpan(2 * Cpus, Cpus).ToArray(), drained.Single(e => e.Key == 3).Value);
        Assert.Empty(stats.Keys);
    }

    [Fact]
    public void DrainTo_adds_to_the_destination_and_a_drain_stopped_part_way_keeps_what_it_took()
    {
        using FlowTable table = FlowTable.Create(_runtime);
        FlowKey[] keys = Enumerable.Range(0, 100).Select(i => Flow((uint)i)).ToArray();
        table.UpdateBatch(keys, keys.Select(k => Stats(k.SrcIp)).ToArray());
        var destination = new List<KeyValuePair<FlowKey, FlowStats>> { new(Flow(999), Stats(999)) };
        Assert.Equal(100, table.DrainTo(destination));
        Assert.Equal(101, destination.Count);
        Assert.Throws<ArgumentException>(() => table.DrainTo(new ReadOnlyCollection<KeyValuePair<FlowKey, FlowStats>>([])));
        Assert.Throws<ArgumentNullException>(() => table.DrainTo(null!));

        // A drain that stops part-way (here the runtime goes away after 10 elements): what it took
        // is in the destination, nothing more left the map.
        BpfRuntime doomed = BpfRuntime.CreateEmulated();
        FlowTable other = FlowTable.Create(doomed);
        other.UpdateBatch(keys, keys.Select(k => Stats(k.SrcIp)).ToArray());
        var stopping = new StoppingCollection(after: 10, doomed.Dispose);
        Assert.Throws<ObjectDisposedException>(() => other.DrainTo(stopping));
        Assert.Equal(10, stopping.Count);
        Assert.All(stopping, e => Assert.Equal(Stats(e.Key.SrcIp), e.Value));
    }

    [Fact]
    public void Drain_refused_by_the_kernel_throws_BpfDrainException_with_what_it_took()
    {
        // A read-only fd: the kernel refuses a lookup-and-delete batch through it (EPERM).
        var options = new BpfMapCreateOptions
        {
            Type = BpfMapType.Hash, KeySize = 16, ValueSize = 16, MaxEntries = 65536, Flags = BpfMapFlags.NoPrealloc | BpfMapFlags.RdOnly,
        };
        Assert.Equal(BpfErrno.None, _runtime.TryCreateMap(options, out BpfMap? readOnly));
        using FlowTable table = FlowTable.FromMap(readOnly!);
        var e = Assert.Throws<BpfDrainException<FlowKey, FlowStats>>(() => table.Drain());
        Assert.Equal(BpfErrno.EPERM, e.Errno);
        Assert.Empty(e.Taken);
        Assert.Contains("0 elements taken before the failure", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_while_another_thread_inserts_loses_and_duplicates_nothing()
    {
        using FlowTable table = FlowTable.Create(_runtime);
        const int inserted = 20_000;
        var drained = new List<uint>();
        Task writer = Task.Run(() =>
        {
            for (uint i = 0; i < inserted; i++)
            {
                table.Update(Flow(i), Stats(i));
            }
        }, TestContext.Current.CancellationToken);

        while (!writer.IsCompleted)
        {
            drained.AddRange(table.Drain().Select(e => e.Key.SrcIp));
        }

        await writer;
        drained.AddRange(table.Drain().Select(e => e.Key.SrcIp));
        Assert.Equal(inserted, drained.Count);
        Assert.Equal(Enumerable.Range(0, inserted).Select(i => (uint)i), drained.Order());
    }

    /// <summary>A destination that runs an action once it holds <c>after</c> elements: a drain stopped part-way, on cue.</summary>
    private sealed class StoppingCollection(int after, Action stop) : Collection<KeyValuePair<FlowKey, FlowStats>>
    {
        protected override void InsertItem(int index, KeyValuePair<FlowKey, FlowStats> item)
        {
            base.InsertItem(index, item);
            if (Count == after)
            {
                stop();
            }
        }
    }
}
