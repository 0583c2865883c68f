using System;
using System.Buffers;
using System.Collections.Generic;

namespace MapGen.CompilerServices;

/// <summary>The bulk operations of generated data maps: batched writes, deletes and drains, and views of mapped arrays.</summary>
public static partial class DataMapOperations
{
    /// <summary>
    /// A batch is written in chunks of about this many bytes of keys and values: one system call
    /// per chunk (the cost of the call vanishes well before this size), with buffers whose size
    /// does not grow with the batch.
    /// </summary>
    internal const int BatchChunkBytes = 64 * 1024;

    /// <summary>Creates or replaces the elements <paramref name="keys"/>[i] → <paramref name="values"/>[i], in batches.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="BpfBatchException">The kernel refused an element; those before it were written.</exception>
    public static void UpdateBatch<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, ReadOnlySpan<TKey> keys, ReadOnlySpan<TValue> values)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        if (keys.Length != values.Length)
        {
            throw new ArgumentException($"{keys.Length} keys were given for {values.Length} values.", nameof(values));
        }

        int chunk = ChunkLength(TKeyCodec.Size + TValueCodec.Size, keys.Length);
        byte[] keyBytes = ArrayPool<byte>.Shared.Rent(chunk * TKeyCodec.Size);
        byte[] valueBytes = ArrayPool<byte>.Shared.Rent(chunk * TValueCodec.Size);
        try
        {
            for (int start = 0; start < keys.Length; start += chunk)
            {
                int count = Math.Min(chunk, keys.Length - start);
                for (int i = 0; i < count; i++)
                {
                    TKeyCodec.Write(keyBytes.AsSpan(i * TKeyCodec.Size, TKeyCodec.Size), in keys[start + i]);
                    TValueCodec.Write(valueBytes.AsSpan(i * TValueCodec.Size, TValueCodec.Size), in values[start + i]);
                }

                WriteChunk(live, keyBytes.AsSpan(0, count * TKeyCodec.Size), valueBytes.AsSpan(0, count * TValueCodec.Size), count, start, keys.Length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(keyBytes);
            ArrayPool<byte>.Shared.Return(valueBytes);
        }
    }

    /// <summary>
    /// Creates or replaces elements of a per-CPU map in batches: <paramref name="values"/> holds
    /// one value per possible CPU for each key, the values of <paramref name="keys"/>[i] at
    /// <c>[i × PossibleCpus, (i + 1) × PossibleCpus)</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold <c>keys.Length × PossibleCpus</c> values.</exception>
    /// <exception cref="BpfBatchException">The kernel refused an element; those before it were written.</exception>
    public static void UpdateBatchPerCpu<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, ReadOnlySpan<TKey> keys, ReadOnlySpan<TValue> values)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        int cpus = live.Runtime.PossibleCpus;
        if (values.Length != (long)keys.Length * cpus)
        {
            throw new ArgumentException(
                $"Per-CPU map '{live.Name}' holds one value per possible CPU: {keys.Length} keys take {(long)keys.Length * cpus} values ({cpus} each, BpfRuntime.PossibleCpus), not {values.Length}.",
                nameof(values));
        }

        int stride = (int)BpfMapRules.RoundUp8((uint)TValueCodec.Size);
        int elementValueBytes = stride * cpus;
        int chunk = ChunkLength(TKeyCodec.Size + elementValueBytes, keys.Length);
        byte[] keyBytes = ArrayPool<byte>.Shared.Rent(chunk * TKeyCodec.Size);
        byte[] valueBytes = ArrayPool<byte>.Shared.Rent(chunk * elementValueBytes);
        try
        {
            for (int start = 0; start < keys.Length; start += chunk)
            {
                int count = Math.Min(chunk, keys.Length - start);
                // The bytes between one CPU's value and the next are padding: zero, not what the pool held.
                valueBytes.AsSpan(0, count * elementValueBytes).Clear();
                for (int i = 0; i < count; i++)
                {
                    TKeyCodec.Write(keyBytes.AsSpan(i * TKeyCodec.Size, TKeyCodec.Size), in keys[start + i]);
                    for (int cpu = 0; cpu < cpus; cpu++)
                    {
                        TValueCodec.Write(valueBytes.AsSpan((i * elementValueBytes) + (cpu * stride), TValueCodec.Size), in values[((start + i) * cpus) + cpu]);
                    }
                }

                WriteChunk(live, keyBytes.AsSpan(0, count * TKeyCodec.Size), valueBytes.AsSpan(0, count * elementValueBytes), count, start, keys.Length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(keyBytes);
            ArrayPool<byte>.Shared.Return(valueBytes);
        }
    }

    /// <summary>Deletes <paramref name="keys"/> in batches; absent keys are passed over.</summary>
    /// <returns>How many of the keys were deleted.</returns>
    /// <exception cref="BpfBatchException">The kernel refused a delete for another reason than absence; the keys before it were handled.</exception>
    public static int DeleteBatch<TKey, TKeyCodec>(BpfMap? map, string mapName, ReadOnlySpan<TKey> keys)
        where TKeyCodec : IBpfCodec<TKey>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        int chunk = ChunkLength(TKeyCodec.Size, keys.Length);
        byte[] keyBytes = ArrayPool<byte>.Shared.Rent(chunk * TKeyCodec.Size);
        int deleted = 0;
        try
        {
            for (int start = 0; start < keys.Length; start += chunk)
            {
                int count = Math.Min(chunk, keys.Length - start);
                for (int i = 0; i < count; i++)
                {
                    TKeyCodec.Write(keyBytes.AsSpan(i * TKeyCodec.Size, TKeyCodec.Size), in keys[start + i]);
                }

                // The kernel stops a batch at the first key it cannot delete; an absent key is
                // no failure here (as Delete returns false for it), so the batch goes on after it.
                int offset = 0;
                while (offset < count)
                {
                    int remaining = count - offset;
                    BpfErrno errno = DeleteChunk(live, keyBytes.AsSpan(offset * TKeyCodec.Size, remaining * TKeyCodec.Size), remaining, out int done, deleted, start + offset, keys.Length);
                    deleted += done;
                    if (errno == BpfErrno.None)
                    {
                        break;
                    }

                    if (errno != BpfErrno.ENOENT)
                    {
                        throw new BpfBatchException(errno, "batch delete", live.Name, start + offset + done, deleted, keys.Length, hint: null);
                    }

                    offset += done + 1;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(keyBytes);
        }

        return deleted;
    }

    /// <summary>
    /// Takes every element out of the map: each is looked up and deleted atomically (in batches
    /// where the kernel has them), so nothing a BPF program adds to an element before it is taken
    /// is lost. Elements added while the drain runs may stay for the next one.
    /// </summary>
    /// <returns>The elements taken, in kernel order.</returns>
    /// <exception cref="BpfDrainException{TKey, TValue}">The kernel (or a concurrent dispose) stopped the drain; the elements taken before are in its <c>Taken</c>.</exception>
    public static KeyValuePair<TKey, TValue>[] Drain<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        return Collect<TKey, TValue>(live, taken => Take<TKey, TKeyCodec, TValue, TValueCodec>(live, taken, out _));
    }

    /// <summary>
    /// As <see cref="Drain"/>, adding each element to <paramref name="destination"/> as soon as it
    /// is out of the map: nothing is lost even when the drain fails part-way, and nothing is
    /// copied to an array.
    /// </summary>
    /// <returns>How many elements were taken.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is read-only.</exception>
    /// <exception cref="BpfException">The kernel stopped the drain; the elements taken before are in <paramref name="destination"/>.</exception>
    public static int DrainTo<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, ICollection<KeyValuePair<TKey, TValue>> destination)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        CheckDestination(destination);
        BpfMap live = MapOperations.Live(map, mapName);
        return Taken(live, Take<TKey, TKeyCodec, TValue, TValueCodec>(live, destination, out int taken), taken);
    }

    /// <summary>As <see cref="Drain"/>, for a per-CPU map: each element with one value per possible CPU.</summary>
    /// <exception cref="BpfDrainException{TKey, TValue}">The kernel (or a concurrent dispose) stopped the drain; the elements taken before are in its <c>Taken</c>.</exception>
    public static KeyValuePair<TKey, TValue[]>[] DrainPerCpu<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        BpfMap live = MapOperations.Live(map, mapName);
        return Collect<TKey, TValue[]>(live, taken => TakePerCpu<TKey, TKeyCodec, TValue, TValueCodec>(live, taken, out _));
    }

    /// <summary>As <see cref="DrainTo"/>, for a per-CPU map.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is read-only.</exception>
    /// <exception cref="BpfException">The kernel stopped the drain; the elements taken before are in <paramref name="destination"/>.</exception>
    public static int DrainToPerCpu<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap? map, string mapName, ICollection<KeyValuePair<TKey, TValue[]>> destination)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        CheckDestination(destination);
        BpfMap live = MapOperations.Live(map, mapName);
        return Taken(live, TakePerCpu<TKey, TKeyCodec, TValue, TValueCodec>(live, destination, out int taken), taken);
    }

    /// <summary>The drain, each element decoded into <paramref name="destination"/> as it comes out of the map.</summary>
    /// <remarks><paramref name="taken"/> is set when the drain returns, not when it throws.</remarks>
    private static BpfErrno Take<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap live, ICollection<KeyValuePair<TKey, TValue>> destination, out int taken)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        CheckSizes(live, TKeyCodec.Size, TValueCodec.Size);
        int added = 0;
        BpfErrno errno = live.Drain((keys, values, count) =>
        {
            for (int i = 0; i < count; i++)
            {
                destination.Add(new KeyValuePair<TKey, TValue>(
                    TKeyCodec.Read(keys.Slice(i * TKeyCodec.Size, TKeyCodec.Size)),
                    TValueCodec.Read(values.Slice(i * TValueCodec.Size, TValueCodec.Size))));
                added++;
            }
        });
        taken = added;
        return errno;
    }

    private static BpfErrno TakePerCpu<TKey, TKeyCodec, TValue, TValueCodec>(BpfMap live, ICollection<KeyValuePair<TKey, TValue[]>> destination, out int taken)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        int cpus = live.Runtime.PossibleCpus;
        int stride = (int)BpfMapRules.RoundUp8((uint)TValueCodec.Size);
        CheckSizes(live, TKeyCodec.Size, stride * cpus);
        int added = 0;
        BpfErrno errno = live.Drain((keys, values, count) =>
        {
            for (int i = 0; i < count; i++)
            {
                var perCpu = new TValue[cpus];
                ReadOnlySpan<byte> element = values.Slice(i * stride * cpus, stride * cpus);
                for (int cpu = 0; cpu < cpus; cpu++)
                {
                    perCpu[cpu] = TValueCodec.Read(element.Slice(cpu * stride, TValueCodec.Size));
                }

                destination.Add(new KeyValuePair<TKey, TValue[]>(TKeyCodec.Read(keys.Slice(i * TKeyCodec.Size, TKeyCodec.Size)), perCpu));
                added++;
            }
        });
        taken = added;
        return errno;
    }

    /// <summary>
    /// Maps the values of a <see cref="BpfMapFlags.Mmapable"/> array into the process: a view whose
    /// element accesses are memory accesses, holding a lease on the mapping until it is disposed.
    /// </summary>
    /// <exception cref="BpfException">The map cannot be mapped (see <see cref="BpfMap.AcquireMappedValues"/>).</exception>
    public static unsafe BpfArrayView<TValue> CreateView<TValue>(BpfMap? map, string mapName)
        where TValue : unmanaged
    {
        BpfMap live = MapOperations.Live(map, mapName);
        if (live.Info.ValueSize != (uint)sizeof(TValue) || BpfMapRules.IsPerCpu(live.Type))
        {
            throw new ArgumentException($"Map '{live.Name}' ({live.Type}) has {live.Info.ValueSize}-byte values; a view of {typeof(TValue).Name} takes {sizeof(TValue)}-byte values of an Array.", nameof(map));
        }

        if (live.Info.MaxEntries > int.MaxValue)
        {
            throw new NotSupportedException($"Map '{live.Name}' has {live.Info.MaxEntries} values; a view holds at most {int.MaxValue}.");
        }

        MappedValues lease = live.AcquireMappedValues();
        return BpfArrayView<TValue>.Create(lease, (int)live.Info.MaxEntries, live.Name);
    }

    /// <summary>As <see cref="CreateView"/>, for values whose size is a multiple of 8: they lie end to end, so the view is also one span.</summary>
    public static unsafe BpfContiguousArrayView<TValue> CreateContiguousView<TValue>(BpfMap? map, string mapName)
        where TValue : unmanaged
    {
        if (sizeof(TValue) % 8 != 0)
        {
            throw new ArgumentException($"{typeof(TValue).Name} has {sizeof(TValue)} bytes: the kernel keeps such values {BpfMapRules.RoundUp8((uint)sizeof(TValue))} bytes apart, so they are no span. Use CreateView.");
        }

        return (BpfContiguousArrayView<TValue>)CreateView<TValue>(map, mapName);
    }

    /// <summary>How many elements of <paramref name="elementBytes"/> bytes go into one chunk of a batch of <paramref name="total"/>.</summary>
    private static int ChunkLength(int elementBytes, int total) =>
        Math.Max(1, Math.Min(total, BatchChunkBytes / Math.Max(1, elementBytes)));

    private static void WriteChunk(BpfMap live, ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int count, int start, int total)
    {
        BpfErrno errno;
        int written;
        try
        {
            errno = live.UpdateBatch(keys, values, count, BpfUpdateFlags.Any, out written);
        }
        catch (ObjectDisposedException e) when (start > 0)
        {
            throw new ObjectDisposedException($"Map '{live.Name}' was disposed during a batch update, after {start} of its {total} elements were written.", e);
        }

        if (errno != BpfErrno.None)
        {
            throw new BpfBatchException(errno, "batch update", live.Name, start + written, start + written, total, UpdateHint(errno, live, BpfUpdateFlags.Any));
        }
    }

    private static BpfErrno DeleteChunk(BpfMap live, ReadOnlySpan<byte> keys, int count, out int deleted, int deletedBefore, int start, int total)
    {
        try
        {
            return live.DeleteBatch(keys, count, out deleted);
        }
        catch (ObjectDisposedException e) when (start > 0)
        {
            throw new ObjectDisposedException($"Map '{live.Name}' was disposed during a batch delete, after {start} of its {total} keys were handled ({deletedBefore} deleted).", e);
        }
    }

    private static void CheckDestination<T>(ICollection<T> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.IsReadOnly)
        {
            throw new ArgumentException("The destination of a drain is read-only: the elements taken could not be kept.", nameof(destination));
        }
    }

    /// <summary>What <c>DrainTo</c> returns: how many were taken, or the exception for a drain the kernel stopped.</summary>
    private static int Taken(BpfMap live, BpfErrno errno, int taken) => errno == BpfErrno.None
        ? taken
        : throw new BpfException(errno, "drain (lookup and delete)", live.Name,
            taken == 0 ? null : $"The {taken} elements taken before the failure are in the destination.");

    /// <summary>
    /// A drain into a new list, as an array; when it fails (the kernel, or a dispose on another
    /// thread part-way), the exception carries the elements taken so far.
    /// </summary>
    private static KeyValuePair<TKey, TValue>[] Collect<TKey, TValue>(BpfMap live, Func<ICollection<KeyValuePair<TKey, TValue>>, BpfErrno> take)
    {
        var taken = new List<KeyValuePair<TKey, TValue>>();
        BpfErrno errno;
        try
        {
            errno = take(taken);
        }
        catch (ObjectDisposedException e) when (taken.Count > 0)
        {
            throw new BpfDrainException<TKey, TValue>(live.Name, taken.ToArray(), e);
        }

        return errno == BpfErrno.None ? taken.ToArray() : throw new BpfDrainException<TKey, TValue>(errno, live.Name, taken.ToArray());
    }

    private static void CheckSizes(BpfMap map, int keySize, int userValueSize)
    {
        if (map.KeySize != keySize || map.UserValueSize != userValueSize)
        {
            throw new ArgumentException(
                $"Map '{map.Name}' has {map.KeySize}-byte keys and {map.UserValueSize}-byte values; the declaration takes {keySize} and {userValueSize}.");
        }
    }
}
