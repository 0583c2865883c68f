using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

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
    private readonly uint _seed;
    private readonly bool _identityHash;
    private readonly int[] _buckets;
    private readonly uint _bucketMask;
    private Storage _storage;

    /// <param name="keySize">The key size.</param>
    /// <param name="valueSize">The bytes kept per element.</param>
    /// <param name="bucketCount">A power of two.</param>
    /// <param name="maxCapacity">The most slots the owner will use.</param>
    /// <param name="seed">The jhash seed.</param>
    /// <param name="identityHash">Hash a 4-byte key as itself (<c>DEVMAP_HASH</c> indexes buckets by ifindex).</param>
    public HashTable(int keySize, int valueSize, int bucketCount, int maxCapacity, uint seed, bool identityHash)
    {
        _keySize = keySize;
        _valueSize = valueSize;
        _maxCapacity = maxCapacity;
        _seed = seed;
        _identityHash = identityHash;
        _buckets = new int[bucketCount];
        _bucketMask = (uint)bucketCount - 1;
        _storage = new Storage(Math.Min(InitialCapacity, maxCapacity), keySize, valueSize);
    }

    /// <summary>Guards every change; readers use its read sections.</summary>
    public SeqLock Lock { get; } = new();

    /// <summary>The number of linked elements (changed by writers only).</summary>
    public int Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Hash(ReadOnlySpan<byte> key) => _identityHash ? MemoryMarshal.Read<uint>(key) : Jhash.HashKey(key, _seed);

    /// <summary>Copies the value of <paramref name="key"/>; false when absent. Takes no lock.</summary>
    public bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        uint hash = Hash(key);
        int bucket = (int)(hash & _bucketMask);
        while (true)
        {
            int sequence = Lock.BeginRead();
            Storage storage = Volatile.Read(ref _storage);
            int slot = FindIn(storage, _buckets[bucket] - 1, hash, key);
            if ((uint)slot < (uint)storage.Capacity)
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
    public int Find(ReadOnlySpan<byte> key, uint hash) => FindIn(_storage, _buckets[(int)(hash & _bucketMask)] - 1, hash, key);

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

    /// <summary>Walks a chain for <paramref name="key"/>; bounded, and safe on a torn chain (it then returns garbage that the read section discards).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FindIn(Storage storage, int slot, uint hash, ReadOnlySpan<byte> key)
    {
        uint[] hashes = storage.Hashes;
        int[] next = storage.Next;
        for (int steps = 0; (uint)slot < (uint)hashes.Length && steps <= hashes.Length; steps++)
        {
            if (hashes[slot] == hash && KeyEquals(storage.Keys, slot, key))
            {
                return slot;
            }

            slot = next[slot] - 1;
        }

        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool KeyEquals(byte[] keys, int slot, ReadOnlySpan<byte> key)
    {
        ref byte stored = ref MemoryMarshal.GetArrayDataReference(keys);
        int offset = slot * _keySize;
        return _keySize switch
        {
            4 => Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref stored, offset)) == MemoryMarshal.Read<uint>(key),
            8 => Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref stored, offset)) == MemoryMarshal.Read<ulong>(key),
            _ => keys.AsSpan(offset, _keySize).SequenceEqual(key),
        };
    }

    private int FindNext(Storage storage, ReadOnlySpan<byte> key, uint hash)
    {
        int bucket = 0;
        if (!key.IsEmpty)
        {
            int found = FindIn(storage, _buckets[(int)(hash & _bucketMask)] - 1, hash, key);
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

        public int Capacity { get; }

        public byte[] Keys { get; }

        public byte[] Values { get; }

        /// <summary>The next slot of the chain + 1; 0 ends it.</summary>
        public int[] Next { get; }

        public uint[] Hashes { get; }
    }
}
