using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using MapGen.CompilerServices;

namespace MapGen.Emulation;

/// <summary>
/// The bucket table of the emulated hash maps, laid out like the kernel's <c>htab</c>:
/// <c>roundup_pow_of_two(max_entries)</c> buckets, each a chain with the newest element first,
/// so that <c>get_next_key</c> walks buckets and chains in the kernel's order. Elements live in
/// numbered slots of flat arrays (keys, values, chain links, hashes) that grow on demand up to
/// the map's capacity; lookups and updates allocate nothing.
/// </summary>
/// <remarks>
/// Writers (the owning map) change the table inside <see cref="Lock"/>'s write section and
/// choose the slots themselves. Readers go through <see cref="TryLookup"/> and
/// <see cref="GetNextKey"/>, which take no lock (see <see cref="SeqLock"/>).
/// </remarks>
internal sealed class HashTable
{
    private const int InitialCapacity = 16;

    private readonly int _keySize;
    private readonly int _valueSize;
    private readonly int _maxCapacity;
    private readonly HashFunction _function;
    private readonly ulong _seed;
    private readonly int[] _buckets;
    private readonly uint _bucketMask;
    private Storage _storage;

    /// <param name="keySize">The key size.</param>
    /// <param name="valueSize">The bytes kept per element.</param>
    /// <param name="bucketCount">A power of two.</param>
    /// <param name="maxCapacity">The most slots the owner will use.</param>
    /// <param name="function">How keys are hashed.</param>
    /// <param name="seed">The seed: 32 bits for <see cref="HashFunction.Jhash"/>, 64 for <see cref="HashFunction.Seeded"/>.</param>
    public HashTable(int keySize, int valueSize, int bucketCount, int maxCapacity, HashFunction function, ulong seed)
    {
        _keySize = keySize;
        _valueSize = valueSize;
        _maxCapacity = maxCapacity;
        _function = function;
        _seed = function == HashFunction.Jhash ? (uint)seed : seed;
        _buckets = new int[bucketCount];
        _bucketMask = (uint)bucketCount - 1;
        _storage = new Storage(Math.Min(InitialCapacity, maxCapacity), keySize, valueSize);
    }

    /// <summary>Guards every change; readers use its read sections.</summary>
    public SeqLock Lock { get; } = new();

    /// <summary>The number of linked elements (changed by writers only).</summary>
    public int Count { get; private set; }

    /// <summary>The key size.</summary>
    public int KeySize => _keySize;

    /// <summary>The bytes kept per element.</summary>
    public int ValueSize => _valueSize;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Hash(ReadOnlySpan<byte> key) => Hash(ref MemoryMarshal.GetReference(key), key.Length);

    /// <summary>The hash of the <paramref name="length"/> bytes at <paramref name="key"/> (the key size); a constant length compiles to straight-line code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Hash(ref byte key, int length) => _function switch
    {
        HashFunction.Seeded => SeededHash.Hash(ref key, length, _seed),
        HashFunction.Jhash => Jhash.HashKey(ref key, length, (uint)_seed),
        _ => Unsafe.ReadUnaligned<uint>(ref key),
    };

    /// <summary>
    /// The typed lookup: <paramref name="key"/> is encoded on the stack and the value decoded from
    /// a copy taken inside the read section. The codecs' sizes are constants, so every step (hash,
    /// key compare, value copy) compiles to straight-line code for the key and value types; the
    /// caller checked that they are this table's sizes and at most <see cref="DirectKeyLimit"/>
    /// and <see cref="DirectValueLimit"/> bytes. Takes no lock.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLookup<TKey, TKeyCodec, TValue, TValueCodec>(in TKey key, out TValue value)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        Unsafe.SkipInit(out KeyBuffer keyBuffer);
        Unsafe.SkipInit(out ValueBuffer valueBuffer);
        ref byte keyBytes = ref keyBuffer[0];
        ref byte valueBytes = ref valueBuffer[0];
        TKeyCodec.Write(MemoryMarshal.CreateSpan(ref keyBytes, TKeyCodec.Size), in key);
        uint hash = Hash(ref keyBytes, TKeyCodec.Size);
        int bucket = (int)(hash & _bucketMask);
        SeqLock seqLock = Lock;
        while (true)
        {
            int sequence = seqLock.BeginRead();
            Storage storage = Volatile.Read(ref _storage);
            int slot = FindIn(storage, _buckets[bucket] - 1, hash, ref keyBytes, TKeyCodec.Size);
            if (slot >= 0)
            {
                Unsafe.CopyBlockUnaligned(
                    ref valueBytes,
                    ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(storage.Values), (nint)(uint)slot * TValueCodec.Size),
                    (uint)TValueCodec.Size);
            }

