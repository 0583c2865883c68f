using MapGen.Runtime.Tests.Support;
using static MapGen.BpfMapType;

namespace MapGen.Runtime.Tests;

/// <summary>Element rules of arrays, hashes, LRU hashes and device maps, with Linux 6.18's errnos.</summary>
public sealed class DataMapTests : IDisposable
{
    private readonly BpfRuntime _rt = Kernel.Runtime(cpus: 2);

    public void Dispose() => _rt.Dispose();

    [Fact]
    public void Array_slots_exist_from_the_start_and_read_as_zeros()
    {
        using BpfMap map = _rt.Create(BpfMapType.Array, 4, 8, 4);
        (BpfErrno errno, byte[]? value) = map.Lookup(3);
        Assert.Equal(BpfErrno.None, errno);
        Assert.Equal(new byte[8], value);
        Assert.Equal(BpfErrno.None, map.Update(3, Kernel.U64(0x1122334455667788)));
        Assert.Equal(Kernel.U64(0x1122334455667788), map.Lookup(3).Value);
    }

    [Theory]
    [InlineData(BpfMapType.Array)]
    [InlineData(PerCpuArray)]
    public void Array_updates_follow_array_map_update_elem(BpfMapType type)
    {
        using BpfMap map = _rt.Create(type, 4, 8, 4);
        byte[] value = new byte[map.UserValueSize];
        Assert.Equal(BpfErrno.EEXIST, map.Update(0, value, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.None, map.Update(0, value, BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.E2BIG, map.Update(4, value));
        Assert.Equal(BpfErrno.E2BIG, map.Update(4, value, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EINVAL, map.Update(4, value, BpfUpdateFlags.NoExist | BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.EINVAL, map.Update(0, value, BpfUpdateFlags.Lock));
        Assert.Equal(BpfErrno.EINVAL, map.Update(0, value, (BpfUpdateFlags)8));
        Assert.Equal(BpfErrno.ENOENT, map.Lookup(4).Errno);
        Assert.Equal(BpfErrno.EINVAL, map.Delete(0));
        Assert.Equal(BpfErrno.EINVAL, map.Delete(9));
    }

    [Fact]
    public void Array_get_next_key_counts_up_and_restarts_for_keys_out_of_range()
    {
        using BpfMap map = _rt.Create(BpfMapType.Array, 4, 4, 3);
        Assert.Equal((BpfErrno.None, 0u), map.NextKey(null));
        Assert.Equal((BpfErrno.None, 2u), map.NextKey(1));
        Assert.Equal(BpfErrno.ENOENT, map.NextKey(2).Errno);
        Assert.Equal((BpfErrno.None, 0u), map.NextKey(3));
        Assert.Equal((BpfErrno.None, 0u), map.NextKey(uint.MaxValue));
        Assert.Equal([0u, 1u, 2u], map.KeysU32());
    }

    [Fact]
    public void Per_cpu_values_are_round_up_8_bytes_per_possible_cpu_in_cpu_order()
    {
        using BpfMap map = _rt.Create(PerCpuArray, 4, 4, 2);
        Assert.Equal(16, map.UserValueSize);
        byte[] value = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        Assert.Equal(BpfErrno.None, map.Update(1, value));
        Assert.Equal(value, map.Lookup(1).Value);
        Assert.Throws<ArgumentException>(() => map.TryUpdate(Kernel.U32(1), new byte[4]));

        using BpfMap hash = _rt.Create(PerCpuHash, 4, 12, 2);
        Assert.Equal(32, hash.UserValueSize);
    }

    [Fact]
    public void Hash_update_flags_follow_check_flags()
    {
        using BpfMap map = _rt.Create(Hash, 4, 4, 2);
        Assert.Equal(BpfErrno.ENOENT, map.Update(1, 10, BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.None, map.Update(1, 10, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EEXIST, map.Update(1, 11, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.None, map.Update(1, 12, BpfUpdateFlags.Exist));
        Assert.Equal((BpfErrno.None, 12u), map.LookupU32(1));
        Assert.Equal(BpfErrno.EINVAL, map.Update(1, 12, (BpfUpdateFlags)3));
        Assert.Equal(BpfErrno.EINVAL, map.Update(1, 12, BpfUpdateFlags.Lock));
    }

    [Theory]
    [InlineData(BpfMapFlags.None)]
    [InlineData(BpfMapFlags.NoPrealloc)]
    public void A_full_hash_refuses_new_keys_with_E2BIG_but_replaces_existing_ones(BpfMapFlags flags)
    {
        using BpfMap map = _rt.Create(Hash, 4, 4, 2, flags);
        Assert.Equal(BpfErrno.None, map.Update(1, 1));
        Assert.Equal(BpfErrno.None, map.Update(2, 2));
        Assert.Equal(BpfErrno.E2BIG, map.Update(3, 3));
        Assert.Equal(BpfErrno.None, map.Update(1, 100));
        Assert.Equal(BpfErrno.EEXIST, map.Update(1, 100, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.ENOENT, map.Update(3, 3, BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.None, map.Delete(2));
        Assert.Equal(BpfErrno.ENOENT, map.Delete(2));
        Assert.Equal(BpfErrno.None, map.Update(3, 3));
        Assert.Equal([1u, 3u], map.KeysU32().Order());
    }

    [Fact]
    public void Hash_get_next_key_restarts_at_the_first_key_when_the_key_is_missing()
    {
        using BpfMap map = _rt.Create(Hash, 4, 4, 8);
        Assert.Equal(BpfErrno.ENOENT, map.NextKey(null).Errno);
        map.Update(1, 1);
        map.Update(2, 2);
        (BpfErrno errno, uint first) = map.NextKey(null);
        Assert.Equal(BpfErrno.None, errno);
        Assert.Equal((BpfErrno.None, first), map.NextKey(77));
        uint second = map.NextKey(first).Next;
        Assert.NotEqual(first, second);
        Assert.Equal(BpfErrno.ENOENT, map.NextKey(second).Errno);
    }

    [Fact]
    public void Zero_seed_hashes_walk_keys_in_the_kernels_bucket_order()
    {
        // Recorded on Linux 6.18: keys 0..9 of a BPF_F_ZERO_SEED hash with 16 buckets.
        using BpfMap map = _rt.Create(Hash, 4, 4, 16, BpfMapFlags.ZeroSeed);
        for (uint key = 0; key < 10; key++)
        {
            Assert.Equal(BpfErrno.None, map.Update(key, key));
        }

        Assert.Equal(KernelOrderOfKeys0To9, map.KeysU32());
    }

    [Fact]
    public void An_lru_hash_evicts_instead_of_failing_as_the_kernel_does()
    {
        using BpfMap map = _rt.Create(LruHash, 4, 8, 1000);
        for (uint key = 0; key < 3000; key++)
        {
            Assert.Equal(BpfErrno.None, map.Update(key, new byte[8]));
            if (key % 250 == 0)
            {
                Assert.InRange(map.Keys().Count, 0, 1000);
            }
        }

        List<uint> keys = map.KeysU32();
        // Linux 6.18 keeps 928 of them (it evicts in batches); the newest is always there.
        Assert.Equal(928, keys.Count);
        Assert.Contains(2999u, keys);
        Assert.Equal(BpfErrno.None, map.Lookup(2999).Errno);
    }

    [Fact]
    public void Replacing_a_key_of_a_full_lru_hash_may_evict_others_as_in_the_kernel()
    {
        using BpfMap map = _rt.Create(LruHash, 4, 4, 10);
        for (uint key = 0; key < 10; key++)
        {
            map.Update(key, key);
        }

        Assert.Equal(10, map.Keys().Count);
        Assert.Equal(BpfErrno.None, map.Update(5, 50));
        Assert.Equal([2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u], map.KeysU32().Order());
        Assert.Equal(BpfErrno.None, map.Update(100, 1));
        Assert.Equal([2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 100u], map.KeysU32().Order());
        Assert.Equal((BpfErrno.None, 50u), map.LookupU32(5));
    }

    [Fact]
    public void Lru_hash_flags_and_deletes_work_as_in_a_hash()
    {
        using BpfMap map = _rt.Create(LruPerCpuHash, 4, 4, 8);
        byte[] value = new byte[map.UserValueSize];
        Assert.Equal(BpfErrno.ENOENT, map.Update(1, value, BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.None, map.Update(1, value, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EEXIST, map.Update(1, value, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EINVAL, map.Update(1, value, (BpfUpdateFlags)3));
        Assert.Equal(BpfErrno.None, map.Delete(1));
        Assert.Equal(BpfErrno.ENOENT, map.Delete(1));
    }

    [Fact]
    public void Devmap_slots_hold_ifindexes_of_existing_interfaces()
    {
        using BpfMap map = _rt.Create(DevMap, 4, 4, 4);
        Assert.Equal(BpfErrno.ENOENT, map.Lookup(0).Errno);
        Assert.Equal(BpfErrno.None, map.Update(0, 1));
        Assert.Equal((BpfErrno.None, 1u), map.LookupU32(0));
        Assert.Equal(BpfErrno.EINVAL, map.Update(1, 99));
        Assert.Equal(BpfErrno.E2BIG, map.Update(4, 1));
        // NoExist fails even on an empty slot: every slot "exists".
        Assert.Equal(BpfErrno.EEXIST, map.Update(2, 1, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.None, map.Update(2, 1, BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.EINVAL, map.Update(2, 1, BpfUpdateFlags.Lock));
        // ifindex 0 clears a slot; deleting an empty slot succeeds; out of range is EINVAL.
        Assert.Equal(BpfErrno.None, map.Update(0, 0));
        Assert.Equal(BpfErrno.ENOENT, map.Lookup(0).Errno);
        Assert.Equal(BpfErrno.None, map.Delete(3));
        Assert.Equal(BpfErrno.EINVAL, map.Delete(4));
        Assert.Equal([0u, 1u, 2u, 3u], map.KeysU32());
    }

    [Fact]
    public void Devmap_program_fds_fail_as_no_program_exists()
    {
        using BpfMap map = _rt.Create(DevMap, 4, 8, 4);
        Assert.Equal(BpfErrno.None, map.Update(0, Concat(1, 0)));
        Assert.Equal(Concat(1, 0), map.Lookup(0).Value);
        Assert.Equal(BpfErrno.None, map.Update(0, Concat(2, -1)));
        Assert.Equal(BpfErrno.EINVAL, map.Update(0, Concat(1, 1000)));
        Assert.Equal(BpfErrno.EINVAL, map.Update(0, Concat(1, map.Fd)));
        Assert.Equal(BpfErrno.EINVAL, map.Update(1, Concat(0, 5)));
    }

    [Fact]
    public void Devmap_hash_does_not_enforce_Exist()
    {
        using BpfMap map = _rt.Create(DevMapHash, 4, 4, 2);
        Assert.Equal(BpfErrno.None, map.Update(500, 1, BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.EEXIST, map.Update(500, 2, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EINVAL, map.Update(501, 0));
        Assert.Equal(BpfErrno.EINVAL, map.Update(501, 99));
        Assert.Equal(BpfErrno.None, map.Update(501, 2));
        Assert.Equal(BpfErrno.E2BIG, map.Update(502, 1));
        Assert.Equal(BpfErrno.None, map.Update(500, 3));
        Assert.Equal((BpfErrno.None, 3u), map.LookupU32(500));
        Assert.Equal(BpfErrno.ENOENT, map.Delete(502));
        Assert.Equal(BpfErrno.None, map.Delete(500));
        Assert.Equal([501u], map.KeysU32());
    }

    [Fact]
    public void Fd_arrays_stay_empty_as_no_program_perf_event_or_cgroup_exists()
    {
        using BpfMap progs = _rt.Create(ProgArray, 4, 4, 4);
        Assert.Equal(BpfErrno.ENOENT, progs.Lookup(0).Errno);
        Assert.Equal(BpfErrno.EBADF, progs.Update(0, 100_000));
        Assert.Equal(BpfErrno.EINVAL, progs.Update(0, (uint)progs.Fd));
        Assert.Equal(BpfErrno.EINVAL, progs.Update(0, 0));
        Assert.Equal(BpfErrno.EINVAL, progs.Update(0, 0, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.E2BIG, progs.Update(4, 0));
        Assert.Equal(BpfErrno.ENOENT, progs.Delete(0));
        Assert.Equal(BpfErrno.E2BIG, progs.Delete(4));

        using BpfMap perf = _rt.Create(PerfEventArray, 4, 4, 4);
        Assert.Equal(BpfErrno.ENOTSUPP, perf.Lookup(0).Errno);
        Assert.Equal(BpfErrno.EBADF, perf.Update(0, (uint)perf.Fd));
    }

    [Fact]
    public void Read_only_and_write_only_fds_refuse_the_other_direction_with_EPERM()
    {
        using BpfMap readOnly = _rt.Create(Hash, 4, 4, 4, BpfMapFlags.RdOnly);
        Assert.Equal(BpfErrno.EPERM, readOnly.Update(1, 1));
        Assert.Equal(BpfErrno.EPERM, readOnly.Delete(1));
        Assert.Equal(BpfErrno.ENOENT, readOnly.Lookup(1).Errno);
        using BpfMap writeOnly = _rt.Create(BpfMapType.Array, 4, 4, 4, BpfMapFlags.WrOnly);
        Assert.Equal(BpfErrno.EPERM, writeOnly.Lookup(1).Errno);
        Assert.Equal(BpfErrno.EPERM, writeOnly.NextKey(null).Errno);
        Assert.Equal(BpfErrno.None, writeOnly.Update(1, 1));
        // Another fd of the same map, opened by ID, may read.
        using BpfMap reopened = _rt.OpenById(writeOnly.Id);
        Assert.Equal((BpfErrno.None, 1u), reopened.LookupU32(1));
    }

    // Recorded on Linux 6.18 (jhash2 with seed 0, 16 buckets, newest first within a bucket).
    private static readonly uint[] KernelOrderOfKeys0To9 = [4, 5, 0, 7, 2, 1, 8, 9, 6, 3];

    private static byte[] Concat(uint ifindex, int progFd) => [.. Kernel.U32(ifindex), .. Kernel.U32(progFd)];
}
