using MapGen.Runtime.Tests.Support;
using static MapGen.BpfMapType;

namespace MapGen.Runtime.Tests;

/// <summary>
/// <c>BPF_MAP_CREATE</c> rules one by one, with the errnos Linux 6.18 gives (each checked on the
/// kernel; KernelRecordedTests replays many more).
/// </summary>
public sealed class CreateTests
{
    private readonly BpfRuntime _rt = Kernel.Runtime();

    [Theory]
    [InlineData(Unspec)]
    [InlineData((BpfMapType)34)]
    [InlineData((BpfMapType)1000)]
    public void Unknown_map_types_are_EINVAL(BpfMapType type) =>
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(type, 4, 4, 4));

    [Theory]
    [InlineData("flows", BpfErrno.None)]
    [InlineData("a.b_9", BpfErrno.None)]
    [InlineData("9starts_digit", BpfErrno.None)]
    [InlineData("xxxxxxxxxxxxxxx", BpfErrno.None)]
    [InlineData("xxxxxxxxxxxxxxxx", BpfErrno.EINVAL)]
    [InlineData("bad-name", BpfErrno.EINVAL)]
    [InlineData("caf\u00e9", BpfErrno.EINVAL)]
    public void Names_are_up_to_15_characters_of_alphanumerics_underscore_and_dot(string name, BpfErrno expected)
    {
        Assert.Equal(expected, _rt.CreateErrno(BpfMapType.Array, 4, 4, 4, name: name));
        if (expected == BpfErrno.None)
        {
            using BpfMap map = _rt.Create(BpfMapType.Array, 4, 4, 4, name: name);
            Assert.Equal(name, map.Name);
        }
    }

    [Fact]
    public void The_name_is_checked_after_the_type_allocates_so_an_outer_map_with_a_bad_fd_says_EBADF() =>
        Assert.Equal(BpfErrno.EBADF, _rt.CreateErrno(HashOfMaps, 4, 4, 4, innerMapFd: 1000, name: "bad-name"));

    [Theory]
    [InlineData(4u, 0u, 1u)]
    [InlineData(8u, 4u, 1u)]
    [InlineData(4u, 4u, 0u)]
    public void Arrays_need_a_4_byte_key_a_value_and_entries(uint key, uint value, uint max)
    {
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(BpfMapType.Array, key, value, max));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(PerCpuArray, key, value, max));
    }

    [Theory]
    [InlineData(BpfMapType.Array, BpfMapFlags.Mmapable, BpfErrno.None)]
    [InlineData(BpfMapType.Array, BpfMapFlags.InnerMap, BpfErrno.None)]
    [InlineData(BpfMapType.Array, BpfMapFlags.NumaNode, BpfErrno.None)]
    [InlineData(BpfMapType.Array, BpfMapFlags.RdOnlyProg, BpfErrno.None)]
    [InlineData(BpfMapType.Array, BpfMapFlags.RdOnlyProg | BpfMapFlags.WrOnlyProg, BpfErrno.EINVAL)]
    [InlineData(BpfMapType.Array, BpfMapFlags.RdOnly | BpfMapFlags.WrOnly, BpfErrno.EINVAL)]
    [InlineData(BpfMapType.Array, BpfMapFlags.PreserveElems, BpfErrno.EINVAL)]
    [InlineData(BpfMapType.Array, BpfMapFlags.NoPrealloc, BpfErrno.EINVAL)]
    [InlineData(BpfMapType.Array, BpfMapFlags.ZeroSeed, BpfErrno.EINVAL)]
    [InlineData(PerCpuArray, BpfMapFlags.Mmapable, BpfErrno.EINVAL)]
    [InlineData(PerCpuArray, BpfMapFlags.InnerMap, BpfErrno.EINVAL)]
    [InlineData(PerCpuArray, BpfMapFlags.NumaNode, BpfErrno.EINVAL)]
    [InlineData(PerfEventArray, BpfMapFlags.PreserveElems, BpfErrno.None)]
    [InlineData(ProgArray, BpfMapFlags.RdOnlyProg, BpfErrno.EINVAL)]
    [InlineData(Hash, BpfMapFlags.NoPrealloc | BpfMapFlags.ZeroSeed, BpfErrno.None)]
    [InlineData(Hash, BpfMapFlags.NoCommonLru, BpfErrno.EINVAL)]
    [InlineData(Hash, BpfMapFlags.Mmapable, BpfErrno.EINVAL)]
    [InlineData(PerCpuHash, BpfMapFlags.NumaNode, BpfErrno.EINVAL)]
    [InlineData(LruHash, BpfMapFlags.NoPrealloc, BpfErrno.ENOTSUPP)]
    [InlineData(LruHash, BpfMapFlags.NoCommonLru | BpfMapFlags.NumaNode, BpfErrno.EINVAL)]
    [InlineData(LruPerCpuHash, BpfMapFlags.NoCommonLru, BpfErrno.None)]
    [InlineData(DevMap, BpfMapFlags.RdOnlyProg, BpfErrno.EINVAL)]
    [InlineData(DevMapHash, BpfMapFlags.NumaNode | BpfMapFlags.WrOnly, BpfErrno.None)]
    [InlineData(CpuMap, BpfMapFlags.RdOnly, BpfErrno.EINVAL)]
    public void Flags_unknown_to_a_map_type_are_refused(BpfMapType type, BpfMapFlags flags, BpfErrno expected)
    {
        uint value = type is PerCpuArray or BpfMapType.Array or Hash or PerCpuHash or LruHash or LruPerCpuHash ? 8u : 4u;
        Assert.Equal(expected, _rt.CreateErrno(type, 4, value, 4, flags));
    }

    [Fact]
    public void Hash_maps_need_a_key_a_value_and_entries()
    {
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(Hash, 0, 4, 4));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(Hash, 4, 0, 4));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(LruHash, 4, 4, 0));
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(Hash, 513, 8, 4));
    }

    [Fact]
    public void Hash_size_limits_are_E2BIG()
    {
        // key + value must stay below KMALLOC_MAX_SIZE - sizeof(struct htab_elem).
        Assert.Equal(BpfErrno.E2BIG, _rt.CreateErrno(Hash, 8, (4u << 20) - 48 - 8, 1));
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(Hash, 8, (4u << 20) - 48 - 9, 1, BpfMapFlags.NoPrealloc));
        // Per-CPU values are bound by PCPU_MIN_UNIT_SIZE.
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(PerCpuHash, 4, 32768, 1));
        Assert.Equal(BpfErrno.E2BIG, _rt.CreateErrno(PerCpuHash, 4, 32769, 1));
        Assert.Equal(BpfErrno.E2BIG, _rt.CreateErrno(PerCpuArray, 4, 32769, 1));
        // The power-of-two bucket array must be addressable with 32 bits.
        Assert.Equal(BpfErrno.E2BIG, _rt.CreateErrno(Hash, 4, 4, (1u << 27) + 1));
        Assert.Equal(BpfErrno.E2BIG, _rt.CreateErrno(LruHash, 4, 4, uint.MaxValue));
    }

    [Fact]
    public void A_per_cpu_LRU_rounds_max_entries_to_a_multiple_of_the_possible_cpus()
    {
        using BpfRuntime rt = Kernel.Runtime(cpus: 4);
        using BpfMap map = rt.Create(LruHash, 4, 4, 5, BpfMapFlags.NoCommonLru);
        Assert.Equal(8u, map.Info.MaxEntries);
    }

    [Fact]
    public void The_flags_reported_drop_the_fd_only_ones_and_add_RdOnlyProg_to_device_maps()
    {
        using BpfMap array = _rt.Create(BpfMapType.Array, 4, 4, 4, BpfMapFlags.RdOnly | BpfMapFlags.NumaNode);
        Assert.Equal(BpfMapFlags.NumaNode, array.Info.Flags);
        using BpfMap devmap = _rt.Create(DevMap, 4, 8, 4);
        Assert.Equal(BpfMapFlags.RdOnlyProg, devmap.Info.Flags);
        using BpfMap devmapHash = _rt.Create(DevMapHash, 4, 4, 4, BpfMapFlags.WrOnly);
        Assert.Equal(BpfMapFlags.RdOnlyProg, devmapHash.Info.Flags);
    }

    [Fact]
    public void There_is_one_NUMA_node()
    {
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(Hash, 4, 4, 4, BpfMapFlags.NumaNode, numaNode: 0));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(Hash, 4, 4, 4, BpfMapFlags.NumaNode, numaNode: 1));
        // NUMA_NO_NODE (-1) means no node, as if the flag were not given.
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(PerCpuArray, 4, 4, 4, BpfMapFlags.NumaNode, numaNode: uint.MaxValue));
        // Without the flag the node is not read.
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(Hash, 4, 4, 4, numaNode: 5));
    }

    [Fact]
    public void Device_maps_take_a_4_or_8_byte_value()
    {
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(DevMap, 4, 4, 4));
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(DevMap, 4, 8, 4));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(DevMap, 4, 12, 4));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(DevMapHash, 8, 4, 4));
    }

    [Fact]
    public void A_token_fd_flag_fails_after_the_type_checks_as_fd_0_is_no_token()
    {
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(Hash, 4, 4, 4, BpfMapFlags.TokenFd));
        Assert.Equal(BpfErrno.ENOTSUPP, _rt.CreateErrno(LruHash, 4, 4, 4, BpfMapFlags.TokenFd | BpfMapFlags.NoPrealloc));
    }

    [Fact]
    public void Btf_ids_need_a_btf_fd_which_the_emulation_never_has()
    {
        BpfErrno Create(uint keyId, uint valueId, int btfFd)
        {
            BpfErrno errno = _rt.TryCreateMap(new BpfMapCreateOptions
            {
                Type = Hash, KeySize = 4, ValueSize = 4, MaxEntries = 4, BtfKeyTypeId = keyId, BtfValueTypeId = valueId, BtfFd = btfFd,
            }, out BpfMap? map);
            map?.Dispose();
            return errno;
        }

        Assert.Equal(BpfErrno.EINVAL, Create(1, 0, 0));
        Assert.Equal(BpfErrno.EBADF, Create(1, 2, 100_000));
        Assert.Equal(BpfErrno.EINVAL, Create(1, 2, 0));
        using BpfMap other = _rt.Create(BpfMapType.Array, 4, 4, 1);
        Assert.Equal(BpfErrno.EINVAL, Create(0, 2, other.Fd));
    }

    [Fact]
    public void Other_types_are_created_with_the_kernels_checks()
    {
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(ProgArray, 4, 4, 4));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(ProgArray, 4, 8, 4));
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(StackTrace, 4, 16, 4));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(StackTrace, 4, 12, 4));
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(LpmTrie, 8, 4, 4, BpfMapFlags.NoPrealloc));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(LpmTrie, 8, 4, 4));
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(CgroupStorage, 8, 4, 0));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(CgroupStorage, 8, 4, 1));
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(Queue, 0, 8, 4));
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(RingBuf, 0, 0, 4096));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(RingBuf, 0, 0, 4095));
        Assert.Equal(BpfErrno.E2BIG, _rt.CreateErrno(CpuMap, 4, 4, 257));
        Assert.Equal(BpfErrno.E2BIG, _rt.CreateErrno(SockHash, 513, 4, 4));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(StructOps, 4, 4, 1));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(SkStorage, 4, 4, 0, BpfMapFlags.NoPrealloc));
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(Arena, 0, 0, 1, BpfMapFlags.Mmapable));
    }

    [Fact]
    public void Element_operations_of_types_without_emulated_elements_are_ENOTSUPP()
    {
        using BpfMap queue = _rt.Create(Queue, 0, 8, 4);
        byte[] value = new byte[8];
        Assert.Equal(BpfErrno.ENOTSUPP, queue.TryUpdate([], value));
        Assert.Equal(BpfErrno.ENOTSUPP, queue.TryLookup([], value));
        Assert.Equal(BpfErrno.ENOTSUPP, queue.TryDelete([]));
        Assert.Equal(BpfErrno.ENOTSUPP, queue.TryGetNextKey([], []));
    }
}
