using static MapGen.Native.Tests.Bytes;

namespace MapGen.Native.Tests;

/// <summary>The raw layer against the real kernel: data maps, with the errnos SPEC section 3 lists.</summary>
public sealed class DataMapTests
{
    [Fact]
    public void Array_slots_start_zeroed_and_follow_the_kernels_rules()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Array, 4, 8, 4);
        byte[] value = new byte[8];

        Assert.Equal(BpfErrno.None, map.TryLookup(U32(3), value));
        Assert.Equal(0UL, ReadU64(value));

        Assert.Equal(BpfErrno.None, map.TryUpdate(U32(1), U64(0x1122334455667788)));
        Assert.Equal(BpfErrno.None, map.TryLookup(U32(1), value));
        Assert.Equal(0x1122334455667788UL, ReadU64(value));

        Assert.Equal(BpfErrno.EEXIST, map.TryUpdate(U32(1), U64(1), BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.None, map.TryUpdate(U32(1), U64(2), BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.E2BIG, map.TryUpdate(U32(4), U64(1)));
        Assert.Equal(BpfErrno.ENOENT, map.TryLookup(U32(4), value));
        Assert.Equal(BpfErrno.EINVAL, map.TryDelete(U32(1)));
        Assert.Equal(BpfErrno.EINVAL, map.TryUpdate(U32(0), U64(1), BpfUpdateFlags.Lock));
    }

    [Fact]
    public void Array_get_next_key_counts_up_and_ends_with_ENOENT()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Array, 4, 4, 3);
        byte[] next = new byte[4];
        var keys = new List<uint>();
        byte[] current = [];
        BpfErrno errno;
        while ((errno = map.TryGetNextKey(current, next)) == BpfErrno.None)
        {
            keys.Add(ReadU32(next));
            current = (byte[])next.Clone();
        }

        Assert.Equal(BpfErrno.ENOENT, errno);
        Assert.Equal([0U, 1U, 2U], keys);

        // An index past the end restarts the walk at 0, like a missing hash key.
        Assert.Equal(BpfErrno.None, map.TryGetNextKey(U32(99), next));
        Assert.Equal(0U, ReadU32(next));
    }

    [Fact]
    public void Hash_follows_the_kernels_rules()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Hash, 4, 4, 2);
        byte[] value = new byte[4];

        Assert.Equal(BpfErrno.ENOENT, map.TryLookup(U32(7), value));
        Assert.Equal(BpfErrno.ENOENT, map.TryUpdate(U32(7), U32(1), BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.None, map.TryUpdate(U32(7), U32(1), BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EEXIST, map.TryUpdate(U32(7), U32(2), BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.None, map.TryUpdate(U32(8), U32(2)));
        Assert.Equal(BpfErrno.E2BIG, map.TryUpdate(U32(9), U32(3)));
        Assert.Equal(BpfErrno.None, map.TryUpdate(U32(8), U32(4)));
        Assert.Equal(BpfErrno.None, map.TryLookup(U32(8), value));
        Assert.Equal(4U, ReadU32(value));
        Assert.Equal(BpfErrno.None, map.TryDelete(U32(8)));
        Assert.Equal(BpfErrno.ENOENT, map.TryDelete(U32(8)));

        // get_next_key on a missing key restarts at the first key.
        byte[] next = new byte[4];
        Assert.Equal(BpfErrno.None, map.TryGetNextKey(U32(12345), next));
        Assert.Equal(7U, ReadU32(next));
        Assert.Equal(BpfErrno.ENOENT, map.TryGetNextKey(U32(7), next));
    }

    [Fact]
    public void Creation_errors_are_the_kernels()
    {
        using BpfRuntime rt = Kernel.Runtime();
        Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, BpfMapType.Array, 8, 4, 1));
        Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, BpfMapType.Hash, 4, 4, 0));
        Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, BpfMapType.Array, 4, 4, 1, BpfMapFlags.NoPrealloc));
        Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, BpfMapType.LpmTrie, 8, 4, 1));
        Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, (BpfMapType)9999, 4, 4, 1));

        // map_name: [A-Za-z0-9_.], at most 15 characters and a NUL.
        Assert.Equal(BpfErrno.None, TryCreate(rt, BpfMapType.Array, 4, 4, 1, name: "a.b_c"));
        Assert.Equal(BpfErrno.None, TryCreate(rt, BpfMapType.Array, 4, 4, 1, name: "fifteen_chars_x"));
        Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, BpfMapType.Array, 4, 4, 1, name: "sixteen_chars_xx"));
        Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, BpfMapType.Array, 4, 4, 1, name: "bad-name"));
        Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, BpfMapType.Array, 4, 4, 1, name: new string('é', 16)));
    }

    [Fact]
    public void CreateMap_throws_BpfException_with_the_errno_and_the_map_name()
    {
        using BpfRuntime rt = Kernel.Runtime();
        var spec = new BpfMapSpec("too_big_key", BpfMapType.Array, 8, 4, 1);
        BpfException e = Assert.Throws<BpfException>(() => rt.CreateMap(spec));
        Assert.Equal(BpfErrno.EINVAL, e.Errno);
        Assert.Contains("too_big_key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Element_spans_of_the_wrong_size_are_refused_before_the_kernel()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Hash, 4, 8, 2);
        Assert.Throws<ArgumentException>(() => map.TryLookup(new byte[3], new byte[8]));
        Assert.Throws<ArgumentException>(() => map.TryUpdate(U32(1), new byte[4]));
        Assert.Throws<ArgumentException>(() => map.TryGetNextKey([], new byte[5]));
    }

    [Fact]
    public void PerCpu_values_are_round_up_8_per_possible_cpu_in_cpu_order()
    {
        using BpfRuntime rt = Kernel.Runtime();
        int cpus = rt.PossibleCpus;
        Assert.Equal(PossibleCpusFromSysfs(), cpus);

        foreach (BpfMapType type in new[] { BpfMapType.PerCpuArray, BpfMapType.PerCpuHash, BpfMapType.LruPerCpuHash })
        {
            // A 4-byte value takes 8 bytes per CPU.
            using BpfMap map = Create(rt, type, 4, 4, 4);
            Assert.Equal(8 * cpus, map.UserValueSize);
            byte[] values = new byte[8 * cpus];
            for (int cpu = 0; cpu < cpus; cpu++)
            {
                U32((uint)(100 + cpu)).CopyTo(values, cpu * 8);
            }

            Assert.Equal(BpfErrno.None, map.TryUpdate(U32(2), values));
            byte[] read = new byte[8 * cpus];
            Assert.Equal(BpfErrno.None, map.TryLookup(U32(2), read));
            for (int cpu = 0; cpu < cpus; cpu++)
            {
                Assert.Equal((uint)(100 + cpu), ReadU32(read.AsSpan(cpu * 8)));
            }

            Assert.Throws<ArgumentException>(() => map.TryLookup(U32(2), new byte[4 * cpus]));
        }
    }

    [Fact]
    public void LruHash_evicts_instead_of_failing()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.LruHash, 4, 4, 1000);
        for (uint i = 0; i < 3000; i++)
        {
            Assert.Equal(BpfErrno.None, map.TryUpdate(U32(i), U32(i)));
        }

        int count = KeyEnumeration.RawKeys(map).Count();
        Assert.InRange(count, 1, 1000);
        byte[] value = new byte[4];
        Assert.Equal(BpfErrno.None, map.TryLookup(U32(2999), value));
        Assert.Equal(2999U, ReadU32(value));
    }

    [Fact]
    public void DevMap_takes_ifindexes_of_existing_interfaces()
    {
        Kernel.RequireNetAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.DevMap, 4, 4, 4);
        Assert.Equal(BpfMapFlags.RdOnlyProg, map.Info.Flags & BpfMapFlags.RdOnlyProg);
        byte[] value = new byte[4];

        Assert.Equal(BpfErrno.ENOENT, map.TryLookup(U32(0), value));
        Assert.Equal(BpfErrno.EEXIST, map.TryUpdate(U32(0), U32(1), BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.None, map.TryUpdate(U32(0), U32(1)));
        Assert.Equal(BpfErrno.None, map.TryLookup(U32(0), value));
        Assert.Equal(1U, ReadU32(value));
        Assert.Equal(BpfErrno.EINVAL, map.TryUpdate(U32(1), U32(999_999)));
        Assert.Equal(BpfErrno.E2BIG, map.TryUpdate(U32(4), U32(1)));

        // ifindex 0 clears the slot; deleting an empty slot succeeds.
        Assert.Equal(BpfErrno.None, map.TryUpdate(U32(0), U32(0)));
        Assert.Equal(BpfErrno.ENOENT, map.TryLookup(U32(0), value));
        Assert.Equal(BpfErrno.None, map.TryDelete(U32(2)));

        // DevMapHash does not enforce Exist.
        using BpfMap hash = Create(rt, BpfMapType.DevMapHash, 4, 4, 4);
        Assert.Equal(BpfErrno.None, hash.TryUpdate(U32(5), U32(1), BpfUpdateFlags.Exist));
    }

    internal static int PossibleCpusFromSysfs()
    {
        Assert.True(PossibleCpuList.TryParse(File.ReadAllText("/sys/devices/system/cpu/possible"), out int count));
        return count;
    }
}
