using System;

namespace MapGen.Emulation;

/// <summary>The attributes a map object keeps from <c>BPF_MAP_CREATE</c> (the kernel's <c>bpf_map_init_from_attr</c>).</summary>
/// <param name="Type">The map type.</param>
/// <param name="KeySize">The key size.</param>
/// <param name="ValueSize">The value size (one CPU's value for per-CPU maps).</param>
/// <param name="MaxEntries">The max entries, as the kernel keeps it (it rounds some up).</param>
/// <param name="Flags">The map flags as the kernel keeps them: without the fd-only ones, with those it adds.</param>
/// <param name="PossibleCpus">The emulated machine's possible CPUs.</param>
internal readonly record struct MapAttributes(BpfMapType Type, uint KeySize, uint ValueSize, uint MaxEntries, BpfMapFlags Flags, int PossibleCpus);

/// <summary>
/// A map object of the emulated kernel (<c>struct bpf_map</c>): the storage and the element
/// operations, shared by every fd, pin and outer-map slot that refers to it.
/// </summary>
/// <remarks>
/// Element operations are called without the runtime's lock and must be thread safe on their
/// own: each one is atomic with respect to the others on the same map, as in the kernel.
/// <see cref="References"/> is guarded by the runtime's lock.
/// </remarks>
internal abstract class KernelMap
{
    private BpfMapInfo _info;

    protected KernelMap(in MapAttributes attributes)
    {
        Attributes = attributes;
        KeySize = checked((int)attributes.KeySize);
        UserValueSize = BpfMapRules.UserValueSize(attributes.Type, attributes.ValueSize, attributes.PossibleCpus);
    }

    public MapAttributes Attributes { get; }

    public BpfMapType Type => Attributes.Type;

    public int KeySize { get; }

    /// <summary>The value bytes user space reads and writes for one element.</summary>
    public int UserValueSize { get; }

    /// <summary>The map's ID, 0 until the map is published.</summary>
    public uint Id => _info.Id;

    public BpfMapInfo Info => _info;

    /// <summary>How many fds, pins and outer-map slots hold this map (guarded by the runtime's lock).</summary>
    internal int References { get; set; }

    /// <summary>Whether the kernel can use a map of this type as an inner-map template (its ops have <c>map_meta_equal</c>).</summary>
    public virtual bool HasMetaEqual => true;

    /// <summary>Whether this is an outer map (it has an inner-map template).</summary>
    public virtual bool IsOuter => false;

    /// <summary>Gives the map its ID and name once creation succeeded.</summary>
    internal void Publish(uint id, string name) => _info = new BpfMapInfo
    {
        Type = Attributes.Type,
        Id = id,
        KeySize = Attributes.KeySize,
        ValueSize = Attributes.ValueSize,
        MaxEntries = Attributes.MaxEntries,
        Flags = Attributes.Flags,
        Name = name,
    };

    public abstract BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value);

    public abstract BpfErrno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags);

    public abstract BpfErrno Delete(ReadOnlySpan<byte> key);

    /// <summary>
    /// <c>map_lookup_and_delete_elem</c>: the value, and the element gone, in one step. Only the
    /// hash maps have it; every other type answers <see cref="BpfErrno.ENOTSUPP"/>.
    /// </summary>
    public virtual BpfErrno LookupAndDelete(ReadOnlySpan<byte> key, Span<byte> value) => BpfErrno.ENOTSUPP;

    /// <summary>
    /// <c>bpf_map_mmap</c> of a shared, writable mapping. Only mappable arrays have it; every other
    /// type answers <see cref="BpfErrno.ENOTSUPP"/>.
    /// </summary>
    public virtual BpfErrno MapValues(out MappedValues? mapped)
    {
        mapped = null;
        return BpfErrno.ENOTSUPP;
    }

    /// <summary>The key after <paramref name="key"/>; an empty <paramref name="key"/> asks for the first.</summary>
    public abstract BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey);

    /// <summary><c>BPF_MAP_UPDATE_BATCH</c>: one update after another, stopping at the first failure.</summary>
    public virtual BpfErrno UpdateBatch(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int count, BpfUpdateFlags flags, out int written)
    {
        for (written = 0; written < count; written++)
        {
            BpfErrno errno = Update(keys.Slice(written * KeySize, KeySize), values.Slice(written * UserValueSize, UserValueSize), flags);
            if (errno != BpfErrno.None)
            {
                return errno;
            }
        }

        return BpfErrno.None;
    }

    /// <summary>
    /// Called under the runtime's lock when the last reference is gone: releases what the map
    /// holds (the inner maps in an outer map's slots).
    /// </summary>
    internal virtual void Free(EmulatedRuntime runtime)
    {
    }

    /// <summary>
    /// Called under the runtime's lock when the runtime is disposed, for every map it still has:
    /// the maps whose tables typed operations read directly mark them dead, so that those reads
    /// fail over to the checked path (which throws <see cref="ObjectDisposedException"/>).
    /// </summary>
    internal virtual void OnRuntimeDisposed()
    {
    }

    /// <summary>Reads a native-endian <c>u32</c> key (array-like maps).</summary>
    protected static uint ReadIndex(ReadOnlySpan<byte> key) => System.Runtime.InteropServices.MemoryMarshal.Read<uint>(key);

    protected static void WriteIndex(Span<byte> key, uint index) => System.Runtime.InteropServices.MemoryMarshal.Write(key, index);

    /// <summary>The kernel's <c>array_map_get_next_key</c>, shared by every array-like map.</summary>
    protected BpfErrno ArrayGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        uint max = Attributes.MaxEntries;
        uint index = key.IsEmpty ? uint.MaxValue : ReadIndex(key);
        if (index >= max)
        {
            WriteIndex(nextKey, 0);
            return BpfErrno.None;
        }

        if (index == max - 1)
        {
            return BpfErrno.ENOENT;
        }

        WriteIndex(nextKey, index + 1);
        return BpfErrno.None;
    }
}
