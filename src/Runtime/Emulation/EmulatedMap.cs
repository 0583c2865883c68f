using System;
using System.Threading;

namespace MapGen.Emulation;

/// <summary>
/// A handle of the emulated runtime: an fd of its table. Element operations go straight to the
/// map object (no fd lookup), after the checks the kernel's system call makes on the fd itself:
/// <see cref="BpfErrno.EPERM"/> through an fd opened read-only or write-only, and
/// <see cref="BpfErrno.EINVAL"/> for <see cref="BpfUpdateFlags.Lock"/> (no emulated value has a
/// <c>bpf_spin_lock</c>, as that needs BTF).
/// </summary>
internal sealed class EmulatedMap : BpfMap
{
    private readonly EmulatedRuntime _runtime;
    private readonly OpenFile _file;
    private readonly KernelMap _map;
    private readonly int _fd;
    private readonly bool _canRead;
    private readonly bool _canWrite;

    /// <summary>The open handle's own reference plus one per <see cref="BpfMap.LeaseFd"/> lease; the fd is closed at 0.</summary>
    private int _fdRefs = 1;

    public EmulatedMap(EmulatedRuntime runtime, OpenFile file, int fd, bool owned)
        : base(runtime, file.Map.Info, owned)
    {
        _runtime = runtime;
        _file = file;
        _map = file.Map;
        _fd = fd;
        _canRead = file.CanRead;
        _canWrite = file.CanWrite;
        // A typed lookup of these maps is exactly LookupCore (a read of the table), minus the
        // checks the typed layer makes once and the virtual calls; a typed update of a Hash map
        // is exactly UpdateCore. Read-only and write-only fds keep the checked path (EPERM).
        if (_canRead)
        {
            DirectReads = _map switch
            {
                HashMap hash => hash.Table,
                LruHashMap lru => lru.Table,
                _ => HashTable.None,
            };
        }

        if (_canWrite && _map is HashMap { Type: BpfMapType.Hash } writable)
        {
            DirectWrites = writable;
        }
    }

    /// <summary>The map object behind the fd (for tests of what happens after the handle is closed).</summary>
    internal KernelMap KernelMap => _map;

    private protected override int FdCore => _fd;

    private protected override BpfErrno LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        ThrowIfRuntimeDisposed();
        return _canRead ? _map.Lookup(key, value) : BpfErrno.EPERM;
    }

    private protected override BpfErrno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        ThrowIfRuntimeDisposed();
        if (!_canWrite)
        {
            return BpfErrno.EPERM;
        }

        return (flags & BpfUpdateFlags.Lock) != 0 ? BpfErrno.EINVAL : _map.Update(key, value, flags);
    }

    private protected override BpfErrno DeleteCore(ReadOnlySpan<byte> key)
    {
        ThrowIfRuntimeDisposed();
        return _canWrite ? _map.Delete(key) : BpfErrno.EPERM;
    }

    /// <summary>
    /// <c>BPF_MAP_LOOKUP_AND_DELETE_ELEM</c> as <c>map_lookup_and_delete_elem</c> checks it: the
    /// fd must allow reading and writing (<see cref="BpfErrno.EPERM"/>), then the map type decides.
    /// </summary>
    private protected override BpfErrno LookupAndDeleteCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        ThrowIfRuntimeDisposed();
        return _canRead && _canWrite ? _map.LookupAndDelete(key, value) : BpfErrno.EPERM;
    }

    private protected override BpfErrno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        ThrowIfRuntimeDisposed();
        return _canRead ? _map.GetNextKey(key, nextKey) : BpfErrno.EPERM;
    }

    /// <summary><c>BPF_MAP_UPDATE_BATCH</c> (<c>generic_map_update_batch</c>); outer maps write the whole batch under one lock.</summary>
    private protected override BpfErrno UpdateBatchCore(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int count, BpfUpdateFlags flags, out int written)
    {
        ThrowIfRuntimeDisposed();
        written = 0;
        if (!_canWrite)
        {
            return BpfErrno.EPERM;
        }

        // The batch's elem_flags may only be BPF_F_LOCK, which needs a spin lock: only BPF_ANY passes.
        return flags != BpfUpdateFlags.Any ? BpfErrno.EINVAL : _map.UpdateBatch(keys, values, count, flags, out written);
    }

    /// <summary>
    /// A shared, writable mapping of the values: the fd must be open for reading and writing
    /// (the VFS checks that before the map does: <see cref="BpfErrno.EACCES"/>), then the map decides.
    /// </summary>
    private protected override BpfErrno MapValuesCore(out MappedValues? mapped)
    {
        ThrowIfRuntimeDisposed();
        mapped = null;
        return _canRead && _canWrite ? _runtime.MapValues(_map, out mapped) : BpfErrno.EACCES;
    }

    /// <summary>
    /// <c>BPF_MAP_DELETE_BATCH</c> (<c>generic_map_delete_batch</c>): the fd must allow writing
    /// (<see cref="BpfErrno.EPERM"/>) even for an empty batch; then key by key.
    /// </summary>
    private protected override BpfErrno DeleteBatchCore(ReadOnlySpan<byte> keys, int count, out int deleted)
    {
        ThrowIfRuntimeDisposed();
        deleted = 0;
        return _canWrite ? base.DeleteBatchCore(keys, count, out deleted) : BpfErrno.EPERM;
    }

    /// <summary>
    /// The drain as <c>BPF_MAP_LOOKUP_AND_DELETE_BATCH</c> begins: the fd must allow reading and
    /// writing (<see cref="BpfErrno.EPERM"/>) even when the map is empty; then key by key.
    /// </summary>
    private protected override BpfErrno DrainCore(DrainedChunk onChunk)
    {
        ThrowIfRuntimeDisposed();
        return _canRead && _canWrite ? base.DrainCore(onChunk) : BpfErrno.EPERM;
    }

    private protected override BpfErrno PinCore(string path)
    {
        ThrowIfRuntimeDisposed();
        return _runtime.Pin(_map, path);
    }

    private protected override BpfErrno DuplicateCore(out BpfMap? duplicate)
    {
        ThrowIfRuntimeDisposed();
        return _runtime.Duplicate(_file, out duplicate);
    }

    private protected override void CloseCore()
    {
        DirectReads = HashTable.None;
        DirectWrites = null;
        ReleaseFdRefCore();
    }

    private protected override bool TryAddFdRefCore()
    {
        int refs = Volatile.Read(ref _fdRefs);
        while (refs > 0)
        {
            int seen = Interlocked.CompareExchange(ref _fdRefs, refs + 1, refs);
            if (seen == refs)
            {
                // A close that came first leaves the fd to the last lease: refuse new ones.
                if (IsDisposed)
                {
                    ReleaseFdRefCore();
                    return false;
                }

                return true;
            }

            refs = seen;
        }

        return false;
    }

    private protected override void ReleaseFdRefCore()
    {
        if (Interlocked.Decrement(ref _fdRefs) == 0)
        {
            _runtime.Close(_fd, _file);
        }
    }

    private void ThrowIfRuntimeDisposed()
    {
        if (_runtime.IsDisposed)
        {
            ThrowRuntimeDisposed();
        }
    }

    private void ThrowRuntimeDisposed() =>
        throw new ObjectDisposedException(nameof(BpfRuntime), $"The emulated runtime of map '{Name}' (ID {Id}) is disposed; its maps are gone with it.");
}
