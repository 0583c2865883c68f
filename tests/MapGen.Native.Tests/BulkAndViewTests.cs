using System.Globalization;
using System.Text.Json;
using MapGen.Native;

namespace MapGen.Native.Tests;

/// <summary>The typed bulk operations and mapped-array views on the kernel. Counts system calls, so it runs alone.</summary>
[Collection(nameof(FdCounting))]
public sealed class BulkAndViewTests
{
    private static FlowKey Flow(uint i) => new(i, ~i, (ushort)i, 443, 6);

    private static FlowStats Stats(uint i) => new(i, i * 1500UL);

    [Fact]
    public void UpdateBatch_DeleteBatch_and_Drain_move_65536_flows_through_the_kernels_batches()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using FlowTable flows = FlowTable.Create(rt);
        FlowKey[] keys = Enumerable.Range(0, 65_536).Select(i => Flow((uint)i)).ToArray();
        FlowStats[] values = keys.Select(k => Stats(k.SrcIp)).ToArray();
        using var calls = new BpfCallCounter();
        flows.UpdateBatch(keys, values);
        // 32 bytes an element, 64 KiB a call: 32 batches, no single update.
        Assert.True(calls[BpfCommand.MapUpdateBatch] == 32 && calls[BpfCommand.MapUpdateElem] == 0, calls.ToString());
        Assert.Equal(65_536, flows.Entries.Count());
        Assert.True(flows.TryLookup(Flow(40_000), out FlowStats stats));
        Assert.Equal(Stats(40_000), stats);

        // Every third flow, with absent ones around them: only the present ones count.
        FlowKey[] doomed = [Flow(1_000_000), .. keys.Where(k => k.SrcIp % 3 == 0), Flow(1_000_001)];
        calls.Reset();
        Assert.Equal(21_846, flows.DeleteBatch(doomed));
        // 6 chunks of up to 4,096 keys; each absent key ends a call and the next starts after it.
        Assert.True(calls[BpfCommand.MapDeleteBatch] <= 8 && calls[BpfCommand.MapDeleteElem] == 0, calls.ToString());
        Assert.Equal(65_536 - 21_846, flows.Keys.Count());

