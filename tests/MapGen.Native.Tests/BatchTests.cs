using static MapGen.Native.Tests.Bytes;

namespace MapGen.Native.Tests;

/// <summary>The <c>BPF_MAP_*_BATCH</c> commands, and enumeration and bulk updates built on them.</summary>
public sealed class BatchTests
{
    [Fact]
    public void LookupBatch_reads_a_hash_chunk_by_chunk_each_key_once()
    {
        using BpfRuntime rt = Kernel.Runtime();
        var map = (NativeMap)Create(rt, BpfMapType.Hash, 4, 8, 1000);
        using (map)
        {
            for (uint i = 0; i < 1000; i++)
            {
                Assert.Equal(BpfErrno.None, map.TryUpdate(U32(i), U64(i * 3)));
            }

            var seen = new Dictionary<uint, ulong>();
            byte[] inBatch = new byte[map.BatchTokenSize];
            byte[] outBatch = new byte[map.BatchTokenSize];
            byte[] keys = new byte[64 * 4];
            byte[] values = new byte[64 * 8];
            bool first = true;
            int calls = 0;
            while (true)
            {
                int count = 64;
                BpfErrno errno = map.LookupBatch(first ? [] : inBatch, outBatch, keys, values, ref count);
                calls++;
                Assert.True(errno is BpfErrno.None or BpfErrno.ENOENT, $"lookup batch: {errno}");
                for (int i = 0; i < count; i++)
                {
                    seen.Add(ReadU32(keys.AsSpan(i * 4)), ReadU64(values.AsSpan(i * 8)));
                }

                if (errno == BpfErrno.ENOENT)
                {
                    break;
                }

                first = false;
                outBatch.CopyTo(inBatch, 0);
            }

            Assert.Equal(1000, seen.Count);
            Assert.All(seen, kv => Assert.Equal(kv.Key * 3UL, kv.Value));
            Assert.InRange(calls, 1000 / 64, 1000);
        }
    }

    [Fact]
    public void A_bucket_larger_than_the_buffers_is_ENOSPC_with_nothing_read()
    {
        using BpfRuntime rt = Kernel.Runtime();
        var map = (NativeMap)Create(rt, BpfMapType.Hash, 4, 4, 4096);
        using (map)
        {
            for (uint i = 0; i < 4096; i++)
            {
                Assert.Equal(BpfErrno.None, map.TryUpdate(U32(i), U32(i)));
            }

            // 4096 keys in 4096 buckets: some bucket holds two, and a one-element buffer cannot take it.
            byte[] inBatch = new byte[map.BatchTokenSize];
            byte[] outBatch = new byte[map.BatchTokenSize];
            bool first = true;
            while (true)
            {
                int count = 1;
                BpfErrno errno = map.LookupBatch(first ? [] : inBatch, outBatch, new byte[4], new byte[4], ref count);
                if (errno == BpfErrno.ENOSPC)
                {
                    Assert.Equal(0, count);
                    return;
                }

                Assert.True(errno == BpfErrno.None, $"lookup batch: {errno}");
                first = false;
                outBatch.CopyTo(inBatch, 0);
            }
        }
    }