            if (!seqLock.Retry(sequence))
            {
                if (slot >= 0)
                {
                    value = TValueCodec.Read(MemoryMarshal.CreateReadOnlySpan(ref valueBytes, TValueCodec.Size));
                    return true;
                }

                value = default!;
                return false;
            }
        }
    }

    /// <summary>The largest key the typed operations encode on the stack.</summary>
    public const int DirectKeyLimit = 64;

    /// <summary>The largest value the typed operations encode on the stack.</summary>
    public const int DirectValueLimit = 256;

    /// <summary>The hash of a key encoded by <typeparamref name="TKeyCodec"/> at <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Hash<TKey, TKeyCodec>(ref byte key)
        where TKeyCodec : IBpfCodec<TKey> => Hash(ref key, TKeyCodec.Size);

    /// <summary>The slot of the key encoded by <typeparamref name="TKeyCodec"/> at <paramref name="key"/>, or -1. For writers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find<TKey, TKeyCodec>(ref byte key, uint hash)
        where TKeyCodec : IBpfCodec<TKey> => FindIn(_storage, _buckets[(int)(hash & _bucketMask)] - 1, hash, ref key, TKeyCodec.Size);

    /// <summary>
    /// The value bytes of <paramref name="slot"/>, <typeparamref name="TValueCodec"/>'s size (the
    /// table's value size, which the caller checked). Writers only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Value<TValue, TValueCodec>(int slot)
        where TValueCodec : IBpfCodec<TValue> =>
        MemoryMarshal.CreateSpan(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_storage.Values), (nint)(uint)slot * TValueCodec.Size), TValueCodec.Size);

    /// <summary>
    /// Moves the linked <paramref name="slot"/> to the head of its bucket, as the kernel's
    /// replacement of an element does (the new element is linked first, the old one dropped).
    /// Writers only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MoveToHead(int slot, uint hash)
    {
        ref int head = ref _buckets[(int)(hash & _bucketMask)];
        if (head - 1 != slot)
        {
            MoveToHeadSlow(slot, ref head);
        }
    }

    private void MoveToHeadSlow(int slot, ref int head)
    {
        if (Unlink(slot))
        {
            Storage storage = _storage;
            storage.Next[slot] = head;
            head = slot + 1;
            Count++;
        }
    }

    /// <summary>Copies the value of <paramref name="key"/>; false when absent. Takes no lock.</summary>
    public bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        uint hash = Hash(key);
        int bucket = (int)(hash & _bucketMask);
        while (true)
        {
            int sequence = Lock.BeginRead();
            Storage storage = Volatile.Read(ref _storage);
            int slot = FindIn(storage, _buckets[bucket] - 1, hash, ref MemoryMarshal.GetReference(key), _keySize);
            if (slot >= 0)
            {
                // The destination has the value size (BpfMap checks it); skip Span.CopyTo's checks.
                Unsafe.CopyBlockUnaligned(
                    ref MemoryMarshal.GetReference(value),
                    ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(storage.Values), slot * _valueSize),
                    (uint)_valueSize);
            }

            if (!Lock.Retry(sequence))
            {
                return slot >= 0;
            }
        }
    }

    /// <summary>
    /// The kernel's <c>htab_map_get_next_key</c>: the next key in the chain of <paramref name="key"/>,
    /// else the first key of the following non-empty bucket; a missing or empty key restarts at
    /// the first key. Takes no lock.
    /// </summary>
    public BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        uint hash = key.IsEmpty ? 0 : Hash(key);
        while (true)
        {
            int sequence = Lock.BeginRead();
            Storage storage = Volatile.Read(ref _storage);
            int next = FindNext(storage, key, hash);
            if ((uint)next < (uint)storage.Capacity)
            {
                storage.Keys.AsSpan(next * _keySize, _keySize).CopyTo(nextKey);
            }

            if (!Lock.Retry(sequence))
            {
                return next >= 0 ? BpfErrno.None : BpfErrno.ENOENT;
            }
        }
    }

    /// <summary>The slot of <paramref name="key"/>, or -1. For writers (or inside a read section).</summary>
    public int Find(ReadOnlySpan<byte> key, uint hash) => FindIn(_storage, _buckets[(int)(hash & _bucketMask)] - 1, hash, ref MemoryMarshal.GetReference(key), _keySize);

    /// <summary>Makes sure slots <c>0 .. slots-1</c> exist. Writers only.</summary>
    public void EnsureCapacity(int slots)
    {
        Storage storage = _storage;
        if (slots <= storage.Capacity)
        {
            return;
        }

        int capacity = (int)Math.Min(Math.Max((long)storage.Capacity * 2, slots), _maxCapacity);
        var grown = new Storage(capacity, _keySize, _valueSize);
        storage.Keys.CopyTo(grown.Keys, 0);
        storage.Values.CopyTo(grown.Values, 0);
        storage.Next.CopyTo(grown.Next, 0);
        storage.Hashes.CopyTo(grown.Hashes, 0);
        Volatile.Write(ref _storage, grown);
    }

    /// <summary>Writes <paramref name="key"/> into <paramref name="slot"/> and links it at the head of its bucket. Writers only.</summary>
    public void LinkAtHead(int slot, ReadOnlySpan<byte> key, uint hash)
    {
        Storage storage = _storage;
        key.CopyTo(storage.Keys.AsSpan(slot * _keySize, _keySize));
        storage.Hashes[slot] = hash;
        ref int head = ref _buckets[(int)(hash & _bucketMask)];
        storage.Next[slot] = head;
        head = slot + 1;
        Count++;
    }

    /// <summary>Unlinks <paramref name="slot"/> from its bucket; false when it is not linked. Writers only.</summary>
    public bool Unlink(int slot)
    {
        Storage storage = _storage;
        ref int link = ref _buckets[(int)(storage.Hashes[slot] & _bucketMask)];
        while (link != 0)
        {
            if (link - 1 == slot)
            {
                link = storage.Next[slot];
                storage.Next[slot] = 0;
                Count--;
                return true;
            }

            link = ref storage.Next[link - 1];
        }

        return false;
    }

    /// <summary>The value bytes of <paramref name="slot"/>. Writers only.</summary>
    public Span<byte> Value(int slot) => _storage.Values.AsSpan(slot * _valueSize, _valueSize);

    /// <summary>The key bytes of <paramref name="slot"/>. Writers only.</summary>
    public ReadOnlySpan<byte> Key(int slot) => _storage.Keys.AsSpan(slot * _keySize, _keySize);

    /// <summary>
    /// Walks a chain for the <paramref name="keySize"/> bytes at <paramref name="key"/> (the
    /// table's key size); -1 when absent, else a slot below the storage's capacity. Bounded, and
    /// safe on a torn chain: every slot is checked against the capacity before the arrays (all
    /// of that length) are read, and a torn walk's answer is discarded by the read section.
    /// Keys of up to 16 bytes are compared whole as words, which costs no more than comparing
    /// the stored hashes first; longer ones are compared only when the hashes agree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int FindIn(Storage storage, int slot, uint hash, ref byte key, int keySize)
    {
        int capacity = storage.Capacity;
        ref byte keys = ref MemoryMarshal.GetArrayDataReference(storage.Keys);
        ref int next = ref MemoryMarshal.GetArrayDataReference(storage.Next);
        ref uint hashes = ref MemoryMarshal.GetArrayDataReference(storage.Hashes);
        for (int steps = 0; (uint)slot < (uint)capacity && steps <= capacity; steps++)
        {
            ref byte stored = ref Unsafe.Add(ref keys, (nint)(uint)slot * keySize);
            bool equal = keySize switch
            {
                4 => Unsafe.ReadUnaligned<uint>(ref stored) == Unsafe.ReadUnaligned<uint>(ref key),
                8 => Unsafe.ReadUnaligned<ulong>(ref stored) == Unsafe.ReadUnaligned<ulong>(ref key),
                16 => ((Unsafe.ReadUnaligned<ulong>(ref stored) ^ Unsafe.ReadUnaligned<ulong>(ref key))
                    | (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref stored, 8)) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref key, 8)))) == 0,
                _ => Unsafe.Add(ref hashes, (nint)(uint)slot) == hash
                    && MemoryMarshal.CreateReadOnlySpan(ref stored, keySize).SequenceEqual(MemoryMarshal.CreateReadOnlySpan(ref key, keySize)),
            };
            if (equal)
            {
                return slot;
            }

            slot = Unsafe.Add(ref next, (nint)(uint)slot) - 1;
        }

        return -1;
    }

    private int FindNext(Storage storage, ReadOnlySpan<byte> key, uint hash)
    {
        int bucket = 0;
        if (!key.IsEmpty)
        {
            int found = FindIn(storage, _buckets[(int)(hash & _bucketMask)] - 1, hash, ref MemoryMarshal.GetReference(key), _keySize);
            if (found >= 0)
            {
                int next = storage.Next[found] - 1;
                if (next >= 0)
                {
                    return next;
                }

                bucket = (int)(hash & _bucketMask) + 1;
            }
        }

        for (; bucket < _buckets.Length; bucket++)
        {
            int head = _buckets[bucket] - 1;
            if (head >= 0)
            {
                return head;
            }
        }

        return -1;
    }

    /// <summary>The element arrays; replaced whole when they grow so that readers see one consistent set.</summary>
    private sealed class Storage
    {
        public Storage(int capacity, int keySize, int valueSize)
        {
            Capacity = capacity;
            Keys = new byte[(long)capacity * keySize];
            Values = new byte[(long)capacity * valueSize];
            Next = new int[capacity];
            Hashes = new uint[capacity];
        }

        /// <summary>The number of slots: every array holds exactly this many elements.</summary>
        public int Capacity { get; }

        public byte[] Keys { get; }

        public byte[] Values { get; }

        /// <summary>The next slot of the chain + 1; 0 ends it.</summary>
        public int[] Next { get; }

        public uint[] Hashes { get; }
    }

    /// <summary>Stack room for a key of the typed operations.</summary>
    [InlineArray(DirectKeyLimit)]
    internal struct KeyBuffer
    {
        private byte _element;
    }

    /// <summary>Stack room for a value of the typed operations.</summary>
    [InlineArray(DirectValueLimit)]
    internal struct ValueBuffer
    {
        private byte _element;
    }
}

/// <summary>How a <see cref="HashTable"/> hashes keys.</summary>
internal enum HashFunction
{
    /// <summary>The kernel's <c>jhash</c>, for tables whose bucket order must be the kernel's (<see cref="BpfMapFlags.ZeroSeed"/>).</summary>
    Jhash,

    /// <summary><see cref="SeededHash"/>, for tables with a random seed, whose order is random in the kernel too.</summary>
    Seeded,

    /// <summary>A 4-byte key is its own hash (<c>DEVMAP_HASH</c> indexes buckets by ifindex).</summary>
    Identity,
}
