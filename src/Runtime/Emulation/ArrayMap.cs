using System;

namespace MapGen.Emulation;

/// <summary>
/// <see cref="BpfMapType.Array"/> and <see cref="BpfMapType.PerCpuArray"/> (the kernel's
/// <c>arraymap.c</c>): every slot exists from creation on, zero-filled; slots cannot be deleted.
/// </summary>
internal sealed class ArrayMap : KernelMap
{
    private readonly SeqLock _lock = new();
    private readonly byte[] _values;

    private ArrayMap(in MapAttributes attributes, byte[] values)
        : base(attributes)
    {
        _values = values;
    }

    /// <summary>Allocates the slots; <see cref="BpfErrno.ENOMEM"/> when they do not fit one managed array.</summary>
    public static BpfErrno TryCreate(in MapAttributes attributes, out KernelMap? map)
    {
        long bytes = (long)attributes.MaxEntries * BpfMapRules.UserValueSize(attributes.Type, attributes.ValueSize, attributes.PossibleCpus);
        if (bytes > Array.MaxLength)
        {
            map = null;
            return BpfErrno.ENOMEM;
        }

        map = new ArrayMap(attributes, new byte[bytes]);
        return BpfErrno.None;
    }

    public override BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        uint index = ReadIndex(key);
        if (index >= Attributes.MaxEntries)
        {
            return BpfErrno.ENOENT;
        }

        ReadOnlySpan<byte> slot = _values.AsSpan((int)index * UserValueSize, UserValueSize);
        int sequence;
        do
        {
            sequence = _lock.BeginRead();
            slot.CopyTo(value);
        }
        while (_lock.Retry(sequence));

        return BpfErrno.None;
    }

    public override BpfErrno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        if (flags > BpfUpdateFlags.Exist)
        {
            return BpfErrno.EINVAL;
        }

        uint index = ReadIndex(key);
        if (index >= Attributes.MaxEntries)
        {
            // Every slot exists already: an index past the end cannot be inserted.
            return BpfErrno.E2BIG;
        }

        if (flags == BpfUpdateFlags.NoExist)
        {
            return BpfErrno.EEXIST;
        }

        _lock.EnterWrite();
        try
        {
            value.CopyTo(_values.AsSpan((int)index * UserValueSize, UserValueSize));
        }
        finally
        {
            _lock.ExitWrite();
        }

        return BpfErrno.None;
    }

    public override BpfErrno Delete(ReadOnlySpan<byte> key) => BpfErrno.EINVAL;

    public override BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => ArrayGetNextKey(key, nextKey);
}
