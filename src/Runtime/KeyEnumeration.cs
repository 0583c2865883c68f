using System;
using System.Collections.Generic;
using MapGen.CompilerServices;

namespace MapGen;

/// <summary>
/// Enumerates the keys (and elements) of a map through the handle's hooks
/// (<see cref="BpfMap.EnumerateKeys"/>, <see cref="BpfMap.EnumerateEntries"/>): the native
/// backend reads batches where the kernel has them; the default is the <c>get_next_key</c> walk
/// here. The kernel restarts a hash walk at the first key when the previous key was deleted
/// meanwhile, so the walk remembers what it yielded (each key at most once) and stops after a
/// bounded number of steps (it always ends).
/// </summary>
internal static class KeyEnumeration
{
    public static IEnumerable<TKey> Keys<TKey, TKeyCodec>(BpfMap map)
        where TKeyCodec : IBpfCodec<TKey>
    {
        foreach (byte[] key in RawKeys(map))
        {
            yield return TKeyCodec.Read(key);
        }
    }

    public static IEnumerable<byte[]> RawKeys(BpfMap map)
    {
        map.ThrowIfDisposed();
        return map.EnumerateKeys();
    }

    /// <summary>The elements; each entry's buffers are valid until the enumeration moves on.</summary>
    public static IEnumerable<RawEntry> RawEntries(BpfMap map)
    {
        map.ThrowIfDisposed();
        return map.EnumerateEntries();
    }

    /// <summary>The <c>get_next_key</c> walk: the default of <see cref="BpfMap.EnumerateKeys"/>.</summary>
    /// <param name="map">The map.</param>
    /// <param name="after">The key to walk on from (not yielded); null: from the first key.</param>
    public static IEnumerable<byte[]> WalkKeys(BpfMap map, byte[]? after = null)
    {
        var seen = new HashSet<byte[]>(ByteArrayComparer.Instance);
        byte[] current = after ?? Array.Empty<byte>();
        // A walk that is restarted by concurrent deletes revisits keys it has seen; bound the
        // total steps so that it ends even while other threads keep changing the map.
        long budget = 4L * ((long)map.Info.MaxEntries + 1) + 1024;
        while (budget-- > 0)
        {
            byte[] next = new byte[map.KeySize];
            BpfErrno errno = map.TryGetNextKey(current, next);
            if (errno == BpfErrno.ENOENT)
            {
                yield break;
            }

            if (errno != BpfErrno.None)
            {
                throw new BpfException(errno, "get_next_key", map.Name);
            }

            current = next;
            if (seen.Add(next))
            {
                yield return next;
            }
        }
    }

    /// <summary>
    /// The <c>get_next_key</c> walk without the keys whose lookup finds nothing: the indexes of an
    /// array of maps' (or a devmap's) filled slots, as the kernel's batched read gives them.
    /// </summary>
    public static IEnumerable<byte[]> WalkFilledSlots(BpfMap map, byte[]? after = null)
    {
        byte[] value = new byte[map.UserValueSize];
        foreach (byte[] key in WalkKeys(map, after))
        {
            BpfErrno errno = map.TryLookup(key, value);
            if (errno == BpfErrno.None)
            {
                yield return key;
            }
            else if (errno != BpfErrno.ENOENT)
            {
                throw new BpfException(errno, "lookup", map.Name);
            }
        }
    }

    /// <summary>
    /// The <c>get_next_key</c> walk with a lookup of each key: the default of
    /// <see cref="BpfMap.EnumerateEntries"/>. Keys deleted between the two calls are skipped.
    /// </summary>
    public static IEnumerable<RawEntry> WalkEntries(BpfMap map, byte[]? after = null)
    {
        byte[] value = new byte[map.UserValueSize];
        foreach (byte[] key in WalkKeys(map, after))
        {
            BpfErrno errno = map.TryLookup(key, value);
            if (errno == BpfErrno.ENOENT)
            {
                continue;
            }

            if (errno != BpfErrno.None)
            {
                throw new BpfException(errno, "lookup", map.Name);
            }

            yield return new RawEntry(key, value);
        }
    }
}

/// <summary>
/// One element of a map in the kernel's bytes, as an enumeration yields it. The buffers may be
/// reused for the next element: read them before moving on.
/// </summary>
internal readonly record struct RawEntry(ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value);
