using MapGen.CompilerServices;
using MapGen.Emulation;
using MapGen.Runtime.Tests.Support;

namespace MapGen.Runtime.Tests;

/// <summary>
/// Borrowed inner maps and the fds of inner maps: the outer handle's cache keeps borrowed handles
/// for as long as the specification promises, and an inner map's fd is held across the system
/// call that passes its number.
/// </summary>
public sealed class InnerMapLifetimeTests : IDisposable
{
    private const string Name = "test_map";
    private readonly BpfRuntime _rt = Kernel.Runtime();

    public void Dispose() => _rt.Dispose();

    private EmulatedRuntime Emulated => (EmulatedRuntime)_rt;

    private BpfMap Tables(uint maxEntries) =>
        MapOperations.Create(_rt, new BpfMapSpec("tables", BpfMapType.HashOfMaps, 4, 4, maxEntries, innerMap: Counters.Spec));

    private static Counters Lookup(BpfMap outer, uint key) => OuterMapOperations.Lookup<uint, U32Codec, Counters>(outer, Name, key);

    private static void Put(BpfMap outer, uint key, Counters inner) =>
        OuterMapOperations.Update<uint, U32Codec, Counters>(outer, Name, key, inner, BpfUpdateFlags.Any);

    [Fact]
    public void A_lease_keeps_the_fd_open_and_unused_until_it_ends()
    {
        BpfMap inner = _rt.Create(BpfMapType.Array, 4, 8, 4);
        int fd = inner.Fd;
        FdLease lease = inner.LeaseFd();
        Assert.Equal(fd, lease.Fd);
        inner.Dispose();
        Assert.True(inner.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => inner.LeaseFd().Dispose());
        // Still open: another map cannot get this fd number while the lease is held.
        Assert.True(Emulated.FdExists(fd));
        using (BpfMap other = _rt.Create(BpfMapType.Array, 4, 8, 4))
        {
            Assert.NotEqual(fd, other.Fd);
        }

        lease.Dispose();
        Assert.False(Emulated.FdExists(fd));
        Assert.Equal(0, Emulated.LiveMapCount);
    }

    [Fact]
    public void An_outer_batch_holds_each_inner_fd_so_that_closing_it_meanwhile_cannot_put_another_map_in_the_slot()
    {
        var outerSpec = new BpfMapSpec("arrays", BpfMapType.ArrayOfMaps, 4, 4, 4, innerMap: Counters.Spec);
        using BpfMap outer = MapOperations.Create(_rt, outerSpec);
        Counters first = Counters.Create(_rt);
        using Counters second = Counters.Create(_rt);
        uint firstId = first.Map.Id;
        int firstFd = first.Map.Fd;
        Counters? intruder = null;
        // The batch reads the first inner map's fd, then runs the key codec for the second slot:
        // there, as another thread could, the first handle is closed and a new map is created,
        // which gets the lowest free fd.
        CallbackKeyCodec.OnWrite = key =>
        {
            if (key == 1 && intruder is null)
            {
                first.Dispose();
                intruder = Counters.Create(_rt);
            }
        };
        try
        {
            OuterMapOperations.UpdateBatch<uint, CallbackKeyCodec, Counters>(outer, Name, [0, 1], [first, second]);
        }
        finally
        {
            CallbackKeyCodec.OnWrite = null;
        }

        using Counters created = intruder!.Value;
        Assert.NotEqual(firstFd, created.Map.Fd);
        // The lease ended with the batch: the fd is closed, and the map lives on in its slot.
        Assert.False(Emulated.FdExists(firstFd));
        Assert.Equal(firstId, OuterMapOperations.Lookup<uint, U32Codec, Counters>(outer, Name, 0).Map.Id);
        Assert.Equal(second.Map.Id, OuterMapOperations.Lookup<uint, U32Codec, Counters>(outer, Name, 1).Map.Id);
    }

