using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MapGen.CompilerServices;

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

    /// <summary>The table, for the typed lookups of <see cref="EmulatedMap"/> (which take no lock).</summary>
    internal HashTable Table => _table;

    internal override void OnRuntimeDisposed() => _table.MarkDead();

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
            return UpdateLocked(key, value, flags, hash, _table.Find(key, hash));
        }
        finally
        {
            _table.Lock.ExitWrite();
        }
    }

    /// <summary>
    /// The typed update, with the codecs' constant sizes (the caller checked that they are the
    /// map's, and the key codec's the key type's): the key is encoded into a copy of itself, and the
    /// common case, replacing the value of an existing key, writes the value straight into its
    /// slot. Everything else goes through <see cref="UpdateLocked"/>, as a raw update does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BpfErrno Update<TKey, TKeyCodec, TValue, TValueCodec>(in TKey key, in TValue value, BpfUpdateFlags flags)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        if (flags > BpfUpdateFlags.Exist)
        {
            return BpfErrno.EINVAL;
        }

        Unsafe.SkipInit(out TKey encoded);
        ref byte keyBytes = ref Unsafe.As<TKey, byte>(ref encoded);
        TKeyCodec.Write(MemoryMarshal.CreateSpan(ref keyBytes, TKeyCodec.Size), in key);
        HashTable table = _table;
        uint hash = table.Hash<TKey, TKeyCodec>(ref keyBytes);
        table.Lock.EnterWrite();
        try
        {
            int slot = table.Find<TKey, TKeyCodec>(ref keyBytes, hash);
            if (slot >= 0 && flags != BpfUpdateFlags.NoExist)
            {
                TValueCodec.Write(table.Value<TValue, TValueCodec>(slot), in value);
                if (Type == BpfMapType.Hash)
                {
                    table.MoveToHead(slot, hash);
                }

                return BpfErrno.None;
            }

            return InsertTyped<TValue, TValueCodec>(MemoryMarshal.CreateReadOnlySpan(ref keyBytes, TKeyCodec.Size), in value, flags, hash, slot);
        }
        finally
        {
            table.Lock.ExitWrite();
        }
    }

    /// <summary>The rest of a typed update (inside the write section): a new key, or a refusal.</summary>
    private BpfErrno InsertTyped<TValue, TValueCodec>(ReadOnlySpan<byte> key, in TValue value, BpfUpdateFlags flags, uint hash, int slot)
        where TValueCodec : IBpfCodec<TValue>
    {
        byte[]? rented = null;
        Span<byte> valueBytes = TValueCodec.Size <= DataMapOperations.StackLimit
            ? stackalloc byte[DataMapOperations.StackLimit]
            : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(TValueCodec.Size));
        try
        {
            valueBytes = valueBytes[..TValueCodec.Size];
            TValueCodec.Write(valueBytes, in value);
            return UpdateLocked(key, valueBytes, flags, hash, slot);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary><c>htab_map_update_elem</c> inside the write section, once the key's <paramref name="slot"/> (or -1) is known.</summary>
    private BpfErrno UpdateLocked(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags, uint hash, int slot)
    {
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
                _table.MoveToHead(slot, hash);
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

    public override BpfErrno Delete(ReadOnlySpan<byte> key) => Remove(key, default);

    /// <summary><c>htab_map_lookup_and_delete_elem</c>: the value is copied out under the lock that unlinks the element.</summary>
    public override BpfErrno LookupAndDelete(ReadOnlySpan<byte> key, Span<byte> value) => Remove(key, value);

    /// <summary>Unlinks <paramref name="key"/>, first copying its value into <paramref name="value"/> unless that is empty.</summary>
    private BpfErrno Remove(ReadOnlySpan<byte> key, Span<byte> value)
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

            if (!value.IsEmpty)
            {
                _table.Value(slot).CopyTo(value);
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

    /// <summary>The table, for the typed lookups of <see cref="EmulatedMap"/>: a lookup is only a read, as in <see cref="Lookup"/>.</summary>
    internal HashTable Table => _table;

    internal override void OnRuntimeDisposed() => _table.MarkDead();

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

    public override BpfErrno Delete(ReadOnlySpan<byte> key) => Remove(key, default);

    /// <summary><c>htab_lru_map_lookup_and_delete_elem</c>: the value is copied out under the lock that unlinks the element.</summary>
    public override BpfErrno LookupAndDelete(ReadOnlySpan<byte> key, Span<byte> value) => Remove(key, value);

    /// <summary>Unlinks <paramref name="key"/>, first copying its value into <paramref name="value"/> unless that is empty.</summary>
    private BpfErrno Remove(ReadOnlySpan<byte> key, Span<byte> value)
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

            if (!value.IsEmpty)
            {
                _table.Value(slot).CopyTo(value);
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
        // The kernel seeds jhash with 0 under BPF_F_ZERO_SEED, else with a random number. Only the
        // zero seed makes the bucket order (and so the get_next_key order) deterministic, and the
        // emulated order is then the kernel's: jhash over the kernel's buckets. A random seed
        // makes the kernel's order random, and which bucket a key lands in, or how many buckets
        // there are, is then nowhere to be seen: the emulation is free to use a cheaper seeded
        // hash (SeededHash) and, for tables of up to SparseBucketLimit buckets, twice the buckets,
        // which halves the load factor and so the chains lookups walk.
        (HashFunction function, ulong seed) = identityHash ? (HashFunction.Identity, 0UL)
            : (attributes.Flags & BpfMapFlags.ZeroSeed) != 0 ? (HashFunction.Jhash, 0UL)
            : (HashFunction.Seeded, (ulong)Random.Shared.NextInt64() ^ ((ulong)Random.Shared.Next() << 63));
        int buckets = BucketCount(attributes.MaxEntries);
        if (function == HashFunction.Seeded && buckets <= SparseBucketLimit)
        {
            buckets *= 2;
        }

        table = new HashTable(keySize, valueSize, buckets, capacity, function, seed);
        return true;
    }

    /// <summary>The most buckets an emulated hash table allocates (1 GiB of bucket heads).</summary>
    public const int MaxBuckets = 1 << 28;

    /// <summary>The most buckets (1 Mi, 4 MiB of bucket heads) a randomly seeded table doubles: larger ones keep the kernel's count.</summary>
    public const int SparseBucketLimit = 1 << 20;

    /// <summary><c>roundup_pow_of_two(max_entries)</c>, for tables within <see cref="MaxBuckets"/>.</summary>
    public static int BucketCount(uint maxEntries) => (int)BitOperations.RoundUpToPowerOf2(Math.Max(maxEntries, 1));
}
