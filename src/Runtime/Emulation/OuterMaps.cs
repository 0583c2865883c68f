using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace MapGen.Emulation;

/// <summary>
/// What an outer map keeps of its inner-map template (the kernel's <c>inner_map_meta</c>), so
/// that the template can be closed right after creation.
/// </summary>
internal sealed record InnerTemplate(BpfMapType Type, uint KeySize, uint ValueSize, uint MaxEntries, BpfMapFlags Flags)
{
    public static InnerTemplate Of(KernelMap map) =>
        new(map.Type, map.Attributes.KeySize, map.Attributes.ValueSize, map.Attributes.MaxEntries, map.Attributes.Flags);

    /// <summary>
    /// The template type's <c>map_meta_equal</c>: type, key size, value size and flags must be
    /// equal; max entries too for <see cref="BpfMapType.Array"/> (unless the template has
    /// <see cref="BpfMapFlags.InnerMap"/>) and <see cref="BpfMapType.XskMap"/>.
    /// </summary>
    public bool Accepts(KernelMap map)
    {
        MapAttributes a = map.Attributes;
        return a.Type == Type && a.KeySize == KeySize && a.ValueSize == ValueSize && a.Flags == Flags
            && (MapTypeTraits.InnerMaxEntriesMayDiffer(Type, Flags) || a.MaxEntries == MaxEntries);
    }
}

/// <summary>
/// <see cref="BpfMapType.ArrayOfMaps"/> (the kernel's <c>fd_array</c>): slots that hold a
/// reference on an inner map. Updates take the inner map's fd and lookups give its ID.
/// </summary>
/// <remarks>
/// Updates and deletes run under the runtime's lock, which also guards reference counts, so
/// that a slot change and the release of the map it held are one step. Lookups read a slot
/// without a lock: a slot holds a reference, so the map it names is alive.
/// </remarks>
internal sealed class ArrayOfMaps : KernelMap
{
    private readonly EmulatedRuntime _runtime;
    private readonly InnerTemplate _template;
    private readonly KernelMap?[] _slots;

    public ArrayOfMaps(in MapAttributes attributes, EmulatedRuntime runtime, InnerTemplate template)
        : base(attributes)
    {
        _runtime = runtime;
        _template = template;
        _slots = new KernelMap?[attributes.MaxEntries];
    }

    public override bool IsOuter => true;

    public override BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        uint index = ReadIndex(key);
        KernelMap? inner = index < (uint)_slots.Length ? Volatile.Read(ref _slots[index]) : null;
        if (inner is null)
        {
            return BpfErrno.ENOENT;
        }

        MemoryMarshal.Write(value, inner.Id);
        return BpfErrno.None;
    }

    public override BpfErrno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        lock (_runtime.Gate)
        {
            return UpdateLocked(key, value, flags);
        }
    }

    /// <summary>The whole batch under one lock (the kernel waits for one RCU grace period for it).</summary>
    public override BpfErrno UpdateBatch(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int count, BpfUpdateFlags flags, out int written)
    {
        lock (_runtime.Gate)
        {
            for (written = 0; written < count; written++)
            {
                BpfErrno errno = UpdateLocked(keys.Slice(written * KeySize, KeySize), values.Slice(written * UserValueSize, UserValueSize), flags);
                if (errno != BpfErrno.None)
                {
                    return errno;
                }
            }

            return BpfErrno.None;
        }
    }

    public override BpfErrno Delete(ReadOnlySpan<byte> key)
    {
        uint index = ReadIndex(key);
        if (index >= (uint)_slots.Length)
        {
            return BpfErrno.E2BIG;
        }

        lock (_runtime.Gate)
        {
            KernelMap? old = Interlocked.Exchange(ref _slots[index], null);
            if (old is null)
            {
                return BpfErrno.ENOENT;
            }

            _runtime.ReleaseLocked(old);
            return BpfErrno.None;
        }
    }

    public override BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => ArrayGetNextKey(key, nextKey);

    internal override void Free(EmulatedRuntime runtime)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (Interlocked.Exchange(ref _slots[i], null) is { } inner)
            {
                runtime.ReleaseLocked(inner);
            }
        }
    }

    /// <summary><c>bpf_fd_array_map_update_elem</c>: flags, then the index, then the fd.</summary>
    private BpfErrno UpdateLocked(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        if (References == 0)
        {
            // Freed (its slots released) by a close that raced with this call: the kernel's fdget
            // would have failed, and a reference put in now would never be released.
            return BpfErrno.EBADF;
        }

        if (flags != BpfUpdateFlags.Any)
        {
            return BpfErrno.EINVAL;
        }

        uint index = ReadIndex(key);
        if (index >= (uint)_slots.Length)
        {
            return BpfErrno.E2BIG;
        }

        BpfErrno errno = _runtime.GetInnerMapLocked(MemoryMarshal.Read<int>(value), _template, out KernelMap? inner);
        if (errno != BpfErrno.None)
        {
            return errno;
        }

        inner!.References++;
        KernelMap? old = Interlocked.Exchange(ref _slots[index], inner);
        if (old is not null)
        {
            _runtime.ReleaseLocked(old);
        }

        return BpfErrno.None;
    }
}

