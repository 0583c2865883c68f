using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace MapGen.Emulation;

/// <summary>
/// The value of a device map (<c>struct bpf_devmap_val</c>): an ifindex and, in the 8-byte form,
/// a program fd on update and the program's ID on lookup. No programs exist in the emulation.
/// </summary>
internal static class DevMapValue
{
    /// <summary>
    /// <c>__dev_map_alloc_node</c>'s checks: the interface must exist and a program fd above 0
    /// must name an XDP program (there are none here); both fail with <see cref="BpfErrno.EINVAL"/>.
    /// </summary>
    public static BpfErrno Check(EmulatedRuntime runtime, ReadOnlySpan<byte> value, out uint ifindex)
    {
        ifindex = MemoryMarshal.Read<uint>(value);
        if (!runtime.HasInterface(ifindex))
        {
            return BpfErrno.EINVAL;
        }

        return ProgramFd(value) > 0 ? BpfErrno.EINVAL : BpfErrno.None;
    }

    public static int ProgramFd(ReadOnlySpan<byte> value) => value.Length >= 8 ? MemoryMarshal.Read<int>(value[4..]) : 0;

    /// <summary>Writes the value as a lookup returns it: the ifindex, and program ID 0.</summary>
    public static void Write(Span<byte> value, uint ifindex)
    {
        value.Clear();
        MemoryMarshal.Write(value, ifindex);
    }
}

/// <summary>
/// <see cref="BpfMapType.DevMap"/>: XDP redirect targets by index. An ifindex of 0 clears a slot,
/// <see cref="BpfUpdateFlags.NoExist"/> always fails (every slot "exists"), deleting an empty slot
/// succeeds. Each slot is one 32-bit ifindex, read and written atomically.
/// </summary>
internal sealed class DevMap : KernelMap
{
    private readonly EmulatedRuntime _runtime;
    private readonly uint[] _ifindexes;

    public DevMap(in MapAttributes attributes, EmulatedRuntime runtime)
        : base(attributes)
    {
        _runtime = runtime;
        _ifindexes = new uint[attributes.MaxEntries];
    }

    public override BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        uint index = ReadIndex(key);
        uint ifindex = index < (uint)_ifindexes.Length ? Volatile.Read(ref _ifindexes[index]) : 0;
        if (ifindex == 0)
        {
            return BpfErrno.ENOENT;
        }

        DevMapValue.Write(value, ifindex);
        return BpfErrno.None;
    }

    /// <summary><c>__dev_map_update_elem</c>.</summary>
    public override BpfErrno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        if (flags > BpfUpdateFlags.Exist)
        {
            return BpfErrno.EINVAL;
        }

        uint index = ReadIndex(key);
        if (index >= (uint)_ifindexes.Length)
        {
            return BpfErrno.E2BIG;
        }

        if (flags == BpfUpdateFlags.NoExist)
        {
            return BpfErrno.EEXIST;
        }

        uint ifindex = MemoryMarshal.Read<uint>(value);
        if (ifindex == 0)
        {
            // Clearing a slot; a program fd makes no sense then.
            if (DevMapValue.ProgramFd(value) > 0)
            {
                return BpfErrno.EINVAL;
            }
        }
        else
        {
            BpfErrno errno = DevMapValue.Check(_runtime, value, out ifindex);
            if (errno != BpfErrno.None)
            {
                return errno;
            }
        }

        Volatile.Write(ref _ifindexes[index], ifindex);
        return BpfErrno.None;
    }

    public override BpfErrno Delete(ReadOnlySpan<byte> key)
    {
        uint index = ReadIndex(key);
        if (index >= (uint)_ifindexes.Length)
        {
            return BpfErrno.EINVAL;
        }

        Volatile.Write(ref _ifindexes[index], 0);
        return BpfErrno.None;
    }

    public override BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => ArrayGetNextKey(key, nextKey);
}

/// <summary>
/// <see cref="BpfMapType.DevMapHash"/>: XDP redirect targets by any 32-bit key, in buckets indexed
/// by the key itself (as the kernel does). <see cref="BpfUpdateFlags.Exist"/> is not enforced.
/// </summary>
internal sealed class DevMapHash : KernelMap
{
    private readonly EmulatedRuntime _runtime;
    private readonly HashTable _table;
    private readonly int[] _freeSlots;
    private int _freeCount;
    private int _nextUnused;

    private DevMapHash(in MapAttributes attributes, EmulatedRuntime runtime, HashTable table, int capacity)
        : base(attributes)
    {
        _runtime = runtime;
        _table = table;
        _freeSlots = new int[capacity];
    }

    public static BpfErrno TryCreate(in MapAttributes attributes, EmulatedRuntime runtime, out KernelMap? map)
    {
        // Elements are allocated one by one in the kernel: the table grows as they come.
        MapAttributes growable = attributes with { Flags = attributes.Flags | BpfMapFlags.NoPrealloc };
        if (!HashTables.TryCreate(growable, (int)attributes.ValueSize, identityHash: true, out HashTable? table, out int capacity))
        {
            map = null;
            return BpfErrno.ENOMEM;
        }

        map = new DevMapHash(attributes, runtime, table!, capacity);
        return BpfErrno.None;
    }

    public override BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value) =>
        _table.TryLookup(key, value) ? BpfErrno.None : BpfErrno.ENOENT;

    /// <summary><c>__dev_map_hash_update_elem</c>.</summary>
    public override BpfErrno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        // Unlike a DevMap slot, an entry cannot be cleared with ifindex 0: the kernel refuses it
        // with the flags, before it looks the key up (so before NoExist's EEXIST).
        if (flags > BpfUpdateFlags.Exist || MemoryMarshal.Read<uint>(value) == 0)
        {
            return BpfErrno.EINVAL;
        }

        uint hash = _table.Hash(key);
        _table.Lock.EnterWrite();
        try
        {
            int slot = _table.Find(key, hash);
            if (slot >= 0 && flags == BpfUpdateFlags.NoExist)
            {
                return BpfErrno.EEXIST;
            }

            BpfErrno errno = DevMapValue.Check(_runtime, value, out uint ifindex);
            if (errno != BpfErrno.None)
            {
                return errno;
            }

            if (slot >= 0)
            {
                _table.Unlink(slot);
            }
            else
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
            }

            // The new entry goes to the head of its bucket, the old one (if any) is dropped.
            DevMapValue.Write(_table.Value(slot), ifindex);
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
