using System;
using System.Numerics;

namespace MapGen.Emulation;

/// <summary>
/// The <c>BPF_MAP_CREATE</c> attributes that the per-type checks read. <c>NumaNode</c> is the
/// kernel's <c>bpf_map_attr_numa_node</c>: the node, or -1 (<c>NUMA_NO_NODE</c>).
/// </summary>
internal readonly record struct CreateRequest(
    BpfMapType Type, uint KeySize, uint ValueSize, uint MaxEntries, BpfMapFlags Flags, int NumaNode,
    uint BtfKeyTypeId, uint BtfValueTypeId, int PossibleCpus);

/// <summary>
/// The kernel's per-type creation checks (each type's <c>map_alloc_check</c> and the attribute
/// checks of its <c>map_alloc</c>), in the kernel's order so that a request that breaks several
/// rules gets the kernel's errno. Verified against Linux 6.18.
/// </summary>
internal static class MapCreation
{
    /// <summary><c>KMALLOC_MAX_SIZE</c> on x86-64 (4 MiB).</summary>
    public const uint KmallocMaxSize = 4u << 20;

    /// <summary><c>PCPU_MIN_UNIT_SIZE</c>: the largest per-CPU value.</summary>
    public const uint PcpuMinUnitSize = 32u << 10;

    /// <summary><c>BPF_LOCAL_STORAGE_MAX_VALUE_SIZE</c>.</summary>
    public const uint LocalStorageMaxValueSize = ushort.MaxValue - 128;

    /// <summary>The kernel's <c>NR_CPUS</c> as configured on the reference machine (at least the possible CPUs).</summary>
    public const uint NrCpus = 256;

    /// <summary>The most slots an emulated array of devices or maps allocates.</summary>
    private const uint MaxSlotArray = 1u << 28;

    private const uint HtabElemSize = 48;
    private const uint PerfEventMaxStack = 127;
    private const uint StackBuildIdSize = 32;
    private const uint PageSize = 4096;
    private const uint LpmKeySizeMin = 4 + 1;
    private const uint LpmKeySizeMax = 4 + 256;
    private const uint LpmValueSizeMax = KmallocMaxSize - 256 - 24;
    private const uint MaxBpfStack = 512;

    private const BpfMapFlags AccessMask = BpfMapFlags.RdOnly | BpfMapFlags.WrOnly | BpfMapFlags.RdOnlyProg | BpfMapFlags.WrOnlyProg;
    private const BpfMapFlags ArrayMask = BpfMapFlags.NumaNode | BpfMapFlags.Mmapable | AccessMask | BpfMapFlags.PreserveElems | BpfMapFlags.InnerMap;
    private const BpfMapFlags HtabMask = BpfMapFlags.NoPrealloc | BpfMapFlags.NoCommonLru | BpfMapFlags.NumaNode | AccessMask | BpfMapFlags.ZeroSeed;
    private const BpfMapFlags DevMask = BpfMapFlags.NumaNode | BpfMapFlags.RdOnly | BpfMapFlags.WrOnly;
    private const BpfMapFlags StackMask = DevMask | BpfMapFlags.StackBuildId;
    private const BpfMapFlags LpmMask = BpfMapFlags.NoPrealloc | BpfMapFlags.NumaNode | AccessMask;
    private const BpfMapFlags QueueStackMask = BpfMapFlags.NumaNode | AccessMask;
    private const BpfMapFlags CgroupStorageMask = BpfMapFlags.NumaNode | AccessMask;
    private const BpfMapFlags LocalStorageMask = BpfMapFlags.NoPrealloc | BpfMapFlags.Clone;
    private const BpfMapFlags BloomMask = BpfMapFlags.NumaNode | BpfMapFlags.ZeroSeed | AccessMask;
    private const BpfMapFlags ArenaMask = BpfMapFlags.SegvOnFault | BpfMapFlags.Mmapable | BpfMapFlags.NoUserConv;

    /// <summary>The type's <c>map_alloc_check</c>: what the kernel checks before anything is allocated.</summary>
    public static BpfErrno AllocCheck(in CreateRequest r) => r.Type switch
    {
        BpfMapType.Hash or BpfMapType.PerCpuHash or BpfMapType.LruHash or BpfMapType.LruPerCpuHash => HtabAllocCheck(r),
        BpfMapType.HashOfMaps => r.ValueSize != sizeof(uint) ? BpfErrno.EINVAL : HtabAllocCheck(r),
        BpfMapType.Array or BpfMapType.PerCpuArray => ArrayAllocCheck(r),
        BpfMapType.ProgArray or BpfMapType.PerfEventArray or BpfMapType.CgroupArray or BpfMapType.ArrayOfMaps => FdArrayAllocCheck(r),
        BpfMapType.ReuseportSockArray => r.ValueSize is not (4 or 8) ? BpfErrno.EINVAL : ArrayAllocCheck(r),
        BpfMapType.Queue or BpfMapType.Stack => QueueStackAllocCheck(r),
        BpfMapType.BloomFilter => r.ValueSize > KmallocMaxSize ? BpfErrno.E2BIG : BpfErrno.None,
        BpfMapType.SkStorage or BpfMapType.InodeStorage or BpfMapType.TaskStorage or BpfMapType.CgrpStorage => LocalStorageAllocCheck(r),
        // btf_vmlinux_value_type_id is not an attribute MapGen passes, and the kernel requires it.
        BpfMapType.StructOps => BpfErrno.EINVAL,
        _ => BpfErrno.None,
    };

