using System;
using System.Numerics;

namespace MapGen.Emulation;

/// <summary>
/// <see cref="BpfMapType.Hash"/> and <see cref="BpfMapType.PerCpuHash"/> (the kernel's
/// <c>hashtab.c</c>): at most <c>max_entries</c> elements; a new key in a full map fails with
/// <see cref="BpfErrno.E2BIG"/>, replacing an existing one does not.
/// </summary>
internal sealed class HashMap : KernelMap
{
    private readonly HashTable _table;
    private readonly int[] _freeSlots;
    private int _freeCount;
    private int _nextUnused;

    private HashMap(in MapAttributes attributes, HashTable table, int capacity)
        : base(attributes)
    {
        _table = table;
        _freeSlots = new int[capacity];
    }

    public static BpfErrno TryCreate(in MapAttributes attributes, out KernelMap? map)
    {
        int valueSize = BpfMapRules.UserValueSize(attributes.Type, attributes.ValueSize, attributes.PossibleCpus);
        if (!HashTables.TryCreate(attributes, valueSize, identityHash: false, out HashTable? table, out int capacity))
        {
            map = null;
            return BpfErrno.ENOMEM;
        }

        map = new HashMap(attributes, table!, capacity);
        return BpfErrno.None;
    }

    public override BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value) =>
        _table.TryLookup(key, value) ? BpfErrno.None : BpfErrno.ENOENT;

    public override BpfErrno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        if (flags > BpfUpdateFlags.Exist)
        {
            return BpfErrno.EINVAL;
        }

        uint hash = _table.Hash(key);
        _table.Lock.EnterWrite();
        try
        {
            int slot = _table.Find(key, hash);
            BpfErrno errno = HashTables.CheckFlags(slot >= 0, flags);
            if (errno != BpfErrno.None)
            {
                return errno;
            }

            if (slot >= 0)
            {
                value.CopyTo(_table.Value(slot));
                if (Type == BpfMapType.Hash)
                {
                    // The kernel links a new element at the head of the bucket and drops the old
                    // one; per-CPU hashes update in place.
                    _table.Unlink(slot);
                    _table.LinkAtHead(slot, key, hash);
                }

                return BpfErrno.None;
            }

            if (_table.Count >= Attributes.MaxEntries)
            {
                return BpfErrno.E2BIG;
            }

            if (_freeCount == 0 && _nextUnused == _freeSlots.Length)
            {
                // Only a NoPrealloc map too large for managed arrays gets here.
                return BpfErrno.ENOMEM;
            }

            slot = _freeCount > 0 ? _freeSlots[--_freeCount] : _nextUnused++;
            _table.EnsureCapacity(slot + 1);
            value.CopyTo(_table.Value(slot));
            _table.LinkAtHead(slot, key, hash);
            return BpfErrno.None;
        }
        finally
        {
            _table.Lock.ExitWrite();
        }
    }

    public override BpfErrno Delete(ReadOnlySpan<byte> key)
    {
        uint hash = _table.Hash(key);
        _table.Lock.EnterWrite();
        try
        {
            int slot = _table.Find(key, hash);
            if (slot < 0)
            {
                return BpfErrno.ENOENT;
            }

            _table.Unlink(slot);
            _freeSlots[_freeCount++] = slot;
            return BpfErrno.None;
        }
        finally
        {
            _table.Lock.ExitWrite();
        }
    }

    public override BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => _table.GetNextKey(key, nextKey);
}

/// <summary>
/// <see cref="BpfMapType.LruHash"/> and <see cref="BpfMapType.LruPerCpuHash"/>: a new key in a
/// full map evicts the least recently updated elements (several at once, as the kernel's LRU
/// does) instead of failing. Even an update that replaces a key, or fails, may evict others:
/// the kernel takes a free node before it looks at the key.
/// </summary>
internal sealed class LruHashMap : KernelMap
{
    private readonly HashTable _table;
    private readonly LruList _lru;

    private LruHashMap(in MapAttributes attributes, HashTable table, int nodes)
        : base(attributes)
    {
        _table = table;
        bool perCpuLru = (attributes.Flags & BpfMapFlags.NoCommonLru) != 0;
        _lru = new LruList(nodes, checked((int)attributes.MaxEntries), attributes.PossibleCpus, perCpuLru, _table.Unlink);
    }

    public static BpfErrno TryCreate(in MapAttributes attributes, out KernelMap? map)
    {
        int valueSize = BpfMapRules.UserValueSize(attributes.Type, attributes.ValueSize, attributes.PossibleCpus);
        bool perCpuLru = (attributes.Flags & BpfMapFlags.NoCommonLru) != 0;
        // A per-CPU LRU gives each CPU max_entries / CPUs nodes; system calls run on CPU 0.
        long nodes = perCpuLru ? attributes.MaxEntries / (uint)attributes.PossibleCpus : attributes.MaxEntries;
        if (nodes > HashTables.MaxSlots((int)attributes.KeySize, valueSize)
            || !HashTables.TryCreate(attributes, valueSize, identityHash: false, out HashTable? table, out _))
        {
            map = null;
            return BpfErrno.ENOMEM;
        }

        map = new LruHashMap(attributes, table!, (int)nodes);
        return BpfErrno.None;
    }

