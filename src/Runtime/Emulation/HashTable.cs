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
internal sealed class HashTable : SeqLock
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
        Shape = ShapeOf(keySize, valueSize);
        SeededShape = function == HashFunction.Seeded ? Shape : 0;
    }

    /// <summary>
    /// The table that handles without a directly readable hash table point to
    /// (<see cref="BpfMap.DirectReads"/>), so that the typed path tests one shape instead of a
    /// null first: its shapes match no codec.
    /// </summary>
    public static HashTable None { get; } = new(1, 1, 1, 1, HashFunction.Identity, 0, noShape: true);

    private HashTable(int keySize, int valueSize, int bucketCount, int maxCapacity, HashFunction function, ulong seed, bool noShape)
        : this(keySize, valueSize, bucketCount, maxCapacity, function, seed)
    {
        if (noShape)
        {
            Shape = 0;
            SeededShape = 0;
        }
    }

    /// <summary>The key and value sizes in one number (<see cref="ShapeOf"/>), which the typed path compares with its codecs' sizes.</summary>
    public ulong Shape { get; }

    /// <summary><see cref="Shape"/> when keys are hashed with <see cref="SeededHash"/>, else 0: the shape the inlined typed lookup compares.</summary>
    public ulong SeededShape { get; }

    /// <summary>The shape of a table with keys of <paramref name="keySize"/> bytes and values of <paramref name="valueSize"/>; never 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ShapeOf(int keySize, int valueSize) => ((ulong)(uint)keySize << 32) | (uint)valueSize;

    /// <summary>
    /// Guards every change; readers use its read sections. The table is its own lock: a typed
    /// lookup then reads the sequence from the object it already has in hand.
    /// </summary>
    public SeqLock Lock => this;

    /// <summary>The number of linked elements (changed by writers only).</summary>
    public int Count { get; private set; }

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
    /// One attempt at the typed lookup of a table whose <see cref="SeededShape"/> is the codecs'
    /// shape (the caller checked it, and that the key codec's size is the key type's): true when
    /// the read section was consistent, with <paramref name="found"/> and the value; false when a
    /// writer was in the way or the table is dead (the caller then goes the slow way:
    /// <see cref="TryLookupTyped"/>).
    /// </summary>
    /// <remarks>
    /// The key is hashed and compared where it lies when its codec writes it as its own bytes
    /// (else it is encoded into a copy first), and the value decoded straight from its slot
    /// inside the read section, kept only if the section was consistent (codecs are plain byte
    /// copies, so decoding a torn value is harmless). The sizes are the codecs' constants and the
    /// hash is known to be <see cref="SeededHash"/>, so hashing, comparing and decoding compile to
    /// straight-line code for the key and value types, and with no loop around the attempt the
    /// common path keeps its values in registers. Takes no lock.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadSeeded<TKey, TKeyCodec, TValue, TValueCodec>(in TKey key, out TValue value, out bool found)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        // Keys of one, two or four words that the codec writes as their own bytes are hashed and
        // compared as values in registers; other keys are encoded into a copy and compared as bytes.
        if (CodecTraits<TKey, TKeyCodec>.WritesOwnBytes && TKeyCodec.Size == sizeof(uint))
        {
            uint word = Unsafe.BitCast<TKey, uint>(key);
            return TryReadOnce<Key32, TValue, TValueCodec>(new Key32(word), SeededHash.Hash32(word, _seed), out value, out found);
        }

        if (CodecTraits<TKey, TKeyCodec>.WritesOwnBytes && TKeyCodec.Size == sizeof(ulong))
        {
            ulong word = Unsafe.BitCast<TKey, ulong>(key);
            return TryReadOnce<Key64, TValue, TValueCodec>(new Key64(word), SeededHash.Hash64(word, _seed), out value, out found);
        }

        if (CodecTraits<TKey, TKeyCodec>.WritesOwnBytes && TKeyCodec.Size == 2 * sizeof(ulong))
        {
            // Two native-endian words in memory order, as the span path reads them (a UInt128
            // would swap its halves on a big-endian machine).
            ref byte first = ref Unsafe.As<TKey, byte>(ref Unsafe.AsRef(in key));
            var key128 = new Key128(Unsafe.ReadUnaligned<ulong>(ref first), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, sizeof(ulong))));
            return TryReadOnce<Key128, TValue, TValueCodec>(key128, SeededHash.Hash128(key128.Low, key128.High, _seed), out value, out found);
        }

        Unsafe.SkipInit(out TKey encoded);
        ref byte keyBytes = ref Unsafe.As<TKey, byte>(ref encoded);
        TKeyCodec.Write(MemoryMarshal.CreateSpan(ref keyBytes, TKeyCodec.Size), in key);
        var bytes = new KeyBytes(ref keyBytes, TKeyCodec.Size);
        return TryReadOnce<KeyBytes, TValue, TValueCodec>(bytes, SeededHash.Hash(ref keyBytes, TKeyCodec.Size, _seed), out value, out found);
    }

    /// <summary>One read section of <see cref="TryReadSeeded"/>: false when a writer was in the way or the table is dead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReadOnce<TMatch, TValue, TValueCodec>(TMatch key, uint hash, out TValue value, out bool found)
        where TMatch : IKeyMatch, allows ref struct
        where TValueCodec : IBpfCodec<TValue>
    {
        int sequence = Sequence;
        if ((sequence & NotReadable) == 0)
        {
            // The mask keeps the index below the bucket count.
            found = TryRead<TMatch, TValue, TValueCodec>(
                Volatile.Read(ref _storage),
                Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buckets), (nint)(hash & _bucketMask)) - 1,
                hash, key, out value);
            if (!Retry(sequence))
            {
                return true;
            }
        }

        Unsafe.SkipInit(out value);
        found = false;
        return false;
    }

    /// <summary>
    /// The typed lookup of a table whose <see cref="Shape"/> is the codecs' shape, whatever its
    /// hash: <see cref="BpfErrno.None"/> with the value, <see cref="BpfErrno.ENOENT"/>, or
    /// <see cref="BpfErrno.EBADF"/> when the table is dead (its runtime disposed: the caller then
    /// takes the checked path, which throws). As <see cref="TryReadSeeded"/>, with the read
    /// sections in a loop for as long as writers are in the way.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public BpfErrno TryLookupTyped<TKey, TKeyCodec, TValue, TValueCodec>(in TKey key, out TValue value)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        Unsafe.SkipInit(out TKey encoded);
        ref byte keyBytes = ref Unsafe.As<TKey, byte>(ref encoded);
        TKeyCodec.Write(MemoryMarshal.CreateSpan(ref keyBytes, TKeyCodec.Size), in key);
        uint hash = Hash(ref keyBytes, TKeyCodec.Size);
        while (true)
        {
            int sequence = Sequence;
            if ((sequence & NotReadable) != 0 && (sequence = WaitReadable()) < 0)
            {
                value = default!;
                return BpfErrno.EBADF;
            }

            bool found = TryRead<KeyBytes, TValue, TValueCodec>(
                Volatile.Read(ref _storage), _buckets[(int)(hash & _bucketMask)] - 1, hash, new KeyBytes(ref keyBytes, TKeyCodec.Size), out TValue read);
            if (!Retry(sequence))
            {
                value = read;
                return found ? BpfErrno.None : BpfErrno.ENOENT;
            }
        }
    }

    /// <summary>
    /// Finds <paramref name="key"/> in the chain that starts at <paramref name="slot"/> and
    /// decodes its value (inside a read section): <see cref="FindIn"/>'s walk, with the value
    /// read where the key is found. The first element of the chain is tried before the walk
    /// starts, so that the common case, a key first in its bucket, sets up no walk.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryRead<TMatch, TValue, TValueCodec>(Storage storage, int slot, uint hash, TMatch key, out TValue value)
        where TMatch : IKeyMatch, allows ref struct
        where TValueCodec : IBpfCodec<TValue>
    {
        int capacity = storage.Capacity;
        if ((uint)slot < (uint)capacity)
        {
            ref byte keys = ref MemoryMarshal.GetArrayDataReference(storage.Keys);
            if (!key.Matches(storage, ref keys, slot, hash))
            {
                // A torn chain may loop: no chain is longer than the capacity.
                int steps = capacity;
                do
                {
                    slot = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(storage.Next), (nint)(uint)slot) - 1;
                    if ((uint)slot >= (uint)capacity || --steps < 0)
                    {
                        value = default!;
                        return false;
                    }
                }
                while (!key.Matches(storage, ref keys, slot, hash));
            }

            value = TValueCodec.Read(MemoryMarshal.CreateReadOnlySpan(
                ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(storage.Values), (nint)(uint)slot * TValueCodec.Size),
                TValueCodec.Size));
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>A key as the typed lookup compares it with the key of a slot.</summary>
    private interface IKeyMatch
    {
        /// <summary>Whether the key of <paramref name="slot"/> (below the capacity; <paramref name="keys"/> is its storage's keys) is this key.</summary>
        bool Matches(Storage storage, ref byte keys, int slot, uint hash);
    }

    /// <summary>A 4-byte key, compared as one word.</summary>
    private readonly struct Key32(uint word) : IKeyMatch
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Matches(Storage storage, ref byte keys, int slot, uint hash) =>
            Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref keys, (nint)(uint)slot * sizeof(uint))) == word;
    }

    /// <summary>An 8-byte key, compared as one word.</summary>
    private readonly struct Key64(ulong word) : IKeyMatch
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Matches(Storage storage, ref byte keys, int slot, uint hash) =>
            Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref keys, (nint)(uint)slot * sizeof(ulong))) == word;
    }

    /// <summary>A 16-byte key, compared as two words (no need to compare hashes first).</summary>
    private readonly struct Key128(ulong low, ulong high) : IKeyMatch
    {
        public ulong Low => low;

        public ulong High => high;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Matches(Storage storage, ref byte keys, int slot, uint hash)
        {
            ref byte stored = ref Unsafe.Add(ref keys, (nint)(uint)slot * (2 * sizeof(ulong)));
            return ((Unsafe.ReadUnaligned<ulong>(ref stored) ^ low) | (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref stored, sizeof(ulong))) ^ high)) == 0;
        }
    }

    /// <summary>A key of any size, compared as bytes (<see cref="KeyEquals"/>).</summary>
    private readonly ref struct KeyBytes(ref byte key, int size) : IKeyMatch
    {
        private readonly ref byte _key = ref key;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Matches(Storage storage, ref byte keys, int slot, uint hash) => KeyEquals(storage, ref keys, slot, hash, ref _key, size);
    }

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
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int FindIn(Storage storage, int slot, uint hash, ref byte key, int keySize)
    {
        int capacity = storage.Capacity;
        if ((uint)slot >= (uint)capacity)
        {
            return -1;
        }

        ref byte keys = ref MemoryMarshal.GetArrayDataReference(storage.Keys);
        int steps = capacity;
        while (true)
        {
            if (KeyEquals(storage, ref keys, slot, hash, ref key, keySize))
            {
                return slot;
            }

            // A torn chain may loop: no chain is longer than the capacity.
            slot = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(storage.Next), (nint)(uint)slot) - 1;
            if ((uint)slot >= (uint)capacity || --steps < 0)
            {
                return -1;
            }
        }
    }

    /// <summary>
    /// Whether the key of <paramref name="slot"/> (below the capacity) is the <paramref name="keySize"/>
    /// bytes at <paramref name="key"/>. Keys of up to 16 bytes are compared whole as words, which
    /// costs no more than comparing the stored hashes first; longer ones only when the hashes agree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool KeyEquals(Storage storage, ref byte keys, int slot, uint hash, ref byte key, int keySize)
    {
        ref byte stored = ref Unsafe.Add(ref keys, (nint)(uint)slot * keySize);
        return keySize switch
        {
            4 => Unsafe.ReadUnaligned<uint>(ref stored) == Unsafe.ReadUnaligned<uint>(ref key),
            8 => Unsafe.ReadUnaligned<ulong>(ref stored) == Unsafe.ReadUnaligned<ulong>(ref key),
            16 => ((Unsafe.ReadUnaligned<ulong>(ref stored) ^ Unsafe.ReadUnaligned<ulong>(ref key))
                | (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref stored, 8)) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref key, 8)))) == 0,
            _ => storage.Hashes[slot] == hash
                && MemoryMarshal.CreateReadOnlySpan(ref stored, keySize).SequenceEqual(MemoryMarshal.CreateReadOnlySpan(ref key, keySize)),
        };
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
}

/// <summary>How a <see cref="HashTable"/> hashes keys.</summary>
internal enum HashFunction
{
    /// <summary><see cref="SeededHash"/>, for tables with a random seed, whose order is random in the kernel too.</summary>
    Seeded,

    /// <summary>The kernel's <c>jhash</c>, for tables whose bucket order must be the kernel's (<see cref="BpfMapFlags.ZeroSeed"/>).</summary>
    Jhash,

    /// <summary>A 4-byte key is its own hash (<c>DEVMAP_HASH</c> indexes buckets by ifindex).</summary>
    Identity,
}