    /// <summary>
    /// The attribute checks of the type's <c>map_alloc</c> (for outer maps they come after the
    /// inner template is read), and the attributes the map keeps: <c>max_entries</c> as the kernel
    /// rounds it, the flags without the fd-only ones and with those the kernel adds.
    /// </summary>
    public static BpfErrno AllocAttributes(in CreateRequest r, out MapAttributes attributes)
    {
        uint maxEntries = r.MaxEntries;
        BpfMapFlags flags = r.Flags & ~BpfMapRules.FdOnlyFlags;
        BpfErrno errno = BpfErrno.None;
        switch (r.Type)
        {
            case BpfMapType.Hash or BpfMapType.PerCpuHash or BpfMapType.LruHash or BpfMapType.LruPerCpuHash or BpfMapType.HashOfMaps:
                errno = HtabAlloc(r, out maxEntries);
                break;
            case BpfMapType.StackTrace:
                errno = StackTraceAlloc(r);
                break;
            case BpfMapType.LpmTrie:
                errno = r.MaxEntries == 0 || (r.Flags & BpfMapFlags.NoPrealloc) == 0 || (r.Flags & ~LpmMask) != 0 || !AccessOk(r.Flags)
                    || r.KeySize < LpmKeySizeMin || r.KeySize > LpmKeySizeMax || r.ValueSize < 1 || r.ValueSize > LpmValueSizeMax
                    ? BpfErrno.EINVAL : BpfErrno.None;
                break;
            case BpfMapType.DevMap or BpfMapType.DevMapHash:
                errno = r.MaxEntries == 0 || r.KeySize != 4 || r.ValueSize is not (4 or 8) || (r.Flags & ~DevMask) != 0
                    || (r.Type == BpfMapType.DevMapHash && r.MaxEntries > 1u << 31)
                    ? BpfErrno.EINVAL : BpfErrno.None;
                // Lookups from programs point straight at the device's ifindex: the kernel makes the map read-only for them.
                flags |= BpfMapFlags.RdOnlyProg;
                break;
            case BpfMapType.SockMap or BpfMapType.XskMap:
                errno = r.MaxEntries == 0 || r.KeySize != 4 || (r.Type == BpfMapType.SockMap ? r.ValueSize is not (4 or 8) : r.ValueSize != 4)
                    || (r.Flags & ~DevMask) != 0
                    ? BpfErrno.EINVAL : BpfErrno.None;
                break;
            case BpfMapType.SockHash:
                errno = r.MaxEntries == 0 || r.KeySize == 0 || r.ValueSize is not (4 or 8) || (r.Flags & ~DevMask) != 0 ? BpfErrno.EINVAL
                    : r.KeySize > MaxBpfStack ? BpfErrno.E2BIG
                    : RoundUpPow2(r.MaxEntries) > uint.MaxValue / 16 ? BpfErrno.EINVAL
                    : BpfErrno.None;
                break;
            case BpfMapType.CpuMap:
                errno = r.MaxEntries == 0 || r.KeySize != 4 || r.ValueSize is not (4 or 8) || (r.Flags & ~BpfMapFlags.NumaNode) != 0 ? BpfErrno.EINVAL
                    : r.MaxEntries > Math.Max(NrCpus, (uint)r.PossibleCpus) ? BpfErrno.E2BIG
                    : BpfErrno.None;
                break;
            case BpfMapType.CgroupStorage or BpfMapType.PerCpuCgroupStorage:
                errno = CgroupStorageAlloc(r);
                break;
            case BpfMapType.RingBuf or BpfMapType.UserRingBuf:
                errno = (r.Flags & ~BpfMapFlags.NumaNode) != 0 || r.KeySize != 0 || r.ValueSize != 0
                    || !BitOperations.IsPow2(r.MaxEntries) || r.MaxEntries % PageSize != 0
                    ? BpfErrno.EINVAL : BpfErrno.None;
                break;
            case BpfMapType.BloomFilter:
                errno = r.KeySize != 0 || r.ValueSize == 0 || r.MaxEntries == 0 || (r.Flags & ~BloomMask) != 0 || !AccessOk(r.Flags)
                    ? BpfErrno.EINVAL : BpfErrno.None;
                break;
            case BpfMapType.Arena:
                errno = r.KeySize != 0 || r.ValueSize != 0 || r.MaxEntries == 0 || (r.Flags & BpfMapFlags.Mmapable) == 0 || (r.Flags & ~ArenaMask) != 0
                    ? BpfErrno.EINVAL
                    : (ulong)r.MaxEntries * PageSize > 1UL << 32 ? BpfErrno.E2BIG
                    : BpfErrno.None;
                break;
        }

        attributes = new MapAttributes(r.Type, r.KeySize, r.ValueSize, maxEntries, flags, r.PossibleCpus);
        return errno;
    }