    [Fact]
    public void An_outer_update_through_a_freed_outer_map_fails_with_EBADF_and_holds_nothing()
    {
        using BpfMap template = _rt.Create(BpfMapType.Array, 4, 8, 4);
        BpfMap array = _rt.Create(BpfMapType.ArrayOfMaps, 4, 4, 2, innerMapFd: template.Fd);
        BpfMap hash = _rt.Create(BpfMapType.HashOfMaps, 4, 4, 2, innerMapFd: template.Fd);
        KernelMap arrayObject = ((EmulatedMap)array).KernelMap;
        KernelMap hashObject = ((EmulatedMap)hash).KernelMap;
        BpfMap inner = _rt.Create(BpfMapType.Array, 4, 8, 4);
        array.Dispose();
        hash.Dispose();

        // An update that passed the disposed check before the close reaches the freed map object.
        Assert.Equal(BpfErrno.EBADF, arrayObject.Update(Kernel.U32(0), Kernel.U32(inner.Fd), BpfUpdateFlags.Any));
        Assert.Equal(BpfErrno.EBADF, hashObject.Update(Kernel.U32(0), Kernel.U32(inner.Fd), BpfUpdateFlags.Any));
        Assert.Equal(BpfErrno.EBADF, arrayObject.UpdateBatch(Kernel.U32(0), Kernel.U32(inner.Fd), 1, BpfUpdateFlags.Any, out int written));
        Assert.Equal(0, written);

        // Nothing holds the inner map: closing its fd frees it.
        template.Dispose();
        inner.Dispose();
        Assert.Equal(0, Emulated.LiveMapCount);
    }

    [Fact]
    public void Borrowed_inner_maps_outlive_the_lookup_index_until_their_slot_changes_or_the_outer_is_disposed()
    {
        const int maps = InnerMapCache.Capacity + 20;
        BpfMap outer = Tables(maps);
        for (uint i = 0; i < maps; i++)
        {
            using Counters counters = Counters.Create(_rt);
            counters.Update(0, i);
            Put(outer, i, counters);
        }

        var borrowed = new Counters[maps];
        var handles = new BpfMap[maps];
        for (uint i = 0; i < maps; i++)
        {
            borrowed[i] = Lookup(outer, i);
            handles[i] = borrowed[i].Map;
        }

        // The index is bounded; the handles are not closed by leaving it.
        Assert.Equal(InnerMapCache.Capacity, outer.InnerMaps.IndexedCount);
        Assert.Equal(maps, outer.InnerMaps.Count);
        for (uint i = 0; i < maps; i++)
        {
            Assert.False(handles[i].IsDisposed);
            Assert.True(borrowed[i].TryLookup(0, out ulong value));
            Assert.Equal(i, value);
        }

        // A lookup of an evicted map finds the same handle again.
        Assert.Same(handles[0], Lookup(outer, 0).Map);
        Assert.Equal(maps, outer.InnerMaps.Count);

        // The typed API's delete releases it; disposing the outer releases the rest.
        Assert.True(OuterMapOperations.Delete<uint, U32Codec>(outer, Name, 1));
        Assert.True(handles[1].IsDisposed);
        Assert.False(handles[2].IsDisposed);
        outer.Dispose();
        Assert.All(handles, h => Assert.True(h.IsDisposed));
        Assert.Equal(0, Emulated.LiveMapCount);
    }

    [Fact]
    public void A_lookup_that_ends_after_the_outer_handle_closed_does_not_leave_a_borrowed_handle()
    {
        using Counters counters = Counters.Create(_rt);

        // The cache existed before the close.
        BpfMap outer = Tables(4);
        Put(outer, 1, counters);
        _ = Lookup(outer, 1);
        InnerMapCache cache = outer.InnerMaps;
        long stamp = cache.BeginLookup();
        outer.Dispose();
        Assert.Equal(BpfErrno.None, _rt.TryOpenBorrowedById(counters.Map.Id, out BpfMap? late));
        Assert.Throws<ObjectDisposedException>(() => cache.Add(late!, Kernel.U32(1), stamp));
        Assert.True(late!.IsDisposed);

        // No cache yet at the close: the lookup that passed the disposed check must not make one.
        BpfMap fresh = Tables(4);
        Put(fresh, 1, counters);
        fresh.Dispose();
        Assert.Equal(BpfErrno.None, _rt.TryOpenBorrowedById(counters.Map.Id, out BpfMap? lateToo));
        Assert.Throws<ObjectDisposedException>(() => fresh.InnerMaps.Add(lateToo!, Kernel.U32(1), 0));
        Assert.True(lateToo!.IsDisposed);
        Assert.Equal(0, fresh.InnerMaps.Count);
    }

