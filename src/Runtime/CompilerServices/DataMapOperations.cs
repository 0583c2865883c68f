using System;
using System.Buffers;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using MapGen.Emulation;

namespace MapGen.CompilerServices;

/// <summary>
/// The typed element operations of generated data maps, over the raw handle. Keys and values go
/// through the generated codecs; buffers live on the stack (or the shared pool when large), so
/// the operations allocate nothing.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class DataMapOperations
{
    /// <summary>Buffers up to this size live on the stack.</summary>
    internal const int StackLimit = 256;

    /// <summary>Looks up a key; false when absent.</summary>
    /// <remarks>
    /// On an emulated hash map (the common case in tests and the one where call overhead shows)
    /// the lookup goes straight to the hash table once the handle is known to be open, readable
    /// and of the codecs' sizes: no second round of checks, no virtual calls, and key and value
    /// handled with the codecs' constant sizes; the common case is inlined into the caller. A
    /// native map makes its one system call with key and value where they lie. Everything else
    /// takes the checked path through <see cref="BpfMap.TryLookup"/>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryLookup<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, in TKey key, out TValue value)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        // One compare covers "an emulated hash table this handle may read, open, of the codecs'
        // sizes, hashed with SeededHash" (a closed or other handle has HashTable.None, whose
        // shapes match nothing). The table is read once: a close on another thread resets it to
        // HashTable.None, which a second read would then search and find the key missing from.
        if (TKeyCodec.Size == Unsafe.SizeOf<TKey>()
            && map is { DirectReads: var table }
            && table.SeededShape == HashTable.ShapeOf(TKeyCodec.Size, TValueCodec.Size)
            && table.TryReadSeeded<TKey, TKeyCodec, TValue, TValueCodec>(in key, out value, out bool found))
        {
            return found;
        }

        if (Unsafe.SizeOf<TKey>() <= sizeof(ulong) && Unsafe.SizeOf<TValue>() <= sizeof(ulong))
        {
            // A small key goes by value and the result comes back by value, so that the fast path
            // above keeps both in registers instead of in memory whose address escapes. (A larger
            // key lives in memory anyway, and copying it in registers only to read it back whole
            // would defeat store forwarding.)
            (bool present, value) = TryLookupSlowSmall<TKey, TKeyCodec, TValue, TValueCodec>(map, mapName, key);
            return present;
        }

        return TryLookupSlow<TKey, TKeyCodec, TValue, TValueCodec>(map, mapName, in key, out value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (bool Present, TValue Value) TryLookupSlowSmall<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, TKey key)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        bool present = TryLookupOther<TKey, TKeyCodec, TValue, TValueCodec>(map, mapName, in key, out TValue value);
        return (present, value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryLookupSlow<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, in TKey key, out TValue value)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue> =>
        TryLookupOther<TKey, TKeyCodec, TValue, TValueCodec>(map, mapName, in key, out value);

    /// <summary>
    /// The lookup of <see cref="TryLookup"/> when its one inline attempt did not do: a native map
    /// with one system call; an emulated hash table of the codecs' shape still directly (whatever
    /// its hash, waiting for writers); everything else, and a disposed runtime, the checked path.
    /// Inlined into the two out-of-line entries above, so that a native lookup makes one call
    /// before the system call's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryLookupOther<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, in TKey key, out TValue value)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        if (map is Native.NativeMap native && map.KeySize == TKeyCodec.Size && map.UserValueSize == TValueCodec.Size
            && TKeyCodec.Size == Unsafe.SizeOf<TKey>() && TValueCodec.Size == Unsafe.SizeOf<TValue>())
        {
            // One system call with key and value where they lie; the kernel's errors as the checked path reports them.
            BpfErrno errno = native.LookupTyped<TKey, TKeyCodec, TValue, TValueCodec>(in key, out value);
            return errno == BpfErrno.None || (errno == BpfErrno.ENOENT ? false : throw new BpfException(errno, "lookup", map.Name));
        }

        if (TKeyCodec.Size == Unsafe.SizeOf<TKey>()
            && map is { DirectReads: var table }
            && table.Shape == HashTable.ShapeOf(TKeyCodec.Size, TValueCodec.Size))
        {
            // Read once, as in TryLookup. A disposed runtime marks the table dead: the checked path then throws.
            BpfErrno errno = table.TryLookupTyped<TKey, TKeyCodec, TValue, TValueCodec>(in key, out value);
            if (errno != BpfErrno.EBADF)
            {
                return errno == BpfErrno.None;
            }
        }

        return TryLookupChecked<TKey, TKeyCodec, TValue, TValueCodec>(map, mapName, in key, out value);
    }

    private static bool TryLookupChecked<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, in TKey key, out TValue value)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        byte[]? rentedKey = null;
        byte[]? rentedValue = null;
        Span<byte> keyBytes = TKeyCodec.Size <= StackLimit ? stackalloc byte[StackLimit] : (rentedKey = ArrayPool<byte>.Shared.Rent(TKeyCodec.Size));
        Span<byte> valueBytes = TValueCodec.Size <= StackLimit ? stackalloc byte[StackLimit] : (rentedValue = ArrayPool<byte>.Shared.Rent(TValueCodec.Size));
        try
        {
            keyBytes = keyBytes[..TKeyCodec.Size];
            valueBytes = valueBytes[..TValueCodec.Size];
            TKeyCodec.Write(keyBytes, in key);
            BpfErrno errno = live.TryLookup(keyBytes, valueBytes);
            if (errno == BpfErrno.None)
            {
                value = TValueCodec.Read(valueBytes);
                return true;
            }

            if (errno != BpfErrno.ENOENT)
            {
                throw new BpfException(errno, "lookup", live.Name);
            }

            value = default!;
            return false;
        }
        finally
        {
            Return(rentedKey);
            Return(rentedValue);
        }
    }

    /// <summary>Looks up a key.</summary>
    /// <exception cref="KeyNotFoundException">The key is absent.</exception>
    public static TValue Lookup<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, in TKey key)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        if (!TryLookup<TKey, TKeyCodec, TValue, TValueCodec>(map, mapName, in key, out TValue value))
        {
            ThrowKeyNotFound<TKey, TKeyCodec>(map!.Name, in key);
        }

        return value;
    }

    /// <summary>Creates or replaces an element.</summary>
    /// <remarks>As <see cref="TryLookup"/>: an emulated <see cref="BpfMapType.Hash"/> map is updated directly once the handle is checked, a native map with one system call.</remarks>
    /// <exception cref="BpfException">The kernel refused the update.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Update<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, in TKey key, in TValue value, BpfUpdateFlags flags)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        if (TKeyCodec.Size == Unsafe.SizeOf<TKey>()
            && map is { DirectWrites: { } hash }
            && map.KeySize == TKeyCodec.Size && map.UserValueSize == TValueCodec.Size
            && !map.Runtime.IsDisposed)
        {
            BpfErrno errno = hash.Update<TKey, TKeyCodec, TValue, TValueCodec>(in key, in value, flags);
            if (errno != BpfErrno.None)
            {
                ThrowUpdateFailed(errno, map, flags);
            }

            return;
        }

        UpdateSlow<TKey, TKeyCodec, TValue, TValueCodec>(map, mapName, in key, in value, flags);
    }

    /// <summary>The update of <see cref="Update"/> on anything but an emulated hash map: a native map directly, the rest checked.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void UpdateSlow<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, in TKey key, in TValue value, BpfUpdateFlags flags)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        if (map is Native.NativeMap native && map.KeySize == TKeyCodec.Size && map.UserValueSize == TValueCodec.Size
            && TKeyCodec.Size == Unsafe.SizeOf<TKey>() && TValueCodec.Size == Unsafe.SizeOf<TValue>())
        {
            // One system call with key and value where they lie.
            BpfErrno errno = native.UpdateTyped<TKey, TKeyCodec, TValue, TValueCodec>(in key, in value, flags);
            if (errno != BpfErrno.None)
            {
                ThrowUpdateFailed(errno, map, flags);
            }

            return;
        }

        UpdateChecked<TKey, TKeyCodec, TValue, TValueCodec>(map, mapName, in key, in value, flags);
    }

    private static void UpdateChecked<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, in TKey key, in TValue value, BpfUpdateFlags flags)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        byte[]? rentedKey = null;
        byte[]? rentedValue = null;
        Span<byte> keyBytes = TKeyCodec.Size <= StackLimit ? stackalloc byte[StackLimit] : (rentedKey = ArrayPool<byte>.Shared.Rent(TKeyCodec.Size));
        Span<byte> valueBytes = TValueCodec.Size <= StackLimit ? stackalloc byte[StackLimit] : (rentedValue = ArrayPool<byte>.Shared.Rent(TValueCodec.Size));
        try
        {
            keyBytes = keyBytes[..TKeyCodec.Size];
            valueBytes = valueBytes[..TValueCodec.Size];
            TKeyCodec.Write(keyBytes, in key);
            TValueCodec.Write(valueBytes, in value);
            BpfErrno errno = live.TryUpdate(keyBytes, valueBytes, flags);
            if (errno != BpfErrno.None)
            {
                throw new BpfException(errno, "update", live.Name, UpdateHint(errno, live, flags));
            }
        }
        finally
        {
            Return(rentedKey);
            Return(rentedValue);
        }
    }

    /// <summary>Deletes an element; false when absent.</summary>
    /// <exception cref="BpfException">The kernel refused the delete for another reason.</exception>
    public static bool Delete<TKey, TKeyCodec>(BpfMap? map, string mapName, in TKey key)
        where TKeyCodec : IBpfCodec<TKey>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        byte[]? rentedKey = null;
        Span<byte> keyBytes = TKeyCodec.Size <= StackLimit ? stackalloc byte[StackLimit] : (rentedKey = ArrayPool<byte>.Shared.Rent(TKeyCodec.Size));
        try
        {
            keyBytes = keyBytes[..TKeyCodec.Size];
            TKeyCodec.Write(keyBytes, in key);
            BpfErrno errno = live.TryDelete(keyBytes);
            return errno switch
            {
                BpfErrno.None => true,
                BpfErrno.ENOENT => false,
                _ => throw new BpfException(errno, "delete", live.Name),
            };
        }
        finally
        {
            Return(rentedKey);
        }
    }

    /// <summary>Looks up a key of a per-CPU map into one value per possible CPU; false when absent.</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold one value per possible CPU.</exception>
    public static bool TryLookupPerCpu<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, in TKey key, Span<TValue> values)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        CheckCpuCount(live, values.Length, nameof(values));
        int stride = (int)BpfMapRules.RoundUp8((uint)TValueCodec.Size);
        byte[]? rentedKey = null;
        byte[]? rentedValue = null;
        Span<byte> keyBytes = TKeyCodec.Size <= StackLimit ? stackalloc byte[StackLimit] : (rentedKey = ArrayPool<byte>.Shared.Rent(TKeyCodec.Size));
        int valueLength = stride * values.Length;
        Span<byte> valueBytes = valueLength <= StackLimit * 4 ? stackalloc byte[StackLimit * 4] : (rentedValue = ArrayPool<byte>.Shared.Rent(valueLength));
        try
        {
            keyBytes = keyBytes[..TKeyCodec.Size];
            valueBytes = valueBytes[..valueLength];
            TKeyCodec.Write(keyBytes, in key);
            BpfErrno errno = live.TryLookup(keyBytes, valueBytes);
            if (errno == BpfErrno.None)
            {
                for (int cpu = 0; cpu < values.Length; cpu++)
                {
                    values[cpu] = TValueCodec.Read(valueBytes.Slice(cpu * stride, TValueCodec.Size));
                }

                return true;
            }

            return errno == BpfErrno.ENOENT ? false : throw new BpfException(errno, "lookup", live.Name);
        }
        finally
        {
            Return(rentedKey);
            Return(rentedValue);
        }
    }

    /// <summary>Looks up a key of a per-CPU map.</summary>
    /// <returns>One value per possible CPU, in CPU order.</returns>
    /// <exception cref="KeyNotFoundException">The key is absent.</exception>
    public static TValue[] LookupPerCpu<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, in TKey key)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        var values = new TValue[live.Runtime.PossibleCpus];
        if (!TryLookupPerCpu<TKey, TKeyCodec, TValue, TValueCodec>(live, mapName, in key, values))
        {
            ThrowKeyNotFound<TKey, TKeyCodec>(live.Name, in key);
        }

        return values;
    }

    /// <summary>Creates or replaces an element of a per-CPU map with one value per possible CPU.</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold one value per possible CPU.</exception>
    /// <exception cref="BpfException">The kernel refused the update.</exception>
    public static void UpdatePerCpu<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, in TKey key, ReadOnlySpan<TValue> values, BpfUpdateFlags flags)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        CheckCpuCount(live, values.Length, nameof(values));
        int stride = (int)BpfMapRules.RoundUp8((uint)TValueCodec.Size);
        byte[]? rentedKey = null;
        byte[]? rentedValue = null;
        Span<byte> keyBytes = TKeyCodec.Size <= StackLimit ? stackalloc byte[StackLimit] : (rentedKey = ArrayPool<byte>.Shared.Rent(TKeyCodec.Size));
        int valueLength = stride * values.Length;
        Span<byte> valueBytes = valueLength <= StackLimit * 4 ? stackalloc byte[StackLimit * 4] : (rentedValue = ArrayPool<byte>.Shared.Rent(valueLength));
        try
        {
            keyBytes = keyBytes[..TKeyCodec.Size];
            valueBytes = valueBytes[..valueLength];
            valueBytes.Clear();
            TKeyCodec.Write(keyBytes, in key);
            for (int cpu = 0; cpu < values.Length; cpu++)
            {
                TValueCodec.Write(valueBytes.Slice(cpu * stride, TValueCodec.Size), in values[cpu]);
            }

            BpfErrno errno = live.TryUpdate(keyBytes, valueBytes, flags);
            if (errno != BpfErrno.None)
            {
                throw new BpfException(errno, "update", live.Name, UpdateHint(errno, live, flags));
            }
        }
        finally
        {
            Return(rentedKey);
            Return(rentedValue);
        }
    }

    /// <summary>The keys, in kernel order; each at most once, and the enumeration always ends.</summary>
    public static IEnumerable<TKey> Keys<TKey, TKeyCodec>(BpfMap? map, string mapName)
        where TKeyCodec : IBpfCodec<TKey>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        return KeyEnumeration.Keys<TKey, TKeyCodec>(live);
    }

    /// <summary>The elements, in kernel order; keys deleted while enumerating are skipped.</summary>
    public static IEnumerable<KeyValuePair<TKey, TValue>> Entries<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        return EntriesIterator(live);

        static IEnumerable<KeyValuePair<TKey, TValue>> EntriesIterator(BpfMap live)
        {
            // Batched where the backend can; an entry's buffers are decoded before moving on.
            foreach (RawEntry entry in KeyEnumeration.RawEntries(live))
            {
                yield return new KeyValuePair<TKey, TValue>(TKeyCodec.Read(entry.Key.Span), TValueCodec.Read(entry.Value.Span));
            }
        }
    }

    /// <summary>The elements of a per-CPU map, each with one value per possible CPU.</summary>
    public static IEnumerable<KeyValuePair<TKey, TValue[]>> EntriesPerCpu<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        return EntriesIterator(live);

        static IEnumerable<KeyValuePair<TKey, TValue[]>> EntriesIterator(BpfMap live)
        {
            int cpus = live.Runtime.PossibleCpus;
            int stride = (int)BpfMapRules.RoundUp8((uint)TValueCodec.Size);
            foreach (RawEntry entry in KeyEnumeration.RawEntries(live))
            {
                var values = new TValue[cpus];
                for (int cpu = 0; cpu < cpus; cpu++)
                {
                    values[cpu] = TValueCodec.Read(entry.Value.Span.Slice(cpu * stride, TValueCodec.Size));
                }

                yield return new KeyValuePair<TKey, TValue[]>(TKeyCodec.Read(entry.Key.Span), values);
            }
        }
    }

    internal static string? UpdateHint(BpfErrno errno, BpfMap map, BpfUpdateFlags flags) => errno switch
    {
        BpfErrno.E2BIG when map.Type is BpfMapType.Array or BpfMapType.PerCpuArray or BpfMapType.DevMap or BpfMapType.ArrayOfMaps =>
            $"The index must be below max_entries ({map.Info.MaxEntries}).",
        BpfErrno.E2BIG => $"The map is full (max_entries {map.Info.MaxEntries}); delete elements or use an LRU map.",
        BpfErrno.EEXIST when (flags & BpfUpdateFlags.NoExist) != 0 => "BpfUpdateFlags.NoExist was given and the element exists.",
        BpfErrno.ENOENT when (flags & BpfUpdateFlags.Exist) != 0 => "BpfUpdateFlags.Exist was given and the element is absent.",
        BpfErrno.EINVAL when map.Type is BpfMapType.DevMap or BpfMapType.DevMapHash => "The value must be the ifindex of an existing interface (0 clears a DevMap slot).",
        _ => null,
    };

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowUpdateFailed(BpfErrno errno, BpfMap map, BpfUpdateFlags flags) =>
        throw new BpfException(errno, "update", map.Name, UpdateHint(errno, map, flags));

    private static void CheckCpuCount(BpfMap map, int count, string paramName)
    {
        if (count != map.Runtime.PossibleCpus)
        {
            throw new ArgumentException(
                $"Per-CPU map '{map.Name}' holds one value per possible CPU: pass {map.Runtime.PossibleCpus} values (BpfRuntime.PossibleCpus), not {count}.",
                paramName);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowKeyNotFound<TKey, TKeyCodec>(string mapName, in TKey key)
        where TKeyCodec : IBpfCodec<TKey> =>
        throw new KeyNotFoundException($"The key {KeyText.Format<TKey, TKeyCodec>(in key)} is not in map '{mapName}'.");

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
