using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MapGen.CompilerServices;

namespace MapGen.Native;

/// <summary>
/// A kernel map reached through an fd. Every system call holds a reference on the
/// <see cref="SafeBpfHandle"/>, so a <c>Dispose</c> on another thread waits for the last call to
/// leave before the fd is closed (and can never close an fd number the kernel has reused).
/// </summary>
internal sealed class NativeMap : BpfMap
{
    private readonly SafeBpfHandle _handle;

    internal NativeMap(NativeRuntime runtime, SafeBpfHandle handle, BpfMapInfo info, bool owned)
        : base(runtime, info, owned)
    {
        _handle = handle;
    }

    private protected override int FdCore => _handle.Fd;

    private protected override unsafe BpfErrno LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                return BpfSyscall.Lookup(_handle.Fd, k, v);
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private protected override unsafe BpfErrno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, BpfUpdateFlags flags)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                return BpfSyscall.Update(_handle.Fd, k, v, (ulong)flags);
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private protected override unsafe BpfErrno DeleteCore(ReadOnlySpan<byte> key)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            fixed (byte* k = key)
            {
                return BpfSyscall.Delete(_handle.Fd, k);
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private protected override unsafe BpfErrno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            // An empty span pins as a null pointer: the kernel's "give me the first key".
            fixed (byte* k = key)
            fixed (byte* n = nextKey)
            {
                return BpfSyscall.GetNextKey(_handle.Fd, k, n);
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private protected override unsafe BpfErrno LookupAndDeleteCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            // As the other element calls: an empty span pins as a null pointer, which a map
            // without keys (a queue, a stack) needs.
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                MapElemAttr attr = default;
                attr.MapFd = (uint)_handle.Fd;
                attr.Key = (ulong)k;
                attr.Value = (ulong)v;
                return BpfSyscall.InvokeElement(BpfCommand.MapLookupAndDeleteElem, ref attr);
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private protected override BpfErrno PinCore(string path)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            return BpfSyscall.Pin(_handle.Fd, path);
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// <c>mmap</c> of the fd, shared and writable: the kernel's <c>array_map_mmap</c> maps the
    /// values from the first one on, <c>round_up(value_size, 8)</c> bytes apart, over
    /// <c>PAGE_ALIGN(max_entries × that)</c> bytes. The mapping holds the map in the kernel on its
    /// own, so it outlives the fd.
    /// </summary>
    private protected override unsafe BpfErrno MapValuesCore(out MappedValues? mapped)
    {
        mapped = null;
        long pageSize = Environment.SystemPageSize;
        long bytes = (long)Info.MaxEntries * BpfMapRules.RoundUp8(Info.ValueSize);
        long length = (bytes + pageSize - 1) / pageSize * pageSize;
        if (length == 0)
        {
            return BpfErrno.EINVAL;
        }

        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            void* address = LibC.Mmap(null, (nuint)length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, _handle.Fd, 0);
            if (address == LibC.MapFailed)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno == 0 ? BpfErrno.EIO : (BpfErrno)errno;
            }

            mapped = new MappedPages((byte*)address, length);
            return BpfErrno.None;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>Pages of a map mapped by <see cref="MapValuesCore"/>, unmapped with the last reference.</summary>
    private sealed unsafe class MappedPages(byte* address, long length) : MappedValues(address, length)
    {
        protected override void Unmap() => LibC.Munmap(Address, (nuint)Length);
    }

    private protected override BpfErrno DuplicateCore(out BpfMap? duplicate)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            BpfErrno errno = BpfSyscall.Duplicate(_handle.Fd, out SafeBpfHandle? handle);
            // The same open file, so the same map: the cached info holds for the duplicate too.
            duplicate = errno == BpfErrno.None ? new NativeMap((NativeRuntime)Runtime, handle!, Info, owned: true) : null;
            return errno;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private protected override void CloseCore() => _handle.Dispose();

    private protected override bool TryAddFdRefCore()
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        return added;
    }

    private protected override void ReleaseFdRefCore() => _handle.DangerousRelease();

    /// <summary>
    /// The typed lookup (<see cref="CompilerServices.DataMapOperations.TryLookup"/>), for codecs
    /// of the map's sizes (the caller checked): the same system call as <see cref="LookupCore"/>,
    /// with the key passed where it lies when its codec writes it as its own bytes and the value
    /// written by the kernel straight into the result when its codec reads it from its own bytes,
    /// so that nothing is copied or allocated on the way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe BpfErrno LookupTyped<TKey, TKeyCodec, TValue, TValueCodec>(in TKey key, out TValue value)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        ThrowIfDisposed();
        Unsafe.SkipInit(out TKey encoded);
        scoped ref TKey keyBytes = ref Unsafe.AsRef(in key);
        if (!CodecTraits<TKey, TKeyCodec>.WritesOwnBytes)
        {
            TKeyCodec.Write(MemoryMarshal.CreateSpan(ref Unsafe.As<TKey, byte>(ref encoded), TKeyCodec.Size), in key);
            keyBytes = ref encoded;
        }

        if (CodecTraits<TValue, TValueCodec>.ReadsOwnBytes)
        {
            Unsafe.SkipInit(out value);
            BpfErrno errno = Lookup(ref Unsafe.As<TKey, byte>(ref keyBytes), ref Unsafe.As<TValue, byte>(ref value));
            if (errno != BpfErrno.None)
            {
                value = default!;
            }

            return errno;
        }

        byte[]? rented = null;
        Span<byte> valueBytes = TValueCodec.Size <= DataMapOperations.StackLimit
            ? stackalloc byte[DataMapOperations.StackLimit]
            : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(TValueCodec.Size));
        try
        {
            BpfErrno errno = Lookup(ref Unsafe.As<TKey, byte>(ref keyBytes), ref MemoryMarshal.GetReference(valueBytes));
            value = errno == BpfErrno.None ? TValueCodec.Read(valueBytes[..TValueCodec.Size]) : default!;
            return errno;
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The typed update, as <see cref="LookupTyped"/>: the same system call as <see cref="UpdateCore"/>, with key and value passed where they lie when their codecs allow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe BpfErrno UpdateTyped<TKey, TKeyCodec, TValue, TValueCodec>(in TKey key, in TValue value, BpfUpdateFlags flags)
        where TKeyCodec : IBpfCodec<TKey>
        where TValueCodec : IBpfCodec<TValue>
    {
        ThrowIfDisposed();
        Unsafe.SkipInit(out TKey encodedKey);
        scoped ref TKey keyBytes = ref Unsafe.AsRef(in key);
        if (!CodecTraits<TKey, TKeyCodec>.WritesOwnBytes)
        {
            TKeyCodec.Write(MemoryMarshal.CreateSpan(ref Unsafe.As<TKey, byte>(ref encodedKey), TKeyCodec.Size), in key);
            keyBytes = ref encodedKey;
        }

        if (CodecTraits<TValue, TValueCodec>.WritesOwnBytes)
        {
            return Update(ref Unsafe.As<TKey, byte>(ref keyBytes), ref Unsafe.As<TValue, byte>(ref Unsafe.AsRef(in value)), flags);
        }

        byte[]? rented = null;
        Span<byte> valueBytes = TValueCodec.Size <= DataMapOperations.StackLimit
            ? stackalloc byte[DataMapOperations.StackLimit]
            : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(TValueCodec.Size));
        try
        {
            TValueCodec.Write(valueBytes[..TValueCodec.Size], in value);
            return Update(ref Unsafe.As<TKey, byte>(ref keyBytes), ref MemoryMarshal.GetReference(valueBytes), flags);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary><c>BPF_MAP_LOOKUP_ELEM</c> with the key and value where they lie (pinned for the call), holding a reference on the fd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private BpfErrno Lookup(ref byte key, ref byte value) => ElementCall(BpfCommand.MapLookupElem, ref key, ref value, 0);

    /// <summary><c>BPF_MAP_UPDATE_ELEM</c> with the key and value where they lie (pinned for the call), holding a reference on the fd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private BpfErrno Update(ref byte key, ref byte value, BpfUpdateFlags flags) => ElementCall(BpfCommand.MapUpdateElem, ref key, ref value, (ulong)flags);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe BpfErrno ElementCall(BpfCommand command, ref byte key, ref byte value, ulong flags)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            fixed (byte* k = &key)
            fixed (byte* v = &value)
            {
                MapElemAttr attr = default;
                attr.MapFd = (uint)_handle.Fd;
                attr.Key = (ulong)k;
                attr.Value = (ulong)v;
                attr.Flags = flags;
                return BpfSyscall.InvokeElement(command, ref attr);
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// <c>BPF_MAP_UPDATE_BATCH</c>: one system call, and for outer maps one RCU grace period for
    /// the whole batch instead of one per slot. Where the kernel has no batch for this map type,
    /// single updates do the elements, after the checks the kernel's batch makes of the whole
    /// batch: the fd's permissions (the kernel checks them before it finds there is no batch, so
    /// its answer is asked for every time) and the <c>elem_flags</c>, which take only
    /// <c>BPF_F_LOCK</c>: any other flag (<c>NoExist</c>, <c>Exist</c>) is
    /// <see cref="BpfErrno.EINVAL"/> with nothing written, as the kernel and the emulated runtime
    /// say, whatever the map type.
    /// </summary>
    private protected override unsafe BpfErrno UpdateBatchCore(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int count, BpfUpdateFlags flags, out int written)
    {
        if (!KernelFeatures.BatchCommands)
        {
            return UpdateOneByOne(keys, values, count, flags, out written);
        }

        int processed = count;
        BpfErrno errno;
        fixed (byte* k = keys)
        fixed (byte* v = values)
        {
            errno = BatchCore(BpfCommand.MapUpdateBatch, null, null, k, v, ref processed, (ulong)flags);
        }

        // "No batch for this type" leaves count as it was; a refused element sets it to the
        // number written before it (the kernel zeroes it before starting).
        if (KernelFeatures.MeansNoBatch(errno) && processed == count)
        {
            return UpdateOneByOne(keys, values, count, flags, out written);
        }

        // A refused element leaves count below the batch's size. A batch refused as a whole (its
        // flags, the fd's permissions) leaves count untouched: nothing was written then.
        written = errno == BpfErrno.None ? count : processed >= count ? 0 : Math.Max(processed, 0);
        return errno;
    }

    /// <summary>
    /// The batch as single updates, for map types the kernel has no batch for; the flags are
    /// judged as a batch's, before any element, so that an empty batch is refused as the kernel's
    /// batch refuses it: only <c>BPF_F_LOCK</c>, and that only for a value with a
    /// <c>bpf_spin_lock</c>, which needs value BTF.
    /// </summary>
    private BpfErrno UpdateOneByOne(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int count, BpfUpdateFlags flags, out int written)
    {
        if ((flags & ~BpfUpdateFlags.Lock) != 0 || ((flags & BpfUpdateFlags.Lock) != 0 && Info.BtfValueTypeId == 0))
        {
            written = 0;
            return BpfErrno.EINVAL;
        }

        return base.UpdateBatchCore(keys, values, count, flags, out written);
    }

    /// <summary>
    /// <c>BPF_MAP_DELETE_BATCH</c> in one system call; single deletes for map types the kernel has
    /// no delete batch for (device maps).
    /// </summary>
    private protected override BpfErrno DeleteBatchCore(ReadOnlySpan<byte> keys, int count, out int deleted)
    {
        if (!KernelFeatures.BatchCommands)
        {
            return base.DeleteBatchCore(keys, count, out deleted);
        }

        // The kernel is asked every time, as for updates: it checks the fd's rights before it
        // finds that the type has no batch, and those answers must be its own.
        int processed = count;
        BpfErrno errno = DeleteBatch(keys, ref processed);
        if (KernelFeatures.MeansNoBatch(errno) && processed == count)
        {
            return base.DeleteBatchCore(keys, count, out deleted);
        }

        // As for updates: a batch refused as a whole (the fd's permissions) leaves count untouched.
        deleted = errno == BpfErrno.None ? count : processed >= count ? 0 : Math.Max(processed, 0);
        return errno;
    }

    /// <summary>
    /// <c>BPF_MAP_LOOKUP_AND_DELETE_BATCH</c> chunk after chunk, the cursor moving forward bucket by
    /// bucket; single lookup-and-deletes where the kernel has no such batch for the map type.
    /// </summary>
    private protected override unsafe BpfErrno DrainCore(DrainedChunk onChunk)
    {
        if (!KernelFeatures.BatchCommands)
        {
            return base.DrainCore(onChunk);
        }

        bool added = false;
        try
        {
            // One reference for the whole drain: a Dispose on another thread closes the fd only
            // after it, so no chunk the kernel has taken out of the map is dropped on the way.
            _handle.DangerousAddRef(ref added);
            var buffers = new BatchBuffers(this);
            bool started = false;
            while (true)
            {
                int count = buffers.Capacity;
                BpfErrno errno;
                fixed (byte* i = buffers.Cursor)
                fixed (byte* o = buffers.NextCursor)
                fixed (byte* k = buffers.Keys)
                fixed (byte* v = buffers.Values)
                {
                    errno = BatchCall(BpfCommand.MapLookupAndDeleteBatch, started ? i : null, o, k, v, ref count, 0);
                }

                if (!started && KernelFeatures.MeansNoBatch(errno))
                {
                    // No such batch for the type (the fd's rights were checked first): key by key.
                    return base.DrainCore(onChunk);
                }

                if (errno == BpfErrno.ENOSPC && count == 0)
                {
                    // A bucket holds more elements than the buffers; nothing was deleted. Grow and ask again.
                    buffers.Grow();
                    continue;
                }

                // A refusal before the kernel starts leaves the count as it was; any later error
                // comes with the count of elements it had already taken out: hand those over.
                bool refusedUpFront = errno is BpfErrno.EINVAL or BpfErrno.EPERM or BpfErrno.EBADF or BpfErrno.EFAULT
                    || KernelFeatures.MeansNoBatch(errno);
                if (count > 0 && !refusedUpFront)
                {
                    onChunk(buffers.Keys.AsSpan(0, count * KeySize), buffers.Values.AsSpan(0, count * UserValueSize), count);
                }

                if (errno is not (BpfErrno.None or BpfErrno.ENOENT))
                {
                    return errno;
                }

                if (errno == BpfErrno.ENOENT || count == 0)
                {
                    return BpfErrno.None;
                }

                buffers.Advance();
                started = true;
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// <c>BPF_MAP_LOOKUP_BATCH</c> (or, with <paramref name="andDelete"/>,
    /// <c>LOOKUP_AND_DELETE_BATCH</c>): reads up to <paramref name="count"/> elements after the
    /// cursor <paramref name="inBatch"/> (empty: from the start) into <paramref name="keys"/> and
    /// <paramref name="values"/>, and writes the next cursor into <paramref name="outBatch"/>.
    /// <paramref name="count"/> becomes how many were read.
    /// </summary>
    /// <returns><see cref="BpfErrno.None"/>; <see cref="BpfErrno.ENOENT"/> when the read reached the end (elements may still have been read); <see cref="BpfErrno.ENOSPC"/> when a hash bucket does not fit the buffers; the kernel's other errors.</returns>
    internal unsafe BpfErrno LookupBatch(ReadOnlySpan<byte> inBatch, Span<byte> outBatch, Span<byte> keys, Span<byte> values, ref int count, bool andDelete = false)
    {
        ThrowIfDisposed();
        CheckBatchBuffers(keys.Length, values.Length, count);
        if (outBatch.Length < BatchTokenSize || (!inBatch.IsEmpty && inBatch.Length < BatchTokenSize))
        {
            throw new ArgumentException($"Batch cursors of map '{Name}' take {BatchTokenSize} bytes.", nameof(outBatch));
        }

        fixed (byte* i = inBatch)
        fixed (byte* o = outBatch)
        fixed (byte* k = keys)
        fixed (byte* v = values)
        {
            return BatchCore(andDelete ? BpfCommand.MapLookupAndDeleteBatch : BpfCommand.MapLookupBatch, i, o, k, v, ref count, 0);
        }
    }

    /// <summary><c>BPF_MAP_DELETE_BATCH</c>: deletes <paramref name="count"/> keys; <paramref name="count"/> becomes how many were deleted.</summary>
    internal unsafe BpfErrno DeleteBatch(ReadOnlySpan<byte> keys, ref int count)
    {
        ThrowIfDisposed();
        if (count < 0 || keys.Length < (long)count * KeySize)
        {
            throw new ArgumentException($"A batch of {count} keys of map '{Name}' needs {count * (long)KeySize} bytes.", nameof(keys));
        }

        fixed (byte* k = keys)
        {
            return BatchCore(BpfCommand.MapDeleteBatch, null, null, k, null, ref count, 0);
        }
    }

    /// <summary>
    /// The size of a batch cursor: a hash map's is its <c>u32</c> bucket index, the generic
    /// implementation's (arrays) is the last key.
    /// </summary>
    internal int BatchTokenSize => Math.Max(KeySize, sizeof(ulong));

    /// <summary>The keys, read in batches where the kernel has them for this map type.</summary>
    internal override IEnumerable<byte[]> EnumerateKeys() =>
        ReadsInBatches ? BatchKeys() : base.EnumerateKeys();

    /// <summary>The elements, read in batches where the kernel has them for this map type.</summary>
    internal override IEnumerable<RawEntry> EnumerateEntries() =>
        ReadsInBatches ? BatchEntries() : base.EnumerateEntries();

    /// <summary>
    /// Whether enumeration reads batches: only for map types whose batch cursor only moves
    /// forward (hash maps: a bucket index; arrays: an index), so that no key comes twice and the
    /// walk ends even while other threads delete. Other types with batches (the LPM trie) use the
    /// generic kernel batch, which walks with get_next_key and restarts at the first key when its
    /// cursor is deleted; they keep the walk of <see cref="KeyEnumeration"/>, which guards against that.
    /// </summary>
    private bool ReadsInBatches =>
        Type is BpfMapType.Hash or BpfMapType.LruHash or BpfMapType.PerCpuHash or BpfMapType.LruPerCpuHash or BpfMapType.HashOfMaps
            or BpfMapType.Array or BpfMapType.PerCpuArray or BpfMapType.ArrayOfMaps
        && KernelFeatures.MayLookupBatch(Type);

    private IEnumerable<byte[]> BatchKeys()
    {
        var reader = new BatchReader(this);
        if (!reader.Start())
        {
            foreach (byte[] key in base.EnumerateKeys())
            {
                yield return key;
            }

            yield break;
        }

        do
        {
            for (int i = 0; i < reader.Count; i++)
            {
                yield return reader.Key(i).ToArray();
            }
        }
        while (reader.Next());

        if (reader.Interrupted)
        {
            // The rest with get_next_key from the last key read, without the empty slots.
            foreach (byte[] key in KeyEnumeration.WalkFilledSlots(this, reader.ResumeAfter))
            {
                yield return key;
            }
        }
    }

    private IEnumerable<RawEntry> BatchEntries()
    {
        var reader = new BatchReader(this);
        if (!reader.Start())
        {
            foreach (RawEntry entry in base.EnumerateEntries())
            {
                yield return entry;
            }

            yield break;
        }

        do
        {
            for (int i = 0; i < reader.Count; i++)
            {
                yield return new RawEntry(reader.KeyMemory(i), reader.ValueMemory(i));
            }
        }
        while (reader.Next());

        if (reader.Interrupted)
        {
            foreach (RawEntry entry in KeyEnumeration.WalkEntries(this, reader.ResumeAfter))
            {
                yield return entry;
            }
        }
    }

    /// <summary>
    /// Test hook: rewrites the answer of each <c>BPF_MAP_LOOKUP_BATCH</c> of enumeration (the
    /// keys read, the next cursor, the count), to reproduce kernels this machine does not run.
    /// </summary>
    internal delegate BpfErrno LookupBatchAnswer(BpfErrno errno, Span<byte> keys, Span<byte> outBatch, ref int count);

    /// <summary>Test hook (see <see cref="LookupBatchAnswer"/>); null in normal use.</summary>
    internal LookupBatchAnswer? LookupBatchHook { get; set; }

    private unsafe BpfErrno BatchCore(BpfCommand command, byte* inBatch, byte* outBatch, byte* keys, byte* values, ref int count, ulong elemFlags)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            return BatchCall(command, inBatch, outBatch, keys, values, ref count, elemFlags);
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>One <c>BPF_MAP_*_BATCH</c> call; the caller holds a reference on the handle.</summary>
    private unsafe BpfErrno BatchCall(BpfCommand command, byte* inBatch, byte* outBatch, byte* keys, byte* values, ref int count, ulong elemFlags)
    {
        MapBatchAttr attr = default;
        attr.InBatch = (ulong)inBatch;
        attr.OutBatch = (ulong)outBatch;
        attr.Keys = (ulong)keys;
        attr.Values = (ulong)values;
        attr.Count = (uint)count;
        attr.MapFd = (uint)_handle.Fd;
        attr.ElemFlags = elemFlags;
        BpfErrno errno = BpfSyscall.Batch(command, ref attr);
        count = (int)attr.Count;
        return errno;
    }

    private void CheckBatchBuffers(int keyBytes, int valueBytes, int count)
    {
        if (count < 0 || keyBytes < (long)count * KeySize || valueBytes < (long)count * UserValueSize)
        {
            throw new ArgumentException($"A batch of {count} elements of map '{Name}' needs {count * (long)KeySize} key bytes and {count * (long)UserValueSize} value bytes.");
        }
    }

    /// <summary>
    /// Reads a map chunk by chunk with <c>BPF_MAP_LOOKUP_BATCH</c>. For the types that use it
    /// (<see cref="ReadsInBatches"/>) the kernel's cursor only moves forward (a bucket index for
    /// hash maps, the index for arrays), so no element comes twice and the walk ends even while
    /// other threads delete, unlike a restarted get_next_key walk.
    /// </summary>
    private sealed class BatchReader
    {
        private readonly NativeMap _map;
        private readonly BatchBuffers _buffers;
        private bool _started;
        private bool _finished;
        private byte[]? _resumeAfter;

        public BatchReader(NativeMap map)
        {
            _map = map;
            _buffers = new BatchBuffers(map);
        }

        /// <summary>How many elements the current chunk holds.</summary>
        public int Count { get; private set; }

        /// <summary>
        /// Whether the kernel stopped the read with <see cref="BpfErrno.EINTR"/>: before Linux's
        /// 2025 fix "bpf: skip non existing keys in generic_map_lookup_batch", the generic batch
        /// (arrays of maps) gives up after 3 retries at a key whose lookup finds nothing (an empty
        /// slot). The elements read before it are valid; the rest is for a get_next_key walk from
        /// <see cref="ResumeAfter"/>.
        /// </summary>
        public bool Interrupted { get; private set; }

        /// <summary>The key after which to resume an <see cref="Interrupted"/> read; null: from the first key.</summary>
        public byte[]? ResumeAfter => _resumeAfter;

        public ReadOnlySpan<byte> Key(int index) => _buffers.Keys.AsSpan(index * _map.KeySize, _map.KeySize);

        public ReadOnlyMemory<byte> KeyMemory(int index) => _buffers.Keys.AsMemory(index * _map.KeySize, _map.KeySize);

        public ReadOnlyMemory<byte> ValueMemory(int index) => _buffers.Values.AsMemory(index * _map.UserValueSize, _map.UserValueSize);

        /// <summary>Reads the first chunk; false when the kernel has no batch for this map type (now remembered).</summary>
        public bool Start()
        {
            BpfErrno errno = Read();
            if (KernelFeatures.MeansNoBatch(errno))
            {
                KernelFeatures.RefuseLookupBatch(_map.Type);
                return false;
            }

            ThrowIfFailed(errno);
            return true;
        }

        /// <summary>Reads the next chunk; false at the end.</summary>
        public bool Next()
        {
            if (_finished)
            {
                Count = 0;
                return false;
            }

            ThrowIfFailed(Read());
            return Count > 0 || !_finished;
        }

        private BpfErrno Read()
        {
            while (true)
            {
                int count = _buffers.Capacity;
                BpfErrno errno = _map.LookupBatch(_started ? _buffers.Cursor : default, _buffers.NextCursor, _buffers.Keys, _buffers.Values, ref count);
                if (_map.LookupBatchHook is { } hook)
                {
                    errno = hook(errno, _buffers.Keys, _buffers.NextCursor, ref count);
                }

                if (errno == BpfErrno.EINTR && count >= 0)
                {
                    // generic_map_lookup_batch gave up at an empty slot (kernels before the 2025
                    // fix): keep what it read (count, and the cursor when it read any), and leave
                    // the rest to a get_next_key walk from there.
                    Count = count;
                    if (count > 0)
                    {
                        _buffers.Advance();
                        _started = true;
                    }

                    _resumeAfter = _started ? _buffers.Cursor.AsSpan(0, _map.KeySize).ToArray() : null;
                    Interrupted = true;
                    _finished = true;
                    return BpfErrno.None;
                }

                if (errno == BpfErrno.ENOSPC && count == 0)
                {
                    // A hash bucket holds more elements than the buffers: grow them and ask again.
                    _buffers.Grow();
                    continue;
                }

                if (errno is BpfErrno.None or BpfErrno.ENOENT)
                {
                    Count = count;
                    _started = true;
                    _buffers.Advance();
                    // ENOENT is the end; an empty chunk without it would loop forever, so it ends too.
                    _finished = errno == BpfErrno.ENOENT || count == 0;
                    return BpfErrno.None;
                }

                Count = 0;
                return errno;
            }
        }

        private void ThrowIfFailed(BpfErrno errno)
        {
            if (errno != BpfErrno.None)
            {
                throw new BpfException(errno, "lookup batch", _map.Name);
            }
        }
    }

    /// <summary>
    /// The buffers of a batched read: keys and values for a chunk of elements, and the kernel's
    /// cursors (where the last chunk ended, and where the next one does).
    /// </summary>
    private sealed class BatchBuffers
    {
        /// <summary>Aim for chunks of about this many bytes: large enough to make the syscall cost vanish, small enough to stay in cache.</summary>
        private const int ChunkBytes = 64 * 1024;

        private readonly NativeMap _map;

        public BatchBuffers(NativeMap map)
        {
            _map = map;
            int elementBytes = Math.Max(1, map.KeySize + map.UserValueSize);
            // A map never holds more than max_entries, so a larger buffer would be wasted; a hash
            // bucket that does not fit makes the kernel answer ENOSPC, and the buffers grow.
            Capacity = (int)Math.Min(Math.Clamp(ChunkBytes / elementBytes, 1, 4096), Math.Max(1U, map.Info.MaxEntries));
            Keys = new byte[Capacity * map.KeySize];
            Values = new byte[Capacity * map.UserValueSize];
            Cursor = new byte[map.BatchTokenSize];
            NextCursor = new byte[map.BatchTokenSize];
        }

        /// <summary>How many elements a chunk may hold.</summary>
        public int Capacity { get; private set; }

        public byte[] Keys { get; private set; }

        public byte[] Values { get; private set; }

        /// <summary>Where the next chunk starts (<c>in_batch</c>).</summary>
        public byte[] Cursor { get; private set; }

        /// <summary>Where the kernel writes the end of the chunk it reads (<c>out_batch</c>).</summary>
        public byte[] NextCursor { get; private set; }

        /// <summary>Moves on: the end of the chunk just read is where the next starts.</summary>
        public void Advance() => (Cursor, NextCursor) = (NextCursor, Cursor);

        /// <summary>Doubles the chunk (after <see cref="BpfErrno.ENOSPC"/>: a bucket did not fit).</summary>
        public void Grow()
        {
            Capacity = checked(Capacity * 2);
            Keys = new byte[Capacity * _map.KeySize];
            Values = new byte[Capacity * _map.UserValueSize];
        }
    }
}