    /// <summary>Creates the map object and its storage (<see cref="BpfErrno.ENOMEM"/> when it cannot be held).</summary>
    public static BpfErrno Allocate(EmulatedRuntime runtime, in MapAttributes attributes, InnerTemplate? template, out KernelMap? map)
    {
        switch (attributes.Type)
        {
            case BpfMapType.Array or BpfMapType.PerCpuArray:
                return ArrayMap.TryCreate(attributes, out map);
            case BpfMapType.Hash or BpfMapType.PerCpuHash:
                return HashMap.TryCreate(attributes, out map);
            case BpfMapType.LruHash or BpfMapType.LruPerCpuHash:
                return LruHashMap.TryCreate(attributes, out map);
            case BpfMapType.DevMap or BpfMapType.ArrayOfMaps when attributes.MaxEntries > MaxSlotArray:
                // Their slots are allocated whole, as in the kernel; beyond this it is out of memory here.
                map = null;
                return BpfErrno.ENOMEM;
            case BpfMapType.DevMap:
                map = new DevMap(attributes, runtime);
                return BpfErrno.None;
            case BpfMapType.DevMapHash:
                return DevMapHash.TryCreate(attributes, runtime, out map);
            case BpfMapType.ArrayOfMaps:
                map = new ArrayOfMaps(attributes, runtime, template!);
                return BpfErrno.None;
            case BpfMapType.HashOfMaps:
                return HashOfMaps.TryCreate(attributes, runtime, template!, out map);
            case BpfMapType.ProgArray or BpfMapType.PerfEventArray or BpfMapType.CgroupArray:
                map = new FdArrayMap(attributes, runtime);
                return BpfErrno.None;
            case BpfMapType.StackTrace:
                map = new StackTraceMap(attributes);
                return BpfErrno.None;
            default:
                map = new UnsupportedElementsMap(attributes);
                return BpfErrno.None;
        }
    }

    /// <summary><c>bpf_map_flags_access_ok</c>: not read-only and write-only for programs at once.</summary>
    private static bool AccessOk(BpfMapFlags flags) =>
        (flags & (BpfMapFlags.RdOnlyProg | BpfMapFlags.WrOnlyProg)) != (BpfMapFlags.RdOnlyProg | BpfMapFlags.WrOnlyProg);

    private static ulong RoundUpPow2(uint value) => BitOperations.RoundUpToPowerOf2((ulong)Math.Max(value, 1));

    private static BpfErrno ArrayAllocCheck(in CreateRequest r)
    {
        bool perCpu = r.Type == BpfMapType.PerCpuArray;
        if (r.MaxEntries == 0 || r.KeySize != 4 || r.ValueSize == 0 || (r.Flags & ~ArrayMask) != 0 || !AccessOk(r.Flags)
            || (perCpu && r.NumaNode != -1))
        {
            return BpfErrno.EINVAL;
        }

        if (r.Type != BpfMapType.Array && (r.Flags & (BpfMapFlags.Mmapable | BpfMapFlags.InnerMap)) != 0)
        {
            return BpfErrno.EINVAL;
        }

        if (r.Type != BpfMapType.PerfEventArray && (r.Flags & BpfMapFlags.PreserveElems) != 0)
        {
            return BpfErrno.EINVAL;
        }

        if (r.ValueSize > int.MaxValue || (perCpu && BpfMapRules.RoundUp8(r.ValueSize) > PcpuMinUnitSize))
        {
            return BpfErrno.E2BIG;
        }

        return BpfErrno.None;
    }

    private static BpfErrno FdArrayAllocCheck(in CreateRequest r)
    {
        // Only fds can be stored; read-only or write-only for programs is not supported.
        if (r.ValueSize != sizeof(uint) || (r.Flags & (BpfMapFlags.RdOnlyProg | BpfMapFlags.WrOnlyProg)) != 0)
        {
            return BpfErrno.EINVAL;
        }

        return ArrayAllocCheck(r);
    }

