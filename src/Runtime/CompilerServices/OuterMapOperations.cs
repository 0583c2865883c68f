using System;
using System.Collections.Generic;
using System.ComponentModel;

namespace MapGen.CompilerServices;

/// <summary>
/// The typed operations of generated outer maps (<c>ArrayOfMaps</c>, <c>HashOfMaps</c>): values
/// are inner maps, written as the inner map's fd and read back as its ID, which is opened once
/// and kept as a borrowed handle of the outer handle.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class OuterMapOperations
{
    /// <summary>How often a lookup is retried when the inner map disappears between reading its ID and opening it.</summary>
    private const int OpenAttempts = 8;

    /// <summary>Looks up a slot; false when empty. The inner map is borrowed from the outer handle.</summary>
    /// <exception cref="BpfMapMismatchException">The map in the slot does not fit the declared inner map.</exception>
    public static bool TryLookup<TKey, TKeyCodec, TInner>(BpfMap? outer, string mapName, in TKey key, out TInner inner)
        where TKeyCodec : IBpfCodec<TKey>
        where TInner : struct, IBpfMap<TInner>
    {
        BpfMap live = MapOperations.Live(outer, mapName);
        Span<byte> keyBytes = stackalloc byte[TKeyCodec.Size];
        TKeyCodec.Write(keyBytes, in key);
        if (TryLookupInner(live, keyBytes, TInner.Spec, out BpfMap? innerMap))
        {
            inner = TInner.Wrap(innerMap!);
            return true;
        }

        inner = default;
        return false;
    }

    /// <summary>Looks up a slot. The inner map is borrowed from the outer handle.</summary>
    /// <exception cref="KeyNotFoundException">The slot is empty.</exception>
    public static TInner Lookup<TKey, TKeyCodec, TInner>(BpfMap? outer, string mapName, in TKey key)
        where TKeyCodec : IBpfCodec<TKey>
        where TInner : struct, IBpfMap<TInner>
    {
        if (!TryLookup<TKey, TKeyCodec, TInner>(outer, mapName, in key, out TInner inner))
        {
            throw new KeyNotFoundException($"The slot {KeyText.Format<TKey, TKeyCodec>(in key)} of outer map '{outer!.Name}' is empty.");
        }

        return inner;
    }

    /// <summary>Puts an inner map into a slot, after checking it with the kernel's compatibility rule.</summary>
    /// <exception cref="ArgumentException">The inner map belongs to another runtime.</exception>
    /// <exception cref="BpfMapMismatchException">The inner map does not fit the declared inner map.</exception>
    /// <exception cref="BpfException">The kernel refused the update.</exception>
    public static void Update<TKey, TKeyCodec, TInner>(BpfMap? outer, string mapName, in TKey key, TInner inner, BpfUpdateFlags flags)
        where TKeyCodec : IBpfCodec<TKey>
        where TInner : struct, IBpfMap<TInner>
    {
        BpfMap live = MapOperations.Live(outer, mapName);
        BpfMap innerMap = CheckInner(live, inner.Map, TInner.Spec, nameof(inner));
        Span<byte> keyBytes = stackalloc byte[TKeyCodec.Size];
        TKeyCodec.Write(keyBytes, in key);
        Span<byte> fd = stackalloc byte[sizeof(int)];
        BpfErrno errno;
        bool changed = false;
        uint id = innerMap.Id;
        InnerMapCache cache = live.InnerMaps;
        InnerMapCache.SlotChange change = cache.BeginSlotChange();
        try
        {
            // The inner map's fd is held open across the system call: a concurrent close (of a
            // borrowed inner map whose slot another thread replaced) must not let the kernel reuse
            // the number for another map before the update reads it.
            using FdLease lease = innerMap.LeaseFd();
            System.Runtime.InteropServices.MemoryMarshal.Write(fd, lease.Fd);
            errno = live.TryUpdate(keyBytes, fd, flags);
            changed = errno == BpfErrno.None;
        }
        finally
        {
            cache.EndSlotChange(change, live, changed ? keyBytes : default, changed ? new ReadOnlySpan<uint>(in id) : default);
        }

        if (errno != BpfErrno.None)
        {
            throw new BpfException(errno, "update", live.Name, OuterUpdateHint(errno, live, flags));
        }
    }

    /// <summary>
    /// Puts inner maps into slots, all checked before any is written; the backend installs them
    /// in one batch where it can (one RCU grace period for all).
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length, or an inner map belongs to another runtime.</exception>
    /// <exception cref="BpfMapMismatchException">An inner map does not fit the declared inner map; nothing was written.</exception>
    /// <exception cref="BpfBatchException">The kernel refused an update; <see cref="BpfBatchException.Processed"/> slots were written before it.</exception>
    public static void UpdateBatch<TKey, TKeyCodec, TInner>(BpfMap? outer, string mapName, ReadOnlySpan<TKey> keys, ReadOnlySpan<TInner> inners)
        where TKeyCodec : IBpfCodec<TKey>
        where TInner : struct, IBpfMap<TInner>
    {
        BpfMap live = MapOperations.Live(outer, mapName);
        if (keys.Length != inners.Length)
        {
            throw new ArgumentException($"{keys.Length} keys were given for {inners.Length} inner maps.", nameof(inners));
        }

        int keySize = TKeyCodec.Size;
        byte[] keyBytes = new byte[keys.Length * keySize];
        byte[] fds = new byte[inners.Length * sizeof(int)];
        uint[] ids = new uint[inners.Length];
        // Every inner map's fd is held open until the batch is written (see Update).
        BpfMap[] leased = new BpfMap[inners.Length];
        int leasedCount = 0;
        BpfErrno errno;
        int written = 0;
        InnerMapCache cache = live.InnerMaps;
        InnerMapCache.SlotChange change = cache.BeginSlotChange();
        try
        {
            for (int i = 0; i < keys.Length; i++)
            {
                BpfMap innerMap = CheckInner(live, inners[i].Map, TInner.Spec, nameof(inners));
                innerMap.AddFdRef();
                leased[leasedCount++] = innerMap;
                TKeyCodec.Write(keyBytes.AsSpan(i * keySize, keySize), in keys[i]);
                System.Runtime.InteropServices.MemoryMarshal.Write(fds.AsSpan(i * sizeof(int)), innerMap.FdUnchecked);
                ids[i] = innerMap.Id;
            }

            errno = live.UpdateBatch(keyBytes, fds, keys.Length, BpfUpdateFlags.Any, out written);
        }
        finally
        {
            for (int i = 0; i < leasedCount; i++)
            {
                leased[i].ReleaseFdRef();
            }

            cache.EndSlotChange(change, live, keyBytes.AsSpan(0, written * keySize), ids.AsSpan(0, written));
        }

        if (errno != BpfErrno.None)
        {
            throw new BpfBatchException(errno, "batch update", live.Name, written, written, keys.Length, OuterUpdateHint(errno, live, BpfUpdateFlags.Any));
        }
    }

    /// <summary>Empties a slot; false when it was empty.</summary>
    /// <exception cref="BpfException">The kernel refused the delete for another reason.</exception>
    public static bool Delete<TKey, TKeyCodec>(BpfMap? outer, string mapName, in TKey key)
        where TKeyCodec : IBpfCodec<TKey>
    {
        BpfMap live = MapOperations.Live(outer, mapName);
        Span<byte> keyBytes = stackalloc byte[TKeyCodec.Size];
        TKeyCodec.Write(keyBytes, in key);
        BpfErrno errno;
        bool changed = false;
        uint empty = 0;
        InnerMapCache cache = live.InnerMaps;
        InnerMapCache.SlotChange change = cache.BeginSlotChange();
        try
        {
            errno = live.TryDelete(keyBytes);
            changed = errno == BpfErrno.None;
        }
        finally
        {
            cache.EndSlotChange(change, live, changed ? keyBytes : default, changed ? new ReadOnlySpan<uint>(in empty) : default);
        }

        switch (errno)
        {
            case BpfErrno.None:
                return true;
            case BpfErrno.ENOENT:
                return false;
            default:
                throw new BpfException(errno, "delete", live.Name);
        }
    }

    /// <summary>The keys of the non-empty slots.</summary>
    public static IEnumerable<TKey> Keys<TKey, TKeyCodec>(BpfMap? outer, string mapName)
        where TKeyCodec : IBpfCodec<TKey>
    {
        // The raw keys of an array of maps are already its filled slots (BpfMap.EnumerateKeys).
        return KeyEnumeration.Keys<TKey, TKeyCodec>(MapOperations.Live(outer, mapName));
    }

    /// <summary>The non-empty slots with their (borrowed) inner maps.</summary>
    public static IEnumerable<KeyValuePair<TKey, TInner>> Entries<TKey, TKeyCodec, TInner>(BpfMap? outer, string mapName)
        where TKeyCodec : IBpfCodec<TKey>
        where TInner : struct, IBpfMap<TInner>
    {
        BpfMap live = MapOperations.Live(outer, mapName);
        return Iterator(live);

        static IEnumerable<KeyValuePair<TKey, TInner>> Iterator(BpfMap live)
        {
            foreach (byte[] key in KeyEnumeration.RawKeys(live))
            {
                if (TryLookupInner(live, key, TInner.Spec, out BpfMap? inner))
                {
                    yield return new KeyValuePair<TKey, TInner>(TKeyCodec.Read(key), TInner.Wrap(inner!));
                }
            }
        }
    }

    private static bool TryLookupInner(BpfMap outer, ReadOnlySpan<byte> key, BpfMapSpec innerSpec, out BpfMap? inner)
    {
        Span<byte> idBytes = stackalloc byte[sizeof(uint)];
        for (int attempt = 0; attempt < OpenAttempts; attempt++)
        {
            // Read before the slot: a typed change after this is newer than what the lookup finds.
            long lookupStamp = outer.InnerMaps.BeginLookup();
            BpfErrno errno = outer.TryLookup(key, idBytes);
            if (errno == BpfErrno.ENOENT)
            {
                inner = null;
                return false;
            }

            if (errno != BpfErrno.None)
            {
                throw new BpfException(errno, "lookup", outer.Name);
            }

            uint id = System.Runtime.InteropServices.MemoryMarshal.Read<uint>(idBytes);
            if (outer.InnerMaps.TryGet(id, key, lookupStamp, out BpfMap cached))
            {
                inner = cached;
                return true;
            }

            errno = outer.Runtime.TryOpenBorrowedById(id, out BpfMap? opened);
            if (errno == BpfErrno.ENOENT)
            {
                // The slot was replaced and its map freed between the lookup and the open.
                continue;
            }

            if (errno != BpfErrno.None)
            {
                throw new BpfException(errno, $"open inner map ID {id}", outer.Name);
            }

            IReadOnlyList<BpfMapFieldMismatch> mismatches = innerSpec.FindInnerMapMismatches(opened!.Info);
            if (mismatches.Count != 0)
            {
                opened.Close();
                throw new BpfMapMismatchException(innerSpec.Name, $"The map '{opened.Name}' (ID {id}) in a slot of '{outer.Name}'", mismatches);
            }

            inner = outer.InnerMaps.Add(opened, key, lookupStamp);
            return true;
        }

        throw new BpfException(BpfErrno.ENOENT,
            $"The slot of outer map '{outer.Name}' kept changing: its inner map was freed before it could be opened, {OpenAttempts} times.");
    }

    private static BpfMap CheckInner(BpfMap outer, BpfMap innerMap, BpfMapSpec innerSpec, string paramName)
    {
        innerMap.ThrowIfDisposed();
        if (!ReferenceEquals(innerMap.Runtime, outer.Runtime))
        {
            throw new ArgumentException(
                $"The inner map '{innerMap.Name}' belongs to another runtime than outer map '{outer.Name}'; create it with the outer map's runtime.",
                paramName);
        }

        IReadOnlyList<BpfMapFieldMismatch> mismatches = innerSpec.FindInnerMapMismatches(innerMap.Info);
        if (mismatches.Count != 0)
        {
            throw new BpfMapMismatchException(innerSpec.Name, $"The inner map '{innerMap.Name}' (ID {innerMap.Id}) given for '{outer.Name}'", mismatches);
        }

        return innerMap;
    }

    private static string? OuterUpdateHint(BpfErrno errno, BpfMap outer, BpfUpdateFlags flags) => errno switch
    {
        BpfErrno.EINVAL when outer.Type == BpfMapType.ArrayOfMaps && flags != BpfUpdateFlags.Any =>
            "An array of maps accepts only BpfUpdateFlags.Any.",
        BpfErrno.E2BIG when outer.Type == BpfMapType.ArrayOfMaps => $"The index must be below max_entries ({outer.Info.MaxEntries}).",
        BpfErrno.E2BIG => $"The outer map is full (max_entries {outer.Info.MaxEntries}).",
        _ => DataMapOperations.UpdateHint(errno, outer, flags),
    };
}
