using System;
using System.Collections.Generic;
using System.Threading;

namespace MapGen;

/// <summary>
/// A raw handle to a map: a file descriptor of the kernel, or of the emulated runtime. Its
/// element operations take and give the kernel's bytes and return the kernel's error number;
/// they never throw for a failure the kernel reports.
/// </summary>
/// <remarks>
/// Disposing the handle closes its fd. The map itself lives on while another fd, a pin or a slot
/// of an outer map holds it. Inner maps returned by typed outer lookups are <em>borrowed</em>
/// (<see cref="IsOwned"/> is false): the outer handle owns them and disposing them does nothing.
/// </remarks>
public abstract class BpfMap : IDisposable
{
    private int _disposed;
    private InnerMapCache? _innerMaps;
    private MappedValues? _mappedValues;

    private protected BpfMap(BpfRuntime runtime, BpfMapInfo info, bool owned)
    {
        Runtime = runtime;
        Info = info;
        IsOwned = owned;
        KeySize = checked((int)info.KeySize);
        UserValueSize = BpfMapRules.UserValueSize(info.Type, info.ValueSize, runtime.PossibleCpus);
    }

    /// <summary>The runtime this handle belongs to.</summary>
    public BpfRuntime Runtime { get; }

    /// <summary>What the kernel reports about the map.</summary>
    public BpfMapInfo Info { get; }

    /// <summary>The map's ID.</summary>
    public uint Id => Info.Id;

    /// <summary>The map's name.</summary>
    public string Name => Info.Name;

    /// <summary>The map's type.</summary>
    public BpfMapType Type => Info.Type;

    /// <summary>The file descriptor (emulated runtime: an fd of its own table).</summary>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    public int Fd
    {
        get
        {
            ThrowIfDisposed();
            return FdCore;
        }
    }

    /// <summary>Whether disposing this handle closes its fd; false for borrowed inner maps.</summary>
    public bool IsOwned { get; }

    /// <summary>Whether this handle has been disposed (or, when borrowed, released by its owner).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The key size in bytes that element operations take.</summary>
    public int KeySize { get; }

    /// <summary>
    /// The value size in bytes that element operations take: the value size, or for per-CPU maps
    /// <c>round_up(value_size, 8) × possible CPUs</c>.
    /// </summary>
    public int UserValueSize { get; }

    private protected abstract int FdCore { get; }

    /// <summary>The fd number without the disposed check (for a holder of an fd reference).</summary>
    internal int FdUnchecked => FdCore;

    /// <summary>
    /// For the typed operations (<see cref="CompilerServices.DataMapOperations"/>): the emulated
    /// hash table that lookups through this handle may read directly, without the checks and
    /// virtual calls of <see cref="TryLookup"/>. Set by emulated handles of hash maps that they
    /// may read, reset when the handle is closed; <see cref="Emulation.HashTable.None"/> (whose
    /// shapes match no codec) for every other handle.
    /// </summary>
    internal Emulation.HashTable DirectReads { get; private protected set; } = Emulation.HashTable.None;

    /// <summary>As <see cref="DirectReads"/>, for updates: the emulated <see cref="BpfMapType.Hash"/> map this handle may write.</summary>
    internal Emulation.HashMap? DirectWrites { get; private protected set; }

