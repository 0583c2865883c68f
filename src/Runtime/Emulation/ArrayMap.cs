using System;

namespace MapGen.Emulation;

/// <summary>
/// <see cref="BpfMapType.Array"/> and <see cref="BpfMapType.PerCpuArray"/> (the kernel's
/// <c>arraymap.c</c>): every slot exists from creation on, zero-filled; slots cannot be deleted.
/// </summary>
/// <remarks>
/// An array created with <see cref="BpfMapFlags.Mmapable"/> keeps its values as the kernel's
/// mapping shows them: <c>round_up(value_size, 8)</c> bytes apart, in memory the garbage
/// collector does not move, so that a <see cref="BpfArrayView{T}"/> can read and write them in
/// place (<see cref="MapValues"/>).
/// </remarks>
internal sealed class ArrayMap : KernelMap
{
    private readonly SeqLock _lock = new();
    private readonly byte[] _values;

    /// <summary>The bytes from one slot to the next: the user value size, rounded up to 8 for a mappable array.</summary>
    private readonly int _stride;

    private ArrayMap(in MapAttributes attributes, byte[] values, int stride)
        : base(attributes)
    {
        _values = values;
        _stride = stride;
    }

    /// <summary>Allocates the slots; <see cref="BpfErrno.ENOMEM"/> when they do not fit one managed array.</summary>
    public static BpfErrno TryCreate(in MapAttributes attributes, out KernelMap? map)
    {
        bool mmapable = (attributes.Flags & BpfMapFlags.Mmapable) != 0;
        int userValueSize = BpfMapRules.UserValueSize(attributes.Type, attributes.ValueSize, attributes.PossibleCpus);
        int stride = mmapable ? (int)BpfMapRules.RoundUp8((uint)userValueSize) : userValueSize;
        long bytes = (long)attributes.MaxEntries * stride;
        if (bytes > Array.MaxLength)
        {
            map = null;
            return BpfErrno.ENOMEM;
        }

        byte[] values = mmapable ? GC.AllocateArray<byte>((int)bytes, pinned: true) : new byte[bytes];
        map = new ArrayMap(attributes, values, stride);
        return BpfErrno.None;
    }

    public override BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        uint index = ReadIndex(key);
        if (index >= Attributes.MaxEntries)
        {
            return BpfErrno.ENOENT;
        }

        ReadOnlySpan<byte> slot = _values.AsSpan((int)index * _stride, UserValueSize);
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
            value.CopyTo(_values.AsSpan((int)index * _stride, UserValueSize));
        }
        finally
        {
            _lock.ExitWrite();
        }

        return BpfErrno.None;
    }

    public override BpfErrno Delete(ReadOnlySpan<byte> key) => BpfErrno.EINVAL;

    /// <summary>
    /// <c>bpf_map_mmap</c> and <c>array_map_mmap</c> for a shared, writable mapping: only plain
    /// arrays can be mapped (<see cref="BpfErrno.ENOTSUPP"/>), not writable when BPF programs may
    /// only read (<see cref="BpfErrno.EACCES"/>), and only when created mappable (<see cref="BpfErrno.EINVAL"/>).
    /// </summary>
    public override unsafe BpfErrno MapValues(out MappedValues? mapped)
    {
        mapped = null;
        if (Type != BpfMapType.Array)
        {
            return BpfErrno.ENOTSUPP;
        }

        if ((Attributes.Flags & BpfMapFlags.RdOnlyProg) != 0)
        {
            return BpfErrno.EACCES;
        }

        if ((Attributes.Flags & BpfMapFlags.Mmapable) == 0)
        {
            return BpfErrno.EINVAL;
        }

        mapped = new PinnedValues(_values);
        return BpfErrno.None;
    }

    /// <summary>The pinned storage of a mappable array, as a mapping: it stays allocated while anything references it.</summary>
    private sealed unsafe class PinnedValues(byte[] values)
        : MappedValues((byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(values)), values.Length)
    {
        /// <summary>Keeps the storage alive (it is pinned, so its address holds) for as long as a view may use it.</summary>
        private readonly byte[] _values = values;

        // Nothing to unmap: the collector frees the storage once neither the map nor a view holds it.
        protected override void Unmap() => GC.KeepAlive(_values);
    }

    public override BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => ArrayGetNextKey(key, nextKey);
}