    [Fact]
    public void A_stale_lookup_does_not_repoint_a_slot_that_an_update_changed_after_it_began()
    {
        BpfMap outer = Tables(4);
        using Counters x = Counters.Create(_rt);
        using Counters y = Counters.Create(_rt);
        byte[] slot = Kernel.U32(5);
        Put(outer, 5, x);

        // A lookup begins and reads X from the kernel ...
        long stamp = outer.InnerMaps.BeginLookup();
        // ... meanwhile another thread puts Y in the slot, and a lookup finds Y ...
        Put(outer, 5, y);
        BpfMap foundY = Lookup(outer, 5).Map;
        Assert.Equal(y.Map.Id, foundY.Id);
        // ... then the first lookup opens X (the owner's handle keeps it alive) and adds it.
        Assert.Equal(BpfErrno.None, _rt.TryOpenBorrowedById(x.Map.Id, out BpfMap? staleX));
        BpfMap returned = outer.InnerMaps.Add(staleX!, slot, stamp);
        Assert.Equal(x.Map.Id, returned.Id);

        // Y, which the slot holds, keeps its handle and its note.
        Assert.False(foundY.IsDisposed);
        Assert.Equal(1, outer.InnerMaps.SlotsNoted(y.Map.Id));
        Assert.Equal(0, outer.InnerMaps.SlotsNoted(x.Map.Id));
        Assert.Same(foundY, Lookup(outer, 5).Map);
        outer.Dispose();
        Assert.True(returned.IsDisposed);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Typed_changes_of_one_slot_that_end_in_the_other_order_than_the_kernel_took_them_keep_the_map_it_holds(bool firstDeletes)
    {
        BpfMap outer = Tables(4);
        using Counters x = Counters.Create(_rt);
        using Counters y = Counters.Create(_rt);
        byte[] slot = Kernel.U32(5);
        Put(outer, 5, x);

        // One thread's update (or delete) of the slot begins, and the kernel takes it ...
        InnerMapCache.SlotChange first = outer.InnerMaps.BeginSlotChange();
        Assert.Equal(BpfErrno.None, firstDeletes ? outer.TryDelete(slot) : outer.TryUpdate(slot, Kernel.U32(x.Map.Fd)));
        // ... then another thread's whole update puts Y there, and a lookup finds Y ...
        Put(outer, 5, y);
        BpfMap foundY = Lookup(outer, 5).Map;
        // ... and only then does the first change end.
        outer.InnerMaps.EndSlotChange(first, outer, slot, [firstDeletes ? 0 : x.Map.Id]);

        // Y, which the slot holds, keeps its handle and its note.
        Assert.False(foundY.IsDisposed);
        Assert.Equal(y.Map.Id, outer.InnerMaps.NotedMap(slot));
        Assert.Equal(1, outer.InnerMaps.SlotsNoted(y.Map.Id));
        Assert.Equal(0, outer.InnerMaps.SlotsNoted(x.Map.Id));
        Assert.Same(foundY, Lookup(outer, 5).Map);
        outer.Dispose();
        Assert.True(foundY.IsDisposed);
    }

    [Fact]
    public void A_lookup_that_read_a_slot_before_a_typed_delete_does_not_note_the_old_map_in_the_empty_slot()
    {
        BpfMap outer = Tables(4);
        using Counters x = Counters.Create(_rt);
        byte[] slot = Kernel.U32(5);
        Put(outer, 5, x);

        // A lookup begins and reads X from the kernel ...
        long stamp = outer.InnerMaps.BeginLookup();
        // ... meanwhile another thread deletes the slot ...
        Assert.True(OuterMapOperations.Delete<uint, U32Codec>(outer, Name, 5));
        // ... then the lookup opens X (the owner's handle keeps it alive) and adds it.
        Assert.Equal(BpfErrno.None, _rt.TryOpenBorrowedById(x.Map.Id, out BpfMap? staleX));
        BpfMap returned = outer.InnerMaps.Add(staleX!, slot, stamp);

        // Valid as a borrowed map, but no slot is noted as holding it: the slot is empty.
        Assert.False(returned.IsDisposed);
        Assert.Null(outer.InnerMaps.NotedMap(slot));
        Assert.Equal(0, outer.InnerMaps.SlotsNoted(x.Map.Id));
        outer.Dispose();
        Assert.True(returned.IsDisposed);
    }

    [Fact]
    public void Slots_are_counted_per_map_and_a_map_is_released_with_its_last_slot()
    {
        BpfMap outer = Tables(64);
        using Counters shared = Counters.Create(_rt);
        using Counters other = Counters.Create(_rt);
        for (uint i = 0; i < 5; i++)
        {
            Put(outer, i, shared);
        }

        for (uint i = 10; i < 40; i++)
        {
            Put(outer, i, other);
        }

        Assert.Equal(5, outer.InnerMaps.SlotsNoted(shared.Map.Id));
        Assert.Equal(30, outer.InnerMaps.SlotsNoted(other.Map.Id));
        BpfMap borrowed = Lookup(outer, 0).Map;
        Assert.Same(borrowed, Lookup(outer, 4).Map);
        for (uint i = 0; i < 4; i++)
        {
            Put(outer, i, other);
            Assert.False(borrowed.IsDisposed);
        }

        Assert.Equal(1, outer.InnerMaps.SlotsNoted(shared.Map.Id));
        Assert.Equal(34, outer.InnerMaps.SlotsNoted(other.Map.Id));
        Assert.True(OuterMapOperations.Delete<uint, U32Codec>(outer, Name, 4));
        Assert.True(borrowed.IsDisposed);
        Assert.Equal(0, outer.InnerMaps.SlotsNoted(shared.Map.Id));
        outer.Dispose();
    }

    [Fact]
    public void FromMap_of_a_borrowed_inner_map_takes_an_owned_duplicate()
    {
        BpfMap outer = Tables(4);
        using (Counters counters = Counters.Create(_rt))
        {
            counters.Update(1, 77);
            Put(outer, 3, counters);
        }

        BpfMap borrowed = Lookup(outer, 3).Map;
        Assert.False(borrowed.IsOwned);
        using Counters owned = Counters.FromMap(borrowed);
        Assert.True(owned.Map.IsOwned);
        Assert.NotSame(borrowed, owned.Map);
        Assert.Equal(borrowed.Id, owned.Map.Id);

        // The outer handle's release of its borrowed maps leaves the owned one working.
        outer.Dispose();
        Assert.True(borrowed.IsDisposed);
        Assert.True(owned.TryLookup(1, out ulong value));
        Assert.Equal(77ul, value);
        // An owned handle is taken as it is.
        Assert.Same(owned.Map, MapOperations.FromMap(owned.Map, Counters.Spec));
    }
}

/// <summary>A <c>u32</c> key codec that runs a callback of the test on this thread while it writes a key.</summary>
internal readonly struct CallbackKeyCodec : IBpfCodec<uint>
{
    [ThreadStatic]
    public static Action<uint>? OnWrite;

    public static int Size => sizeof(uint);

    public static void Write(Span<byte> destination, in uint value)
    {
        OnWrite?.Invoke(value);
        System.Runtime.InteropServices.MemoryMarshal.Write(destination, value);
    }

    public static uint Read(ReadOnlySpan<byte> source) => System.Runtime.InteropServices.MemoryMarshal.Read<uint>(source);
}