    public override BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value) =>
        // A lookup from user space does not mark the element as referenced (htab_lru_map_lookup_elem_sys).
        _table.TryLookup(key, value) ? BpfErrno.None : BpfErrno.ENOENT;

    public override BpfErrno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        if (flags > BpfUpdateFlags.Exist)
        {
            return BpfErrno.EINVAL;
        }

        uint hash = _table.Hash(key);
        _table.Lock.EnterWrite();
        try
        {
            return Type == BpfMapType.LruHash ? UpdateLocked(key, value, flags, hash) : UpdatePerCpuLocked(key, value, flags, hash);
        }
        finally
        {
            _table.Lock.ExitWrite();
        }
    }

    public override BpfErrno Delete(ReadOnlySpan<byte> key)
    {
        uint hash = _table.Hash(key);
        _table.Lock.EnterWrite();
        try
        {
            int slot = _table.Find(key, hash);
            if (slot < 0)
            {
                return BpfErrno.ENOENT;
            }

            _table.Unlink(slot);
            _lru.PushFree(slot);
            return BpfErrno.None;
        }
        finally
        {
            _table.Lock.ExitWrite();
        }
    }

    public override BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => _table.GetNextKey(key, nextKey);

    /// <summary><c>htab_lru_map_update_elem</c>: always a new node, linked first; the old element goes back to the LRU.</summary>
    private BpfErrno UpdateLocked(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags, uint hash)
    {
        int node = _lru.PopFree();
        if (node < 0)
        {
            return BpfErrno.ENOMEM;
        }

        int old = _table.Find(key, hash);
        BpfErrno errno = HashTables.CheckFlags(old >= 0, flags);
        if (errno != BpfErrno.None)
        {
            _lru.PushFree(node);
            return errno;
        }

        _table.EnsureCapacity(node + 1);
        value.CopyTo(_table.Value(node));
        _table.LinkAtHead(node, key, hash);
        if (old >= 0)
        {
            _lru.SetRef(node);
            _table.Unlink(old);
            _lru.PushFree(old);
        }

        return BpfErrno.None;
    }

    /// <summary><c>__htab_lru_percpu_map_update_elem</c>: a node is taken unless the flags are <c>BPF_EXIST</c>; an existing element is updated in place.</summary>
    private BpfErrno UpdatePerCpuLocked(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags, uint hash)
    {
        int node = -1;
        if (flags != BpfUpdateFlags.Exist)
        {
            node = _lru.PopFree();
            if (node < 0)
            {
                return BpfErrno.ENOMEM;
            }
        }

        int old = _table.Find(key, hash);
        BpfErrno errno = HashTables.CheckFlags(old >= 0, flags);
        if (errno == BpfErrno.None)
        {
            if (old >= 0)
            {
                _lru.SetRef(old);
                value.CopyTo(_table.Value(old));
            }
            else
            {
                _table.EnsureCapacity(node + 1);
                value.CopyTo(_table.Value(node));
                _table.LinkAtHead(node, key, hash);
                node = -1;
            }
        }

        if (node >= 0)
        {
            _lru.PushFree(node);
        }

        return errno;
    }
}

/// <summary>What the hash-like maps share.</summary>
internal static class HashTables
{
    /// <summary>The kernel's <c>check_flags</c>.</summary>
    public static BpfErrno CheckFlags(bool exists, BpfUpdateFlags flags) => flags switch
    {
        BpfUpdateFlags.NoExist when exists => BpfErrno.EEXIST,
        BpfUpdateFlags.Exist when !exists => BpfErrno.ENOENT,
        _ => BpfErrno.None,
    };

    /// <summary>The most elements whose keys and values fit the managed arrays of a table.</summary>
    public static long MaxSlots(int keySize, int valueSize) => Array.MaxLength / Math.Max(1, Math.Max(keySize, valueSize));

    /// <summary>
    /// A table with the kernel's bucket count for the map: <c>roundup_pow_of_two(max_entries)</c>,
    /// seeded like the kernel (0 with <see cref="BpfMapFlags.ZeroSeed"/>, else random). The
    /// <paramref name="capacity"/> is the slots the map may use: <c>max_entries</c>, or fewer
    /// when they cannot fit; false when a preallocated map cannot fit at all.
    /// </summary>
    public static bool TryCreate(in MapAttributes attributes, int valueSize, bool identityHash, out HashTable? table, out int capacity)
    {
        int keySize = (int)attributes.KeySize;
        long maxSlots = MaxSlots(keySize, valueSize);
        if (BitOperations.RoundUpToPowerOf2((ulong)Math.Max(attributes.MaxEntries, 1)) > MaxBuckets)
        {
            // The bucket array is allocated whole, as in the kernel; beyond this it is out of memory here.
            table = null;
            capacity = 0;
            return false;
        }

        bool prealloc = (attributes.Flags & BpfMapFlags.NoPrealloc) == 0;
        if (prealloc && attributes.MaxEntries > maxSlots)
        {
            // The kernel allocates a preallocated map whole; so must it fit here.
            table = null;
            capacity = 0;
            return false;
        }

        capacity = (int)Math.Min(attributes.MaxEntries, maxSlots);
        uint seed = (attributes.Flags & BpfMapFlags.ZeroSeed) != 0 ? 0 : (uint)Random.Shared.NextInt64(0, 1L << 32);
        table = new HashTable(keySize, valueSize, BucketCount(attributes.MaxEntries), capacity, seed, identityHash);
        return true;
    }

    /// <summary>The most buckets an emulated hash table allocates (1 GiB of bucket heads).</summary>
    public const int MaxBuckets = 1 << 28;

    /// <summary><c>roundup_pow_of_two(max_entries)</c>, for tables within <see cref="MaxBuckets"/>.</summary>
    public static int BucketCount(uint maxEntries) => (int)BitOperations.RoundUpToPowerOf2(Math.Max(maxEntries, 1));
}