    /// <summary>Looks up <paramref name="key"/> and copies its value into <paramref name="value"/>.</summary>
    /// <returns><see cref="BpfErrno.None"/>, or the kernel's error (<see cref="BpfErrno.ENOENT"/> when absent).</returns>
    /// <exception cref="ArgumentException">A span does not have the map's key or value size.</exception>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    public BpfErrno TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        ThrowIfDisposed();
        CheckKey(key);
        CheckValue(value.Length, nameof(value));
        return LookupCore(key, value);
    }

    /// <summary>Creates or replaces the element <paramref name="key"/>.</summary>
    /// <returns><see cref="BpfErrno.None"/>, or the kernel's error.</returns>
    /// <exception cref="ArgumentException">A span does not have the map's key or value size.</exception>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    public BpfErrno TryUpdate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags = BpfUpdateFlags.Any)
    {
        ThrowIfDisposed();
        CheckKey(key);
        CheckValue(value.Length, nameof(value));
        return UpdateCore(key, value, flags);
    }

    /// <summary>Deletes the element <paramref name="key"/>.</summary>
    /// <returns><see cref="BpfErrno.None"/>, or the kernel's error (<see cref="BpfErrno.ENOENT"/> when absent).</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> does not have the map's key size.</exception>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    public BpfErrno TryDelete(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        CheckKey(key);
        return DeleteCore(key);
    }

    /// <summary>
    /// Writes the key after <paramref name="key"/> into <paramref name="nextKey"/>; an empty
    /// <paramref name="key"/> asks for the first key. Ends with <see cref="BpfErrno.ENOENT"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span does not have the map's key size (<paramref name="key"/> may be empty).</exception>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    public BpfErrno TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        ThrowIfDisposed();
        if (!key.IsEmpty)
        {
            CheckKey(key);
        }

        if (nextKey.Length != KeySize)
        {
            throw new ArgumentException($"The next key buffer has {nextKey.Length} bytes; map '{Name}' has {KeySize}-byte keys.", nameof(nextKey));
        }

        return GetNextKeyCore(key, nextKey);
    }

    /// <summary>
    /// Looks up <paramref name="key"/>, copies its value into <paramref name="value"/> and deletes
    /// the element, atomically (<c>BPF_MAP_LOOKUP_AND_DELETE_ELEM</c>): nothing a BPF program
    /// writes to the element in between is lost. The kernel has it for the hash maps
    /// (<see cref="BpfMapType.Hash"/>, <see cref="BpfMapType.PerCpuHash"/>, <see cref="BpfMapType.LruHash"/>,
    /// <see cref="BpfMapType.LruPerCpuHash"/>; Linux 5.14), stack trace maps, and queues and
    /// stacks (a pop: pass an empty key); every other type answers <see cref="BpfErrno.ENOTSUPP"/>.
    /// The emulated runtime has no elements in queues and stacks (their element operations answer
    /// <see cref="BpfErrno.ENOTSUPP"/>).
    /// </summary>
    /// <returns><see cref="BpfErrno.None"/>, or the kernel's error (<see cref="BpfErrno.ENOENT"/> when absent).</returns>
    /// <exception cref="ArgumentException">A span does not have the map's key or value size.</exception>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    public BpfErrno TryLookupAndDelete(ReadOnlySpan<byte> key, Span<byte> value)
    {
        ThrowIfDisposed();
        CheckKey(key);
        CheckValue(value.Length, nameof(value));
        return LookupAndDeleteCore(key, value);
    }

    /// <summary>
    /// Writes <paramref name="count"/> elements (keys and values laid end to end) as one batch
    /// where the backend can (<c>BPF_MAP_UPDATE_BATCH</c>), stopping at the first failure.
    /// </summary>
    /// <param name="keys">The keys, <paramref name="count"/> × <see cref="KeySize"/> bytes.</param>
    /// <param name="values">The values, <paramref name="count"/> × <see cref="UserValueSize"/> bytes.</param>
    /// <param name="count">How many elements the batch holds.</param>
    /// <param name="flags">The update flags for every element.</param>
    /// <param name="written">How many elements were written before a failure (all on success).</param>
    internal BpfErrno UpdateBatch(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int count, BpfUpdateFlags flags, out int written)
    {
        ThrowIfDisposed();
        if (keys.Length != count * KeySize || values.Length != count * UserValueSize)
        {
            throw new ArgumentException($"A batch of {count} elements of map '{Name}' takes {count * KeySize} key bytes and {count * UserValueSize} value bytes.");
        }

        return UpdateBatchCore(keys, values, count, flags, out written);
    }

    /// <summary>
    /// Deletes <paramref name="count"/> keys (laid end to end) as one batch where the backend can
    /// (<c>BPF_MAP_DELETE_BATCH</c>), stopping at the first failure as the kernel does
    /// (<see cref="BpfErrno.ENOENT"/> for an absent key).
    /// </summary>
    /// <param name="keys">The keys, <paramref name="count"/> × <see cref="KeySize"/> bytes.</param>
    /// <param name="count">How many keys the batch holds.</param>
    /// <param name="deleted">How many keys were deleted before a failure (all on success).</param>
    internal BpfErrno DeleteBatch(ReadOnlySpan<byte> keys, int count, out int deleted)
    {
        ThrowIfDisposed();
        if (count < 0 || keys.Length != count * KeySize)
        {
            throw new ArgumentException($"A batch of {count} keys of map '{Name}' takes {count * (long)KeySize} bytes.", nameof(keys));
        }

        return DeleteBatchCore(keys, count, out deleted);
    }

    /// <summary>
    /// Takes every element out of the map: each one is looked up and deleted atomically and handed
    /// to <paramref name="onChunk"/> (a chunk of elements at a time) once it is gone from the map.
    /// Elements added meanwhile may or may not be taken. Batched where the backend can
    /// (<c>BPF_MAP_LOOKUP_AND_DELETE_BATCH</c>).
    /// </summary>
    /// <returns>
    /// <see cref="BpfErrno.None"/> once the map was walked to its end, or the error that stopped
    /// the drain; the elements handed over before the error are out of the map either way.
    /// </returns>
    internal BpfErrno Drain(DrainedChunk onChunk)
    {
        ArgumentNullException.ThrowIfNull(onChunk);
        ThrowIfDisposed();
        return DrainCore(onChunk);
    }

    /// <summary>Pins the map at <paramref name="path"/> (native: in bpffs).</summary>
    /// <exception cref="BpfException">The kernel refused (the path exists, is not in bpffs, …).</exception>
    public void Pin(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ThrowIfDisposed();
        BpfErrno errno = PinCore(path);
        if (errno != BpfErrno.None)
        {
            throw new BpfException(errno, $"pin at '{path}'", Name, Runtime.PinHint(errno, path));
        }
    }

    /// <summary>Removes the pin at <paramref name="path"/>, which must be a pin of this map.</summary>
    /// <exception cref="BpfException">Nothing is pinned there, or another object is.</exception>
    public void Unpin(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ThrowIfDisposed();
        BpfErrno errno = Runtime.TryOpenPinned(path, out BpfMap? pinned);
        if (errno != BpfErrno.None)
        {
            throw new BpfException(errno, $"unpin at '{path}'", Name);
        }

        using (pinned)
        {
            if (pinned!.Id != Id)
            {
                throw new BpfException(BpfErrno.EINVAL,
                    $"Cannot unpin '{path}' through map '{Name}' (ID {Id}): the path holds map '{pinned.Name}' (ID {pinned.Id}).");
            }
        }

        errno = Runtime.UnlinkPin(path);
        if (errno != BpfErrno.None)
        {
            throw new BpfException(errno, $"unpin at '{path}'", Name);
        }
    }

    /// <summary>Opens another, owned handle to the same map.</summary>
    public BpfMap Duplicate()
    {
        ThrowIfDisposed();
        BpfErrno errno = DuplicateCore(out BpfMap? duplicate);
        if (errno != BpfErrno.None)
        {
            throw new BpfException(errno, "duplicate", Name);
        }

        return duplicate!;
    }

    /// <summary>Closes this handle, unless it is borrowed. Idempotent.</summary>
    public void Dispose()
    {
        if (IsOwned)
        {
            Close();
        }

        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() =>
        IsDisposed ? $"{Name} (ID {Id}, disposed)" : $"{Name} (ID {Id}, fd {FdCore}, {Type})";

    /// <summary>Closes the handle whether owned or borrowed: the owner's release of a borrowed map.</summary>
    internal void Close()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Installs the closed cache even when none was created, so that a lookup that passed
            // the disposed check before this close cannot create a fresh cache and leak into it.
            Interlocked.Exchange(ref _innerMaps, InnerMapCache.Closed)?.Clear();
            // The mapping belongs to its views, which keep it after the handle; no new view now.
            Interlocked.Exchange(ref _mappedValues, MappedValues.Closed);
            CloseCore();
        }
    }

    /// <summary>
    /// The cache of borrowed inner maps of an outer map, created on first use; once the handle is
    /// closed, a closed cache that refuses new handles (so that a lookup racing with the close
    /// cannot leave a borrowed handle behind).
    /// </summary>
    internal InnerMapCache InnerMaps
    {
        get
        {
            InnerMapCache? cache = Volatile.Read(ref _innerMaps);
            if (cache is null)
            {
                Interlocked.CompareExchange(ref _innerMaps, new InnerMapCache(), null);
                cache = _innerMaps!;
            }

            return cache;
        }
    }

    /// <summary>
    /// A reference on the values of a <see cref="BpfMapFlags.Mmapable"/> array mapped into the
    /// process; pair it with <see cref="MappedValues.Release"/>. The mapping belongs to its
    /// references alone: the handle only remembers it, so that views taken at the same time share
    /// one mapping, and the memory is unmapped (letting the kernel freeze or free the map) when
    /// the last reference goes, whether or not the handle is still open. A later call maps again.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    /// <exception cref="BpfException">The map cannot be mapped: not an array created with <see cref="BpfMapFlags.Mmapable"/>, created with <see cref="BpfMapFlags.RdOnlyProg"/>, or opened read-only.</exception>
    internal MappedValues AcquireMappedValues()
    {
        while (true)
        {
            ThrowIfDisposed();
            MappedValues? current = Volatile.Read(ref _mappedValues);
            if (ReferenceEquals(current, MappedValues.Closed))
            {
                ThrowDisposed();
            }

            if (current is not null && current.TryAddReference())
            {
                return current;
            }

            // None yet, or its last view is gone (and it is unmapped): map anew. Two threads may
            // do so at once, or a close may come between: the loser gives its mapping back and looks again.
            BpfErrno errno = MapValuesCore(out MappedValues? created);
            if (errno != BpfErrno.None)
            {
                throw new BpfException(errno, "mmap", Name, MmapHint(errno));
            }

            if (ReferenceEquals(Interlocked.CompareExchange(ref _mappedValues, created, current), current))
            {
                return created!;
            }

            created!.Release();
        }
    }

    private string? MmapHint(BpfErrno errno) => errno switch
    {
        BpfErrno.EINVAL or BpfErrno.ENOTSUPP => $"Only Array maps created with BpfMapFlags.Mmapable can be mapped; '{Name}' is a {Type} with flags {Info.Flags}.",
        BpfErrno.EACCES => "The kernel maps the values writable only through an fd opened for writing, of a map without BpfMapFlags.RdOnlyProg.",
        BpfErrno.EPERM => "The map is frozen: its values can no longer be written from user space.",
        _ => null,
    };

    /// <summary>
    /// Holds the fd open until the lease is disposed: a concurrent <see cref="Dispose"/> or
    /// <see cref="Close"/> then closes it only after the lease ends, so that the fd number passed
    /// to a system call (an inner map's fd as an outer map's value) cannot be closed and reused
    /// by another map in between.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    internal FdLease LeaseFd()
    {
        AddFdRef();
        return new FdLease(this);
    }

    /// <summary>Takes a reference on the fd (see <see cref="LeaseFd"/>); pair it with <see cref="ReleaseFdRef"/>.</summary>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    internal void AddFdRef()
    {
        ThrowIfDisposed();
        if (!TryAddFdRefCore())
        {
            ThrowDisposed();
        }
    }

    /// <summary>Drops a reference taken by <see cref="AddFdRef"/>; the last one after a close closes the fd.</summary>
    internal void ReleaseFdRef() => ReleaseFdRefCore();

    internal void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            ThrowDisposed();
        }
    }

    private void ThrowDisposed() =>
        throw new ObjectDisposedException(nameof(BpfMap), IsOwned
            ? $"The handle of map '{Name}' (ID {Id}) is disposed."
            : $"The borrowed inner map '{Name}' (ID {Id}) was released by its outer map (the outer handle was disposed, or its slot replaced or deleted). Use Map.Duplicate() to keep an inner map.");

    private protected abstract BpfErrno LookupCore(ReadOnlySpan<byte> key, Span<byte> value);

    private protected abstract BpfErrno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags);

    private protected abstract BpfErrno DeleteCore(ReadOnlySpan<byte> key);

    private protected abstract BpfErrno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey);

    private protected abstract BpfErrno LookupAndDeleteCore(ReadOnlySpan<byte> key, Span<byte> value);

    private protected abstract BpfErrno PinCore(string path);

    /// <summary>Maps the map's values into the process (<c>mmap</c>), for <see cref="AcquireMappedValues"/>.</summary>
    private protected abstract BpfErrno MapValuesCore(out MappedValues? mapped);

    /// <summary>The batch update; by default one update after another.</summary>
    private protected virtual BpfErrno UpdateBatchCore(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int count, BpfUpdateFlags flags, out int written)
    {
        for (written = 0; written < count; written++)
        {
            BpfErrno errno = UpdateCore(keys.Slice(written * KeySize, KeySize), values.Slice(written * UserValueSize, UserValueSize), flags);
            if (errno != BpfErrno.None)
            {
                return errno;
            }
        }

        return BpfErrno.None;
    }

    /// <summary>The batch delete; by default one delete after another (the kernel's <c>generic_map_delete_batch</c>).</summary>
    private protected virtual BpfErrno DeleteBatchCore(ReadOnlySpan<byte> keys, int count, out int deleted)
    {
        for (deleted = 0; deleted < count; deleted++)
        {
            BpfErrno errno = DeleteCore(keys.Slice(deleted * KeySize, KeySize));
            if (errno != BpfErrno.None)
            {
                return errno;
            }
        }

        return BpfErrno.None;
    }

    /// <summary>
    /// The drain; by default a <c>get_next_key</c> walk that takes each key with
    /// <see cref="LookupAndDeleteCore"/>. The key after the current one is read before the current
    /// one is deleted, so the walk moves on; a key deleted meanwhile by someone else restarts
    /// the kernel's walk at the first key, which is harmless (taken keys are gone). The number of
    /// steps is bounded, so the drain ends even while other threads keep inserting.
    /// </summary>
    private protected virtual BpfErrno DrainCore(DrainedChunk onChunk)
    {
        byte[] current = new byte[KeySize];
        byte[] next = new byte[KeySize];
        byte[] value = new byte[UserValueSize];
        BpfErrno errno = GetNextKeyCore(default, current);
        long budget = 4L * ((long)Info.MaxEntries + 1) + 1024;
        while (errno == BpfErrno.None && budget-- > 0)
        {
            BpfErrno nextErrno = GetNextKeyCore(current, next);
            if (nextErrno is not (BpfErrno.None or BpfErrno.ENOENT))
            {
                return nextErrno;
            }

            BpfErrno taken = LookupAndDeleteCore(current, value);
            if (taken == BpfErrno.None)
            {
                onChunk(current, value, 1);
            }
            else if (taken != BpfErrno.ENOENT)
            {
                // ENOENT: someone else deleted it first; anything else stops the drain.
                return taken;
            }

            (current, next) = (next, current);
            errno = nextErrno;
        }

        return errno is BpfErrno.None or BpfErrno.ENOENT ? BpfErrno.None : errno;
    }

    private protected abstract BpfErrno DuplicateCore(out BpfMap? duplicate);

    /// <summary>
    /// The keys in kernel order, each at most once, ending even while other threads delete. The
    /// default walks with <c>get_next_key</c>; a backend that reads many keys per call overrides it.
    /// </summary>
    /// <remarks>
    /// An empty slot of an <see cref="BpfMapType.ArrayOfMaps"/> or a <see cref="BpfMapType.DevMap"/>
    /// is no element (its lookup is <see cref="BpfErrno.ENOENT"/>), but <c>get_next_key</c> counts
    /// every index: this walk skips the empty slots, so that keys are the filled slots on every
    /// backend. (For an array of maps the native backend reads batches; a kernel before the 2025
    /// fix "skip non existing keys in generic_map_lookup_batch" fails such a read with
    /// <see cref="BpfErrno.EINTR"/> at an empty slot, and the native reader falls back to this
    /// walk.) <see cref="BpfMapType.Array"/> and <see cref="BpfMapType.PerCpuArray"/> have no
    /// empty slots: every index reads (zeros at first).
    /// </remarks>
    internal virtual IEnumerable<byte[]> EnumerateKeys() =>
        Type is BpfMapType.ArrayOfMaps or BpfMapType.DevMap ? KeyEnumeration.WalkFilledSlots(this) : KeyEnumeration.WalkKeys(this);

    /// <summary>
    /// The elements in kernel order, with the guarantees of <see cref="EnumerateKeys"/>; an
    /// entry's buffers may be reused for the next. The default is the <c>get_next_key</c> walk
    /// with a lookup of each key.
    /// </summary>
    internal virtual IEnumerable<RawEntry> EnumerateEntries() => KeyEnumeration.WalkEntries(this);

    /// <summary>
    /// Closes the fd, or, while <see cref="LeaseFd"/> leases are held, lets the last lease close it.
    /// </summary>
    private protected abstract void CloseCore();

    /// <summary>Takes a reference on the fd; false once the handle is closed.</summary>
    private protected abstract bool TryAddFdRefCore();

    private protected abstract void ReleaseFdRefCore();

    private void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
        {
            ThrowKeySize(key.Length, nameof(key));
        }
    }

    private void CheckValue(int length, string paramName)
    {
        if (length != UserValueSize)
        {
            ThrowValueSize(length, paramName);
        }
    }

    private void ThrowKeySize(int length, string paramName) =>
        throw new ArgumentException($"The key has {length} bytes; map '{Name}' has {KeySize}-byte keys.", paramName);

    private void ThrowValueSize(int length, string paramName) =>
        throw new ArgumentException(BpfMapRules.IsPerCpu(Type)
            ? $"The value buffer has {length} bytes; per-CPU map '{Name}' takes {UserValueSize} (round_up({Info.ValueSize}, 8) × {Runtime.PossibleCpus} possible CPUs)."
            : $"The value has {length} bytes; map '{Name}' has {UserValueSize}-byte values.", paramName);
}

/// <summary>Receives elements taken out of a map by <see cref="BpfMap.Drain"/>: <paramref name="count"/> keys and values laid end to end.</summary>
internal delegate void DrainedChunk(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int count);

/// <summary>A reference on a handle's fd, from <see cref="BpfMap.LeaseFd"/>: the fd stays open until it is disposed.</summary>
internal ref struct FdLease
{
    private BpfMap? _map;

    internal FdLease(BpfMap map)
    {
        _map = map;
        Fd = map.FdUnchecked;
    }

    /// <summary>The fd number, valid while the lease is held.</summary>
    public int Fd { get; }

    public void Dispose()
    {
        BpfMap? map = _map;
        _map = null;
        map?.ReleaseFdRef();
    }
}