    [Fact]
    public void Enumeration_grows_its_buffers_when_a_bucket_does_not_fit()
    {
        using BpfRuntime rt = Kernel.Runtime();
        // 64 KiB values make the first chunk a single element; 64 keys in 64 buckets collide.
        using BpfMap map = Create(rt, BpfMapType.Hash, 4, 65536, 64);
        byte[] value = new byte[65536];
        for (uint i = 0; i < 64; i++)
        {
            value[^1] = (byte)i;
            Assert.Equal(BpfErrno.None, map.TryUpdate(U32(i), value));
        }

        var read = KeyEnumeration.RawEntries(map).Select(e => (ReadU32(e.Key.Span), e.Value.Span[^1])).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 64).Select(i => ((uint)i, (byte)i)), read);
    }

    [Fact]
    public void LookupAndDeleteBatch_and_DeleteBatch_remove_elements()
    {
        using BpfRuntime rt = Kernel.Runtime();
        var map = (NativeMap)Create(rt, BpfMapType.Hash, 4, 4, 64);
        using (map)
        {
            for (uint i = 0; i < 50; i++)
            {
                Assert.Equal(BpfErrno.None, map.TryUpdate(U32(i), U32(i)));
            }

            byte[] keys = new byte[10 * 4];
            for (int i = 0; i < 10; i++)
            {
                U32((uint)i).CopyTo(keys, i * 4);
            }

            int deleted = 10;
            Assert.Equal(BpfErrno.None, map.DeleteBatch(keys, ref deleted));
            Assert.Equal(10, deleted);
            Assert.Equal(BpfErrno.ENOENT, map.TryLookup(U32(3), new byte[4]));

            // Deleting a missing key stops the batch there.
            deleted = 10;
            Assert.Equal(BpfErrno.ENOENT, map.DeleteBatch(keys, ref deleted));
            Assert.Equal(0, deleted);

            int count = 64;
            byte[] all = new byte[64 * 4];
            Assert.Equal(BpfErrno.ENOENT, map.LookupBatch([], new byte[map.BatchTokenSize], all, new byte[64 * 4], ref count, andDelete: true));
            Assert.Equal(40, count);
            Assert.Empty(KeyEnumeration.RawKeys(map));
        }
    }

    [Fact]
    public void UpdateBatch_writes_all_or_reports_how_many_were_written()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Hash, 4, 4, 8);
        byte[] keys = new byte[10 * 4];
        byte[] values = new byte[10 * 4];
        for (int i = 0; i < 10; i++)
        {
            U32((uint)i).CopyTo(keys, i * 4);
            U32((uint)(i + 100)).CopyTo(values, i * 4);
        }

        Assert.Equal(BpfErrno.None, map.UpdateBatch(keys.AsSpan(0, 16), values.AsSpan(0, 16), 4, BpfUpdateFlags.Any, out int written));
        Assert.Equal(4, written);

        // The ninth element does not fit: the kernel stops there.
        Assert.Equal(BpfErrno.E2BIG, map.UpdateBatch(keys, values, 10, BpfUpdateFlags.Any, out written));
        Assert.Equal(8, written);

        // A batch's elem_flags take only BPF_F_LOCK: NoExist and Exist are EINVAL with nothing
        // written, as the kernel and the emulated runtime say (differential scenario batch.data_maps).
        Assert.Equal(BpfErrno.EINVAL, map.UpdateBatch(keys.AsSpan(0, 8), values.AsSpan(0, 8), 2, BpfUpdateFlags.NoExist, out written));
        Assert.Equal(0, written);
        Assert.Equal(BpfErrno.EINVAL, map.UpdateBatch(keys.AsSpan(0, 8), values.AsSpan(0, 8), 2, BpfUpdateFlags.Exist, out written));
        Assert.Equal(0, written);
        // BPF_F_LOCK without a bpf_spin_lock is refused before any element: nothing was written.
        Assert.Equal(BpfErrno.EINVAL, map.UpdateBatch(keys.AsSpan(0, 8), values.AsSpan(0, 8), 2, BpfUpdateFlags.Lock, out written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Map_types_without_batches_fall_back_to_get_next_key_and_single_updates()
    {
        Kernel.RequireNetAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap devMap = Create(rt, BpfMapType.DevMap, 4, 4, 4);
        byte[] keys = [.. U32(0), .. U32(2)];
        byte[] values = [.. U32(1), .. U32(1)];
        Assert.Equal(BpfErrno.None, devMap.UpdateBatch(keys, values, 2, BpfUpdateFlags.Any, out int written));
        Assert.Equal(2, written);

        // The checks of the whole batch come first, as in the kernel: a read-only fd is EPERM
        // (before the flags), even for no elements; BPF_F_LOCK without a spin lock is EINVAL.
        using BpfMap readOnly = Create(rt, BpfMapType.DevMap, 4, 4, 4, BpfMapFlags.RdOnly);
        Assert.Equal(BpfErrno.EPERM, readOnly.UpdateBatch([], [], 0, BpfUpdateFlags.Any, out written));
        Assert.Equal(BpfErrno.EPERM, readOnly.UpdateBatch(keys, values, 2, BpfUpdateFlags.NoExist, out written));
        Assert.Equal(0, written);
        Assert.Equal(BpfErrno.EINVAL, devMap.UpdateBatch([], [], 0, BpfUpdateFlags.Lock, out written));

        // The get_next_key walk counts every index; the empty slots of a device map are no keys.
        Assert.Equal([0U, 2U], KeyEnumeration.RawKeys(devMap).Select(k => ReadU32(k)));
        Assert.Equal([(0U, 1U), (2U, 1U)], KeyEnumeration.RawEntries(devMap).Select(e => (ReadU32(e.Key.Span), ReadU32(e.Value.Span))));
    }

    [Fact]
    public async Task Enumeration_yields_each_key_once_and_ends_while_another_thread_deletes()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Hash, 4, 4, 20_000);
        for (uint i = 0; i < 20_000; i++)
        {
            Assert.Equal(BpfErrno.None, map.TryUpdate(U32(i), U32(i)));
        }

        using var stop = new CancellationTokenSource();
        Task deleter = Task.Run(() =>
        {
            for (uint i = 0; i < 20_000 && !stop.IsCancellationRequested; i += 2)
            {
                map.TryDelete(U32(i));
            }
        }, TestContext.Current.CancellationToken);

        var seen = new HashSet<uint>();
        foreach (RawEntry entry in KeyEnumeration.RawEntries(map))
        {
            uint key = ReadU32(entry.Key.Span);
            Assert.True(seen.Add(key), $"key {key} came twice");
            Assert.Equal(key, ReadU32(entry.Value.Span));
        }

        await stop.CancelAsync();
        await deleter;
        // Every odd key was never deleted, so the enumeration saw it.
        Assert.All(Enumerable.Range(0, 10_000).Select(i => (uint)(2 * i + 1)), k => Assert.Contains(k, seen));
    }

    [Fact]
    public void Batched_enumeration_matches_the_get_next_key_walk()
    {
        using BpfRuntime rt = Kernel.Runtime();
        foreach (BpfMapType type in new[] { BpfMapType.Hash, BpfMapType.Array, BpfMapType.PerCpuHash, BpfMapType.PerCpuArray, BpfMapType.LruHash, BpfMapType.LruPerCpuHash })
        {
            using BpfMap map = Create(rt, type, 4, 12, 300);
            for (uint i = 0; i < 300; i += 3)
            {
                byte[] value = new byte[map.UserValueSize];
                Random.Shared.NextBytes(value);
                Assert.Equal(BpfErrno.None, map.TryUpdate(U32(i), value));
            }

            var batched = KeyEnumeration.RawEntries(map).Select(e => (Convert.ToHexString(e.Key.Span), Convert.ToHexString(e.Value.Span))).Order().ToArray();
            var walked = KeyEnumeration.WalkEntries(map).Select(e => (Convert.ToHexString(e.Key.Span), Convert.ToHexString(e.Value.Span))).Order().ToArray();
            Assert.Equal(walked, batched);
            if (KernelFeatures.BatchCommands)
            {
                Assert.True(KernelFeatures.MayLookupBatch(type), $"{type} has lookup batches since Linux 5.6.");
            }
        }
    }

    [Fact]
    public void Lpm_trie_enumeration_yields_each_prefix_once()
    {
        using BpfRuntime rt = Kernel.Runtime();
        // key: u32 prefix length + 4 bytes of address.
        using BpfMap trie = Create(rt, BpfMapType.LpmTrie, 8, 4, 16, BpfMapFlags.NoPrealloc);
        byte[] key = [24, 0, 0, 0, 10, 0, 0, 0];
        Assert.Equal(BpfErrno.None, trie.TryUpdate(key, U32(1)));
        key[6] = 1;
        Assert.Equal(BpfErrno.None, trie.TryUpdate(key, U32(2)));
        Assert.Equal(2, KeyEnumeration.RawEntries(trie).Count());
        Assert.Equal(2, KeyEnumeration.RawKeys(trie).Distinct(new KeyComparer()).Count());
    }

    private sealed class KeyComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length == 0 ? 0 : obj[^1];
    }
}
