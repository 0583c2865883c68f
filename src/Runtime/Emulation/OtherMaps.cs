using System;
using System.Runtime.InteropServices;

namespace MapGen.Emulation;

/// <summary>
/// <see cref="BpfMapType.ProgArray"/>, <see cref="BpfMapType.PerfEventArray"/> and
/// <see cref="BpfMapType.CgroupArray"/>: arrays of programs, perf events or cgroups, none of
/// which exist in the emulation, so their slots stay empty. Every operation fails as the
/// kernel's does on such an array: updates with the errno the kernel gives for an fd that is not
/// a program (<see cref="BpfErrno.EINVAL"/>, or <see cref="BpfErrno.EBADF"/> for no fd at all),
/// a perf event or a cgroup (<see cref="BpfErrno.EBADF"/>).
/// </summary>
internal sealed class FdArrayMap : KernelMap
{
    private readonly EmulatedRuntime _runtime;

    public FdArrayMap(in MapAttributes attributes, EmulatedRuntime runtime)
        : base(attributes)
    {
        _runtime = runtime;
    }

    /// <summary>A program array cannot be an inner map: its ops have no <c>map_meta_equal</c>.</summary>
    public override bool HasMetaEqual => Type != BpfMapType.ProgArray;

    /// <summary>
    /// <c>bpf_fd_array_map_lookup_elem</c>: only program arrays can report their elements (by
    /// program ID); the others have no <c>map_fd_sys_lookup_elem</c>.
    /// </summary>
    public override BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value) =>
        Type == BpfMapType.ProgArray ? BpfErrno.ENOENT : BpfErrno.ENOTSUPP;

    /// <summary><c>bpf_fd_array_map_update_elem</c>: flags, index, then the fd.</summary>
    public override BpfErrno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        if (flags != BpfUpdateFlags.Any)
        {
            return BpfErrno.EINVAL;
        }

        if (ReadIndex(key) >= Attributes.MaxEntries)
        {
            return BpfErrno.E2BIG;
        }

        int fd = MemoryMarshal.Read<int>(value);
        // bpf_prog_get: no such fd is EBADF, an fd of something else EINVAL. perf_event_get and
        // the cgroup lookup say EBADF for both.
        return Type == BpfMapType.ProgArray && _runtime.FdExists(fd) ? BpfErrno.EINVAL : BpfErrno.EBADF;
    }

    public override BpfErrno Delete(ReadOnlySpan<byte> key) =>
        ReadIndex(key) >= Attributes.MaxEntries ? BpfErrno.E2BIG : BpfErrno.ENOENT;

    public override BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => ArrayGetNextKey(key, nextKey);
}

/// <summary>
/// <see cref="BpfMapType.StackTrace"/>: stacks are stored by programs only, so the map stays
/// empty; user space sees what it would see of an empty stack map.
/// </summary>
internal sealed class StackTraceMap : KernelMap
{
    private readonly uint _buckets;

    public StackTraceMap(in MapAttributes attributes)
        : base(attributes)
    {
        // max_entries is at most 2^31 here (checked at creation), so this does not overflow.
        _buckets = (uint)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)attributes.MaxEntries);
    }

    public override BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value) => BpfErrno.ENOENT;

    /// <summary>User space cannot store stacks (<c>stack_map_update_elem</c>).</summary>
    public override BpfErrno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags) => BpfErrno.EINVAL;

    public override BpfErrno Delete(ReadOnlySpan<byte> key) => ReadIndex(key) >= _buckets ? BpfErrno.E2BIG : BpfErrno.ENOENT;

    public override BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => BpfErrno.ENOENT;

    /// <summary><c>bpf_stackmap_extract</c>: no bucket holds a stack, whatever the id (it does not check the range as delete does).</summary>
    public override BpfErrno LookupAndDelete(ReadOnlySpan<byte> key, Span<byte> value) => BpfErrno.ENOENT;
}

/// <summary>
/// Map types whose creation is emulated (so that they can serve as inner-map templates and be
/// opened, pinned and compared) but whose elements are not: every element operation returns
/// <see cref="BpfErrno.ENOTSUPP"/>.
/// </summary>
internal sealed class UnsupportedElementsMap : KernelMap
{
    public UnsupportedElementsMap(in MapAttributes attributes)
        : base(attributes)
    {
    }

    /// <summary>Cgroup storage cannot be an inner map: its ops have no <c>map_meta_equal</c>.</summary>
    public override bool HasMetaEqual => Type is not (BpfMapType.CgroupStorage or BpfMapType.PerCpuCgroupStorage or BpfMapType.StructOps);

    public override BpfErrno Lookup(ReadOnlySpan<byte> key, Span<byte> value) => BpfErrno.ENOTSUPP;

    public override BpfErrno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags) => BpfErrno.ENOTSUPP;

    public override BpfErrno Delete(ReadOnlySpan<byte> key) => BpfErrno.ENOTSUPP;

    public override BpfErrno GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => BpfErrno.ENOTSUPP;
}