    private static BpfErrno HtabAllocCheck(in CreateRequest r)
    {
        bool perCpu = r.Type is BpfMapType.PerCpuHash or BpfMapType.LruPerCpuHash;
        bool lru = r.Type is BpfMapType.LruHash or BpfMapType.LruPerCpuHash;
        bool perCpuLru = (r.Flags & BpfMapFlags.NoCommonLru) != 0;
        bool prealloc = (r.Flags & BpfMapFlags.NoPrealloc) == 0;
        if ((r.Flags & ~HtabMask) != 0 || !AccessOk(r.Flags))
        {
            return BpfErrno.EINVAL;
        }

        if (!lru && perCpuLru)
        {
            return BpfErrno.EINVAL;
        }

        if (lru && !prealloc)
        {
            return BpfErrno.ENOTSUPP;
        }

        if (r.NumaNode != -1 && (perCpu || perCpuLru))
        {
            return BpfErrno.EINVAL;
        }

        if (r.MaxEntries == 0 || r.KeySize == 0 || r.ValueSize == 0)
        {
            return BpfErrno.EINVAL;
        }

        if ((ulong)r.KeySize + r.ValueSize >= KmallocMaxSize - HtabElemSize
            || (perCpu && BpfMapRules.RoundUp8(r.ValueSize) > PcpuMinUnitSize))
        {
            return BpfErrno.E2BIG;
        }

        return BpfErrno.None;
    }

    private static BpfErrno HtabAlloc(in CreateRequest r, out uint maxEntries)
    {
        // With NoCommonLru each CPU's LRU list gets the same number of elements (u32 arithmetic, as in the kernel).
        maxEntries = BpfMapRules.KernelMaxEntries(r.Type, r.Flags, r.MaxEntries, r.PossibleCpus);

        // The buckets (16 bytes each, a power of two) must be addressable with 32 bits.
        return maxEntries > 1u << 31 || RoundUpPow2(maxEntries) > uint.MaxValue / 16 ? BpfErrno.E2BIG : BpfErrno.None;
    }

    private static BpfErrno StackTraceAlloc(in CreateRequest r)
    {
        if ((r.Flags & ~StackMask) != 0 || r.MaxEntries == 0 || r.KeySize != 4 || r.ValueSize < 8 || r.ValueSize % 8 != 0)
        {
            return BpfErrno.EINVAL;
        }

        bool buildId = (r.Flags & BpfMapFlags.StackBuildId) != 0;
        if (buildId ? r.ValueSize % StackBuildIdSize != 0 || r.ValueSize / StackBuildIdSize > PerfEventMaxStack : r.ValueSize / 8 > PerfEventMaxStack)
        {
            return BpfErrno.EINVAL;
        }

        return r.MaxEntries > 1u << 31 ? BpfErrno.E2BIG : BpfErrno.None;
    }

    private static BpfErrno QueueStackAllocCheck(in CreateRequest r)
    {
        if (r.MaxEntries == 0 || r.KeySize != 0 || r.ValueSize == 0 || (r.Flags & ~QueueStackMask) != 0 || !AccessOk(r.Flags))
        {
            return BpfErrno.EINVAL;
        }

        return r.ValueSize > KmallocMaxSize ? BpfErrno.E2BIG : BpfErrno.None;
    }

    private static BpfErrno CgroupStorageAlloc(in CreateRequest r)
    {
        uint maxValueSize = r.Type == BpfMapType.PerCpuCgroupStorage ? Math.Min(LocalStorageMaxValueSize, PcpuMinUnitSize) : LocalStorageMaxValueSize;
        if (r.KeySize is not (8 or 16) || r.ValueSize == 0)
        {
            return BpfErrno.EINVAL;
        }

        if (r.ValueSize > maxValueSize)
        {
            return BpfErrno.E2BIG;
        }

        // max_entries is per cgroup: it must be 0.
        return (r.Flags & ~CgroupStorageMask) != 0 || !AccessOk(r.Flags) || r.MaxEntries != 0 ? BpfErrno.EINVAL : BpfErrno.None;
    }

    private static BpfErrno LocalStorageAllocCheck(in CreateRequest r)
    {
        // BTF for the key and value is required (the kernel dumps the storage through it).
        if ((r.Flags & ~LocalStorageMask) != 0 || (r.Flags & BpfMapFlags.NoPrealloc) == 0 || r.MaxEntries != 0
            || r.KeySize != sizeof(int) || r.ValueSize == 0 || r.BtfKeyTypeId == 0 || r.BtfValueTypeId == 0)
        {
            return BpfErrno.EINVAL;
        }

        return r.ValueSize > LocalStorageMaxValueSize ? BpfErrno.E2BIG : BpfErrno.None;
    }
}