/// <summary>
/// <see cref="BpfMapType.HashOfMaps"/>: a hash whose values are references on inner maps. Each
/// element's value bytes hold the inner map's ID (what a lookup returns); the reference itself
/// sits in a side array by slot.
/// </summary>
/// <remarks>Changes run under the runtime's lock (see <see cref="ArrayOfMaps"/>); lookups take none.</remarks>
internal sealed class HashOfMaps : KernelMap
{
    private readonly EmulatedRuntime _runtime;
    private readonly InnerTemplate _template;
    private readonly HashTable _table;
    private readonly KernelMap?[] _inner;
    private readonly int[] _freeSlots;
    private int _freeCount;
    private int _nextUnused;

    private HashOfMaps(in MapAttributes attributes, EmulatedRuntime runtime, InnerTemplate template, HashTable table, int capacity)
        : base(attributes)
    {
        _runtime = runtime;
        _template = template;
        _table = table;
        _inner = new KernelMap?[capacity];
        _freeSlots = new int[capacity];
    }

    public static BpfErrno TryCreate(in MapAttributes attributes, EmulatedRuntime runtime, InnerTemplate template, out KernelMap? map)
    {
        if (!HashTables.TryCreate(attributes, sizeof(uint), identityHash: false, out HashTable? table, out int capacity))
        {
            map = null;
            return BpfErrno.ENOMEM;
        }

        map = new HashOfMaps(attributes, runtime, template, table!, capacity);
        return BpfErrno.None;
    }

    public override bool IsOuter => true;

    public override BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value) =>
        _table.TryLookup(key, value) ? BpfErrno.None : BpfErrno.ENOENT;

    public override BpfErrno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        lock (_runtime.Gate)
        {
            return UpdateLocked(key, value, flags);
        }
    }

    /// <summary>The whole batch under one lock (the kernel waits for one RCU grace period for it).</summary>
    public override BpfErrno UpdateBatch(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int count, BpfUpdateFlags flags, out int written)
    {
        lock (_runtime.Gate)
        {
            for (written = 0; written < count; written++)
            {
                BpfErrno errno = UpdateLocked(keys.Slice(written * KeySize, KeySize), values.Slice(written * UserValueSize, UserValueSize), flags);
                if (errno != BpfErrno.None)
                {
                    return errno;
                }
            }

            return BpfErrno.None;
        }
    }

    public override BpfErrno Delete(ReadOnlySpan<byte> key)
    {
        uint hash = _table.Hash(key);
        lock (_runtime.Gate)
        {
            KernelMap? old;
            _table.Lock.EnterWrite();
            try
            {
                int slot = _table.Find(key, hash);
                if (slot < 0)
                {
                    return BpfErrno.ENOENT;
                }

                _table.Unlink(slot);
                old = _inner[slot];
                _inner[slot] = null;
                _freeSlots[_freeCount++] = slot;
            }
            finally
            {
                _table.Lock.ExitWrite();
            }

            _runtime.ReleaseLocked(old!);
            return BpfErrno.None;
        }
    }

    public override BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => _table.GetNextKey(key, nextKey);

    internal override void Free(EmulatedRuntime runtime)
    {
        for (int i = 0; i < _inner.Length; i++)
        {
            if (_inner[i] is { } inner)
            {
                _inner[i] = null;
                runtime.ReleaseLocked(inner);
            }
        }
    }

    /// <summary><c>bpf_fd_htab_map_update_elem</c>: the fd first, then the flags, then the element.</summary>
    private BpfErrno UpdateLocked(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        if (References == 0)
        {
            // Freed by a close that raced with this call (see ArrayOfMaps).
            return BpfErrno.EBADF;
        }

        BpfErrno errno = _runtime.GetInnerMapLocked(MemoryMarshal.Read<int>(value), _template, out KernelMap? inner);
        if (errno != BpfErrno.None)
        {
            return errno;
        }

        if (flags > BpfUpdateFlags.Exist)
        {
            return BpfErrno.EINVAL;
        }

        uint hash = _table.Hash(key);
        KernelMap? old = null;
        _table.Lock.EnterWrite();
        try
        {
            int slot = _table.Find(key, hash);
            errno = HashTables.CheckFlags(slot >= 0, flags);
            if (errno != BpfErrno.None)
            {
                return errno;
            }

            if (slot < 0)
            {
                if (_table.Count >= Attributes.MaxEntries)
                {
                    return BpfErrno.E2BIG;
                }

                if (_freeCount == 0 && _nextUnused == _freeSlots.Length)
                {
                    return BpfErrno.ENOMEM;
                }

                slot = _freeCount > 0 ? _freeSlots[--_freeCount] : _nextUnused++;
                _table.EnsureCapacity(slot + 1);
                _table.LinkAtHead(slot, key, hash);
            }
            else
            {
                old = _inner[slot];
            }

            // Updated in place: the element keeps its place in the bucket.
            MemoryMarshal.Write(_table.Value(slot), inner!.Id);
            _inner[slot] = inner;
            inner.References++;
        }
        finally
        {
            _table.Lock.ExitWrite();
        }

        if (old is not null)
        {
            _runtime.ReleaseLocked(old);
        }

        return BpfErrno.None;
    }
}
