using System.Diagnostics;
using static MapGen.Native.Tests.Bytes;

namespace MapGen.Native.Tests;

/// <summary>Counts the process's fds, so no other test may open or close any meanwhile.</summary>
[CollectionDefinition(nameof(FdCounting), DisableParallelization = true)]
public sealed class FdCounting;

/// <summary>File descriptors stay flat; handles survive concurrent disposal; what operations cost.</summary>
[Collection(nameof(FdCounting))]
public sealed class ResourceTests
{
    [Fact]
    public void Creating_and_disposing_maps_leaks_no_fds()
    {
        using BpfRuntime rt = Kernel.Runtime();
        // Warm up: the first creation loads libraries and probes features.
        Create(rt, BpfMapType.Hash, 4, 4, 1).Dispose();
        int before = Kernel.OpenFdCount();
        for (int i = 0; i < 2000; i++)
        {
            using BpfMap map = Create(rt, BpfMapType.Hash, 4, 4, 16);
            using BpfMap duplicate = map.Duplicate();
            Assert.Equal(BpfErrno.None, duplicate.TryUpdate(U32(1), U32(1)));
        }

        for (int i = 0; i < 200; i++)
        {
            using Tenants outer = Tenants.Create(rt);
        }

        Assert.Equal(before, Kernel.OpenFdCount());
    }

    [Fact]
    public void Outer_lookups_keep_fds_flat_while_slots_are_replaced()
    {
        Kernel.RequireSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        using CounterTables tables = CounterTables.Create(rt);
        using (Counters first = Counters.Create(rt))
        {
            tables.Update(0, first);
        }

        tables.Lookup(0);
        int before = Kernel.OpenFdCount();
        var lookups = Stopwatch.StartNew();
        TimeSpan updating = TimeSpan.Zero;
        for (int i = 1; i <= 100_000; i++)
        {
            BpfMap inner = tables.Lookup(0).Map;
            Assert.False(inner.IsOwned);
            if (i % 1000 == 0)
            {
                var update = Stopwatch.StartNew();
                using Counters replacement = Counters.Create(rt);
                tables.Update(0, replacement);
                updating += update.Elapsed;
                // The replaced map's borrowed handle was released with the slot.
                Assert.True(inner.IsDisposed);
            }
        }

        lookups.Stop();
        // The last replacement released the cached handle; the next lookup opens the new map's.
        tables.Lookup(0);
        Assert.Equal(before, Kernel.OpenFdCount());
        Assert.Equal(1, tables.Map.InnerMaps.Count);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"100,000 outer lookups with 100 slot replacements: {lookups.Elapsed.TotalMilliseconds:F0} ms in all, {updating.TotalMilliseconds / 100:F2} ms per replacement (create + update), " +
            $"{(lookups.Elapsed - updating).TotalMicroseconds / 100_000:F2} µs per lookup.");
    }

    [Fact]
    public async Task Dispose_on_another_thread_never_closes_an_fd_in_use()
    {
        using BpfRuntime rt = Kernel.Runtime();
        for (int round = 0; round < 200; round++)
        {
            BpfMap map = Create(rt, BpfMapType.Array, 4, 4, 1);
            Assert.Equal(BpfErrno.None, map.TryUpdate(U32(0), U32(0xAAAA)));
            using var started = new ManualResetEventSlim();
            Task reader = Task.Run(() =>
            {
                byte[] value = new byte[4];
                started.Set();
                while (true)
                {
                    BpfErrno errno;
                    try
                    {
                        errno = map.TryLookup(U32(0), value);
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }

                    // Another map reusing the fd number would answer with its own value or size.
                    Assert.Equal(BpfErrno.None, errno);
                    Assert.Equal(0xAAAAU, ReadU32(value));
                }
            }, TestContext.Current.CancellationToken);

            started.Wait(TestContext.Current.CancellationToken);
            map.Dispose();
            // Take the freed fd number at once, with a map that answers differently.
            using BpfMap other = Create(rt, BpfMapType.Array, 4, 8, 1);
            await reader;
        }
    }

    [Fact]
    public void Measured_costs()
    {
        Kernel.RequireSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        using Counters counters = Counters.Create(rt);
        counters.Update(1, 1);
        const int n = 200_000;
        for (int i = 0; i < 10_000; i++)
        {
            counters.TryLookup(1, out _);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            counters.TryLookup(1, out _);
        }

        double lookup = sw.Elapsed.TotalMicroseconds / n;
        sw.Restart();
        for (int i = 0; i < n; i++)
        {
            counters.Update(1, (ulong)i);
        }

        double update = sw.Elapsed.TotalMicroseconds / n;
        long perOperation = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (2 * n);
        Assert.Equal(0, perOperation);

        using CounterTables tables = CounterTables.Create(rt);
        Counters[] inners = Enumerable.Range(0, 64).Select(_ => Counters.Create(rt)).ToArray();
        try
        {
            uint[] keys = Enumerable.Range(0, 64).Select(i => (uint)i).ToArray();
            sw.Restart();
            for (int i = 0; i < 64; i++)
            {
                tables.Update(keys[i], inners[i]);
            }

            TimeSpan single = sw.Elapsed;
            for (int i = 0; i < 64; i++)
            {
                tables.Delete(keys[i]);
            }

            sw.Restart();
            tables.UpdateBatch(keys, inners);
            TimeSpan batched = sw.Elapsed;
            Assert.Equal(64, tables.Keys.Count());

            // Each single update waits for an RCU grace period; the batch waits once.
            Assert.True(batched * 4 < single, $"64 batched slot updates took {batched.TotalMilliseconds:F1} ms, 64 single ones {single.TotalMilliseconds:F1} ms.");
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"lookup {lookup:F2} µs, update {update:F2} µs, {perOperation} B allocated per operation; outer slot update {single.TotalMilliseconds / 64:F2} ms; " +
                $"64 slots one by one {single.TotalMilliseconds:F1} ms, batched {batched.TotalMilliseconds:F1} ms.");
        }
        finally
        {
            foreach (Counters inner in inners)
            {
                inner.Dispose();
            }
        }
    }

    [Fact]
    public void Bulk_read_of_a_large_hash_is_faster_batched()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using FlowTable flows = FlowTable.Create(rt);
        for (uint i = 0; i < 65_536; i++)
        {
            flows.Update(new FlowKey(i, ~i, (ushort)i, 80, 6), new FlowStats(i, i * 2));
        }

        int count = flows.Entries.Count();
        var sw = Stopwatch.StartNew();
        count = flows.Entries.Count();
        TimeSpan batched = sw.Elapsed;
        Assert.Equal(65_536, count);

        sw.Restart();
        int walked = KeyEnumeration.WalkEntries(flows.Map).Count();
        TimeSpan walk = sw.Elapsed;
        Assert.Equal(65_536, walked);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"65,536 entries: batched {batched.TotalMilliseconds:F1} ms, get_next_key + lookup {walk.TotalMilliseconds:F1} ms ({walk / batched:F1}×).");
        Assert.True(batched * 2 < walk, $"batched {batched.TotalMilliseconds:F1} ms, walk {walk.TotalMilliseconds:F1} ms");
    }
}
