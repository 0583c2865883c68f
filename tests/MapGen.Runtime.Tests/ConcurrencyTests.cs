using System.Buffers.Binary;
using MapGen.Emulation;
using MapGen.Runtime.Tests.Support;
using MapGen.Testing;

namespace MapGen.Runtime.Tests;

/// <summary>Element operations from many threads: each is atomic and none is lost.</summary>
public sealed class ConcurrencyTests
{
    private const int Writers = 4;
    private const int KeysPerWriter = 64;
    private const int Rounds = 300;

    /// <summary>A 16-byte value whose halves must agree: a torn read shows up as a mismatch.</summary>
    private static byte[] Value(uint key, uint round)
    {
        byte[] value = new byte[16];
        ulong payload = ((ulong)key << 32) | round;
        BinaryPrimitives.WriteUInt64LittleEndian(value, payload);
        BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(8), ~payload);
        return value;
    }

    private static bool IsWhole(ReadOnlySpan<byte> value) =>
        BinaryPrimitives.ReadUInt64LittleEndian(value) == ~BinaryPrimitives.ReadUInt64LittleEndian(value[8..]);

    [Theory]
    [InlineData(BpfMapType.Hash, BpfMapFlags.None)]
    [InlineData(BpfMapType.Hash, BpfMapFlags.NoPrealloc)]
    [InlineData(BpfMapType.LruHash, BpfMapFlags.None)]
    public async Task Writers_on_disjoint_keys_lose_no_update_and_readers_see_whole_values(BpfMapType type, BpfMapFlags flags)
    {
        using BpfRuntime rt = Kernel.Runtime();
        // Room for every key, so that even the LRU map never needs to evict.
        using BpfMap map = rt.Create(type, 4, 16, Writers * KeysPerWriter * 4, flags);
        using var stop = new CancellationTokenSource();
        int tornReads = 0;

        Task reader = Task.Run(() =>
        {
            byte[] value = new byte[16];
            while (!stop.IsCancellationRequested)
            {
                for (uint key = 0; key < Writers * KeysPerWriter; key++)
                {
                    if (map.TryLookup(Kernel.U32(key), value) == BpfErrno.None
                        && (!IsWhole(value) || BinaryPrimitives.ReadUInt64LittleEndian(value) >> 32 != key))
                    {
                        Interlocked.Increment(ref tornReads);
                    }
                }

                // A walk is no snapshot: a deleted key restarts it, so keys may come twice, but
                // only keys that were written can come.
                Assert.All(map.Keys(), key => Assert.True(Kernel.ReadU32(key) < Writers * KeysPerWriter));
            }
        }, TestContext.Current.CancellationToken);

        Task[] writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            uint first = (uint)(w * KeysPerWriter);
            byte[] read = new byte[16];
            for (uint round = 1; round <= Rounds; round++)
            {
                for (uint key = first; key < first + KeysPerWriter; key++)
                {
                    Assert.Equal(BpfErrno.None, map.TryUpdate(Kernel.U32(key), Value(key, round)));
                    Assert.Equal(BpfErrno.None, map.TryLookup(Kernel.U32(key), read));
                    Assert.Equal(Value(key, round), read);
                    if ((key + round) % 5 == 0)
                    {
                        Assert.Equal(BpfErrno.None, map.TryDelete(Kernel.U32(key)));
                        Assert.Equal(BpfErrno.ENOENT, map.TryLookup(Kernel.U32(key), read));
                        Assert.Equal(BpfErrno.None, map.TryUpdate(Kernel.U32(key), Value(key, round), BpfUpdateFlags.NoExist));
                    }
                }
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await reader;

        Assert.Equal(0, tornReads);
        byte[] final = new byte[16];
        for (uint key = 0; key < Writers * KeysPerWriter; key++)
        {
            Assert.Equal(BpfErrno.None, map.TryLookup(Kernel.U32(key), final));
            Assert.Equal(Value(key, Rounds), final);
        }

        Assert.Equal(Writers * KeysPerWriter, map.Keys().Count);
    }

    [Fact]
    public async Task Outer_slots_swapped_from_several_threads_stay_consistent_and_release_every_map()
    {
        using BpfRuntime rt = Kernel.Runtime();
        var emulated = (EmulatedRuntime)rt;
        int before = emulated.LiveMapCount;
        BpfMap template = rt.Create(BpfMapType.Hash, 4, 16, 16);
        BpfMap arrays = rt.Create(BpfMapType.ArrayOfMaps, 4, 4, 8, innerMapFd: template.Fd);
        BpfMap hashes = rt.Create(BpfMapType.HashOfMaps, 4, 4, 8, innerMapFd: template.Fd);
        template.Dispose();
        BpfMap[] inners = Enumerable.Range(0, 4).Select(_ => rt.Create(BpfMapType.Hash, 4, 16, 64)).ToArray();
        HashSet<uint> ids = inners.Select(m => m.Id).ToHashSet();
        using var stop = new CancellationTokenSource();
        int unknownIds = 0;

        Task reader = Task.Run(() =>
        {
            byte[] id = new byte[4];
            while (!stop.IsCancellationRequested)
            {
                for (uint slot = 0; slot < 8; slot++)
                {
                    foreach (BpfMap outer in new[] { arrays, hashes })
                    {
                        if (outer.TryLookup(Kernel.U32(slot), id) == BpfErrno.None && !ids.Contains(Kernel.ReadU32(id)))
                        {
                            Interlocked.Increment(ref unknownIds);
                        }
                    }
                }
            }
        }, TestContext.Current.CancellationToken);

        Task[] swappers = Enumerable.Range(0, 3).Select(t => Task.Run(() =>
        {
            for (int round = 0; round < 500; round++)
            {
                uint slot = (uint)((round + t) % 8);
                BpfMap inner = inners[(round * 3 + t) % inners.Length];
                Assert.Equal(BpfErrno.None, arrays.Update(slot, (uint)inner.Fd));
                BpfErrno errno = hashes.Update(slot, (uint)inner.Fd);
                Assert.True(errno == BpfErrno.None, $"hash of maps update gave {errno}");
                if (round % 7 == 0)
                {
                    BpfErrno deleted = hashes.Delete(slot);
                    Assert.True(deleted is BpfErrno.None or BpfErrno.ENOENT, $"delete gave {deleted}");
                    deleted = arrays.Delete(slot);
                    Assert.True(deleted is BpfErrno.None or BpfErrno.ENOENT, $"delete gave {deleted}");
                }

                // Meanwhile the inner maps are data maps of their own.
                Assert.Equal(BpfErrno.None, inner.Update((uint)round % 64, Value((uint)round, (uint)t)));
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        await Task.WhenAll(swappers);
        await stop.CancelAsync();
        await reader;
        Assert.Equal(0, unknownIds);

        foreach (BpfMap inner in inners)
        {
            inner.Dispose();
        }

        // Slots still hold some inner maps; freeing the outer maps releases them all.
        arrays.Dispose();
        hashes.Dispose();
        Assert.Equal(before, emulated.LiveMapCount);
    }

    /// <summary>
    /// The typed API under load (<see cref="OuterMapStress"/>; the same body runs on the kernel in
    /// MapGen.Native.Tests): no update lost, only the documented exception, every slot fitting
    /// the declaration, and once everything is disposed no map or fd left in the runtime.
    /// </summary>
    [Fact]
    public async Task Typed_slot_swaps_under_load_lose_no_update_and_leave_no_map_behind()
    {
        using BpfRuntime rt = Kernel.Runtime();
        var emulated = (EmulatedRuntime)rt;
        var options = new StressOptions { SlotChangesPerSwapper = 40_000 }.ScaledByEnvironment();

        StressReport report = await OuterMapStress.RunAsync(rt, options, TestContext.Current.CancellationToken);

        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        Assert.Equal(0, emulated.LiveMapCount);
        Assert.Equal(0, emulated.OpenFdCount);
        Assert.All(report.MapIds.Keys, id => Assert.Equal(BpfErrno.ENOENT, rt.TryOpenById(id, out _)));
    }

    /// <summary>
    /// A typed lookup on a borrowed inner map that another thread releases (by replacing its slot)
    /// either reads the key, which the map still holds, or throws ObjectDisposedException: it never
    /// reports the key absent. (The emulated fast path once read the handle's table twice, and the
    /// second read could see the empty table a closed handle points to.)
    /// </summary>
    [Fact]
    public async Task A_borrowed_inner_map_released_on_another_thread_reads_its_keys_or_throws_but_never_misses_one()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using SharedTenants tenants = SharedTenants.Create(rt);
        using SharedCounters held = SharedCounters.Create(rt);
        using SharedCounters other = SharedCounters.Create(rt);
        held.Update(1, 42);
        int misses = 0;
        for (int round = 0; round < 1_000; round++)
        {
            tenants.Update(0, held);
            SharedCounters borrowed = tenants.Lookup(0);
            using var started = new ManualResetEventSlim();
            Task reader = Task.Run(() =>
            {
                started.Set();
                while (true)
                {
                    try
                    {
                        if (!borrowed.TryLookup(1, out ulong value) || value != 42)
                        {
                            Interlocked.Increment(ref misses);
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                }
            }, TestContext.Current.CancellationToken);

            started.Wait(TestContext.Current.CancellationToken);
            // Releases the borrowed handle; the map lives on (held is owned here).
            tenants.Update(0, other);
            await reader;
        }

        Assert.Equal(0, misses);
    }
}