        calls.Reset();
        KeyValuePair<FlowKey, FlowStats>[] drained = flows.Drain();
        Assert.True(calls[BpfCommand.MapLookupAndDeleteBatch] is > 0 and <= 64 && calls[BpfCommand.MapLookupAndDeleteElem] == 0, calls.ToString());
        Assert.Equal(65_536 - 21_846, drained.Length);
        Assert.All(drained, e => Assert.Equal(Stats(e.Key.SrcIp), e.Value));
        Assert.DoesNotContain(drained, e => e.Key.SrcIp % 3 == 0);
        Assert.Empty(flows.Entries);
        Assert.Empty(flows.Drain());
    }

    [Fact]
    public async Task Drain_while_another_thread_inserts_loses_and_duplicates_nothing()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using FlowTable flows = FlowTable.Create(rt);
        const int inserted = 20_000;
        var drained = new List<uint>();
        Task writer = Task.Run(() =>
        {
            for (uint i = 0; i < inserted; i++)
            {
                flows.Update(Flow(i), Stats(i));
            }
        }, TestContext.Current.CancellationToken);

        while (!writer.IsCompleted)
        {
            drained.AddRange(flows.Drain().Select(e => e.Key.SrcIp));
        }

        await writer;
        drained.AddRange(flows.Drain().Select(e => e.Key.SrcIp));
        Assert.Equal(Enumerable.Range(0, inserted).Select(i => (uint)i), drained.Order());
    }

    [Fact]
    public async Task A_handle_disposed_during_a_drain_loses_no_element()
    {
        using BpfRuntime rt = Kernel.Runtime();
        FlowTable flows = FlowTable.Create(rt);
        // A second handle counts what the drain leaves.
        using BpfMap counting = flows.Map.Duplicate();
        FlowKey[] keys = Enumerable.Range(0, 65_536).Select(i => Flow((uint)i)).ToArray();
        flows.UpdateBatch(keys, keys.Select(k => Stats(k.SrcIp)).ToArray());

        var drainer = Task.Run(() =>
        {
            try
            {
                return flows.Drain().Length;
            }
            catch (BpfDrainException<FlowKey, FlowStats> e)
            {
                return e.Taken.Count;
            }
            catch (ObjectDisposedException)
            {
                // Disposed before the drain began: it took nothing.
                return 0;
            }
        }, TestContext.Current.CancellationToken);
        await Task.Delay(5, TestContext.Current.CancellationToken);
        flows.Dispose();
        int drained = await drainer;

        int left = KeyEnumeration.WalkKeys(counting).Count();
        Assert.Equal(65_536, drained + left);
    }

    [Fact]
    public void Lookup_and_delete_with_an_empty_key_pops_a_queue()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap queue = Bytes.Create(rt, BpfMapType.Queue, 0, 4, 4);
        Assert.Equal(BpfErrno.None, queue.TryUpdate([], Bytes.U32(7)));
        Assert.Equal(BpfErrno.None, queue.TryUpdate(default, Bytes.U32(8)));
        byte[] value = new byte[4];
        Assert.Equal(BpfErrno.None, queue.TryLookupAndDelete([], value));
        Assert.Equal(7u, Bytes.ReadU32(value));
        Assert.Equal(BpfErrno.None, queue.TryLookupAndDelete(default, value));
        Assert.Equal(8u, Bytes.ReadU32(value));
        Assert.Equal(BpfErrno.ENOENT, queue.TryLookupAndDelete([], value));
    }

    [Fact]
    public void The_mapping_goes_with_the_last_view_while_the_handle_stays_open()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using MappedCounters counters = MappedCounters.Create(rt);
        int before = MappedMaps();
        BpfContiguousArrayView<ulong> first = counters.CreateView();
        BpfContiguousArrayView<ulong> second = counters.CreateView();
        // Views taken together share one mapping.
        Assert.Equal(before + 1, MappedMaps());
        first[1] = 5;
        first.Dispose();
        Assert.Equal(5UL, second[1]);
        second.Dispose();
        Assert.Equal(before, MappedMaps());

        using BpfContiguousArrayView<ulong> again = counters.CreateView();
        Assert.Equal(5UL, again[1]);
        Assert.Equal(before + 1, MappedMaps());
    }

    /// <summary>The bpf maps mapped into this process (<c>/proc/self/maps</c> names their file <c>anon_inode:bpf-map</c>).</summary>
    private static int MappedMaps() =>
        File.ReadLines("/proc/self/maps").Count(line => line.EndsWith("anon_inode:bpf-map", StringComparison.Ordinal));

    [Fact]
    public void A_view_reads_and_writes_the_kernels_pages_which_bpftool_sees()
    {
        string bpftool = Kernel.RequireTool("bpftool");
        using BpfRuntime rt = Kernel.Runtime();
        using MappedCounters counters = MappedCounters.Create(rt);
        using BpfContiguousArrayView<ulong> view = counters.CreateView();
        Assert.Equal(64, view.Span.Length);

        view[3] = 0x0102030405060708;
        Assert.Equal(0x0102030405060708UL, counters.Lookup(3));
        counters.Update(4, 99);
        Assert.Equal(99UL, view[4]);

        string id = counters.Map.Id.ToString(CultureInfo.InvariantCulture);
        using JsonDocument lookup = JsonDocument.Parse(Kernel.Run(bpftool, "-j", "map", "lookup", "id", id, "key", "3", "0", "0", "0"));
        byte[] value = lookup.RootElement.GetProperty("value").EnumerateArray().Select(b => Convert.ToByte(b.GetString(), 16)).ToArray();
        Assert.Equal(0x0102030405060708UL, Bytes.ReadU64(value));

        Kernel.Run(bpftool, "map", "update", "id", id, "key", "5", "0", "0", "0", "value", "42", "0", "0", "0", "0", "0", "0", "0");
        Assert.Equal(42UL, view[5]);
    }

    [Fact]
    public void The_mapping_outlives_every_fd_and_goes_with_the_last_view()
    {
        Kernel.RequireSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        MappedCounters counters = MappedCounters.Create(rt);
        uint id = counters.Map.Id;
        BpfContiguousArrayView<ulong> first = counters.CreateView();
        BpfContiguousArrayView<ulong> second = counters.CreateView();
        counters.Dispose();

        // No fd is left, yet the kernel keeps the map for the mapping: the memory is still its values.
        first[7] = 77;
        using (MappedCounters reopened = MappedCounters.FromMap(rt.OpenById(id)))
        {
            Assert.Equal(77UL, reopened.Lookup(7));
        }

        first.Dispose();
        Assert.Equal(77UL, second[7]);
        second.Dispose();
        Assert.Throws<ObjectDisposedException>(() => second[7]);

        // With the last view the pages are unmapped, and the kernel frees the map (after an RCU grace period).
        BpfErrno errno = BpfErrno.None;
        for (int attempt = 0; attempt < 200 && errno == BpfErrno.None; attempt++)
        {
            errno = rt.TryOpenById(id, out BpfMap? map);
            map?.Dispose();
            if (errno == BpfErrno.None)
            {
                Thread.Sleep(10);
            }
        }

        Assert.Equal(BpfErrno.ENOENT, errno);
    }
}
