// The kernel's per-type rules for BPF_MAP_CREATE, in one table. Compiled into the runtime (the
// emulated kernel's creation checks) and, linked, into the generator and analyzers (the
// compile-time diagnostics), so that what the IDE accepts is what the kernel accepts.
// Reference: Linux 6.18, the *_alloc_check / *_map_alloc functions of kernel/bpf/*.c, net/core/sock_map.c
// and net/xdp/xskmap.c, and bpf_map_meta_alloc in kernel/bpf/map_in_map.c (checked against the sources;
// docs/diagnostics names the function behind each rule).
namespace MapGen;

/// <summary>How the kernel sizes a map type's key or value.</summary>
internal enum SizeRule
{
    /// <summary>Any size above 0 (within the type's upper bound).</summary>
    Any,
    /// <summary>Exactly 4 bytes (<c>u32</c> index, fd or ifindex); may be omitted in a declaration.</summary>
    Four,
    /// <summary>4 or 8 bytes (the 8-byte form carries a program fd); defaults to 4.</summary>
    FourOrEight,
    /// <summary>Must be 0: the type has no key (or no value).</summary>
    Zero,
    /// <summary>A multiple of 8 bytes, at least 8 (stack traces).</summary>
    MultipleOfEight,
    /// <summary><c>struct bpf_cgroup_storage_key</c> (16 bytes) or a <c>u64</c> cgroup id (8 bytes).</summary>
    CgroupStorageKey,
    /// <summary>An LPM trie key: a <c>u32</c> prefix length and 1 to 256 bytes of data.</summary>
    LpmKey,
    /// <summary>The inner map of an outer map: a 4-byte fd on update, a 4-byte ID on lookup; never declared.</summary>
    InnerMapFd,
    /// <summary>A multiple of 32 bytes (<c>struct bpf_stack_build_id</c>): stack traces with <c>BPF_F_STACK_BUILD_ID</c>.</summary>
    MultipleOfBuildId,
}

/// <summary>What <c>max_entries</c> must be.</summary>
internal enum MaxEntriesRule
{
    /// <summary>At least 1.</summary>
    Positive,
    /// <summary>Must be 0 (storage maps: the kernel sizes them itself).</summary>
    Zero,
    /// <summary>A power-of-2 multiple of the page size (ring buffers).</summary>
    PageSizePowerOfTwo,
    /// <summary>Exactly 1 (struct_ops).</summary>
    One,
}

/// <summary>Which typed API the generator emits for a map type.</summary>
internal enum MapApiKind
{
    /// <summary><c>Spec</c>, creation, opening, pinning only.</summary>
    HandleOnly,
    /// <summary>Key/value lookups, updates, deletes and enumeration.</summary>
    Data,
    /// <summary>Like <see cref="Data"/> with one value per possible CPU.</summary>
    PerCpu,
    /// <summary>Values are inner maps.</summary>
    Outer,
}

/// <summary>The kernel's rules for one map type.</summary>
internal readonly struct MapTypeTraits
{
    private const BpfMapFlags Access = BpfMapFlags.RdOnly | BpfMapFlags.WrOnly | BpfMapFlags.RdOnlyProg | BpfMapFlags.WrOnlyProg;
    private const BpfMapFlags FdAccess = BpfMapFlags.RdOnly | BpfMapFlags.WrOnly;

    /// <summary><c>PCPU_MIN_UNIT_SIZE</c>: per-CPU values, rounded up to 8 bytes, may not be larger (<c>E2BIG</c>).</summary>
    private const uint PerCpuMaxValueSize = 32 * 1024;

    /// <summary><c>MAX_BPF_STACK</c>: the largest key a sock hash takes (<c>E2BIG</c>).</summary>
    private const uint MaxBpfStack = 512;

    private MapTypeTraits(BpfMapType type, MapApiKind api, SizeRule key, SizeRule value, MaxEntriesRule maxEntries,
        BpfMapFlags allowedFlags, BpfMapFlags requiredFlags = BpfMapFlags.None, bool canBeInner = true,
        bool hasDelete = true, bool isArrayLike = false, uint maxKeySize = 0, uint maxValueSize = 0,
        BpfMapFlags mutuallyExclusiveFlags = BpfMapFlags.None)
    {
        MaxKeySize = maxKeySize;
        MaxValueSize = maxValueSize;
        MutuallyExclusiveFlags = mutuallyExclusiveFlags;
        Type = type;
        Api = api;
        Key = key;
        Value = value;
        MaxEntries = maxEntries;
        AllowedFlags = allowedFlags;
        RequiredFlags = requiredFlags;
        CanBeInnerMap = canBeInner;
        HasDelete = hasDelete;
        IsArrayLike = isArrayLike;
    }

    public BpfMapType Type { get; }

    public MapApiKind Api { get; }

    public SizeRule Key { get; }

    public SizeRule Value { get; }

    public MaxEntriesRule MaxEntries { get; }

    /// <summary>The create mask: flags outside it are refused with <c>EINVAL</c>.</summary>
    public BpfMapFlags AllowedFlags { get; }

    /// <summary>Flags the type cannot be created without.</summary>
    public BpfMapFlags RequiredFlags { get; }

    /// <summary>Whether the kernel takes this type as an outer map's inner template.</summary>
    public bool CanBeInnerMap { get; }

    /// <summary>Whether elements can be deleted from user space (array slots cannot).</summary>
    public bool HasDelete { get; }

    /// <summary>Whether keys are <c>u32</c> indexes below <c>max_entries</c>.</summary>
    public bool IsArrayLike { get; }

    /// <summary>The largest key size the kernel takes beyond <see cref="Key"/> (<c>E2BIG</c>); 0 when only the rule applies.</summary>
    public uint MaxKeySize { get; }

    /// <summary>The largest value size the kernel takes beyond <see cref="Value"/> (<c>E2BIG</c>); 0 when only the rule applies.</summary>
    public uint MaxValueSize { get; }

    /// <summary>Flags of which the type accepts at most one at a time (<c>EINVAL</c>), beyond the fd access pairs every type refuses together.</summary>
    public BpfMapFlags MutuallyExclusiveFlags { get; }

    public bool IsOuter => Api == MapApiKind.Outer;

    /// <summary>
    /// Whether user space can take elements out atomically (<c>BPF_MAP_LOOKUP_AND_DELETE_ELEM</c>
    /// and <c>_BATCH</c>; <c>map_lookup_and_delete_elem</c> in kernel/bpf/syscall.c): the hash maps.
    /// </summary>
    public bool HasLookupAndDelete => Type is BpfMapType.Hash or BpfMapType.PerCpuHash or BpfMapType.LruHash or BpfMapType.LruPerCpuHash;

    /// <summary>
    /// Whether maps of this type declared with <paramref name="flags"/> can be mapped into user
    /// space writable: <c>BPF_F_MMAPABLE</c> arrays, unless BPF programs may only read them
    /// (<c>BPF_F_RDONLY_PROG</c>: <c>bpf_map_mmap</c> refuses a writable mapping) or the creating fd
    /// cannot both read and write (<c>BPF_F_RDONLY</c>, <c>BPF_F_WRONLY</c>).
    /// </summary>
    public bool IsMmapable(BpfMapFlags flags) =>
        Type == BpfMapType.Array && (flags & BpfMapFlags.Mmapable) != 0
        && (flags & (BpfMapFlags.RdOnlyProg | BpfMapFlags.RdOnly | BpfMapFlags.WrOnly)) == 0;

    /// <summary>The rules of <paramref name="type"/>; false for a number the kernel does not know.</summary>
    public static bool TryGet(BpfMapType type, out MapTypeTraits traits)
    {
        traits = type switch
        {
            BpfMapType.Hash => new(type, MapApiKind.Data, SizeRule.Any, SizeRule.Any, MaxEntriesRule.Positive,
                BpfMapFlags.NoPrealloc | BpfMapFlags.NumaNode | BpfMapFlags.ZeroSeed | Access),
            BpfMapType.Array => new(type, MapApiKind.Data, SizeRule.Four, SizeRule.Any, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | BpfMapFlags.Mmapable | BpfMapFlags.InnerMap | Access, hasDelete: false, isArrayLike: true),
            BpfMapType.ProgArray => new(type, MapApiKind.HandleOnly, SizeRule.Four, SizeRule.Four, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | FdAccess, canBeInner: false, isArrayLike: true),
            BpfMapType.PerfEventArray => new(type, MapApiKind.HandleOnly, SizeRule.Four, SizeRule.Four, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | BpfMapFlags.PreserveElems | FdAccess, isArrayLike: true),
            // Per-CPU maps take no NUMA node: their values live on every node.
            BpfMapType.PerCpuHash => new(type, MapApiKind.PerCpu, SizeRule.Any, SizeRule.Any, MaxEntriesRule.Positive,
                BpfMapFlags.NoPrealloc | BpfMapFlags.ZeroSeed | Access, maxValueSize: PerCpuMaxValueSize),
            BpfMapType.PerCpuArray => new(type, MapApiKind.PerCpu, SizeRule.Four, SizeRule.Any, MaxEntriesRule.Positive,
                Access, hasDelete: false, isArrayLike: true, maxValueSize: PerCpuMaxValueSize),
            BpfMapType.StackTrace => new(type, MapApiKind.HandleOnly, SizeRule.Four, SizeRule.MultipleOfEight, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | BpfMapFlags.StackBuildId | FdAccess),
            BpfMapType.CgroupArray => new(type, MapApiKind.HandleOnly, SizeRule.Four, SizeRule.Four, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | FdAccess, isArrayLike: true),
            // htab_map_alloc_check: a per-CPU LRU list (NoCommonLru) takes no NUMA node; LRU maps are always preallocated.
            BpfMapType.LruHash => new(type, MapApiKind.Data, SizeRule.Any, SizeRule.Any, MaxEntriesRule.Positive,
                BpfMapFlags.NoCommonLru | BpfMapFlags.NumaNode | BpfMapFlags.ZeroSeed | Access,
                mutuallyExclusiveFlags: BpfMapFlags.NoCommonLru | BpfMapFlags.NumaNode),
            BpfMapType.LruPerCpuHash => new(type, MapApiKind.PerCpu, SizeRule.Any, SizeRule.Any, MaxEntriesRule.Positive,
                BpfMapFlags.NoCommonLru | BpfMapFlags.ZeroSeed | Access, maxValueSize: PerCpuMaxValueSize),
            BpfMapType.LpmTrie => new(type, MapApiKind.Data, SizeRule.LpmKey, SizeRule.Any, MaxEntriesRule.Positive,
                BpfMapFlags.NoPrealloc | BpfMapFlags.NumaNode | Access, requiredFlags: BpfMapFlags.NoPrealloc),
            BpfMapType.ArrayOfMaps => new(type, MapApiKind.Outer, SizeRule.Four, SizeRule.InnerMapFd, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | FdAccess, canBeInner: false, isArrayLike: true),
            BpfMapType.HashOfMaps => new(type, MapApiKind.Outer, SizeRule.Any, SizeRule.InnerMapFd, MaxEntriesRule.Positive,
                BpfMapFlags.NoPrealloc | BpfMapFlags.NumaNode | BpfMapFlags.ZeroSeed | Access, canBeInner: false),
            BpfMapType.DevMap => new(type, MapApiKind.Data, SizeRule.Four, SizeRule.FourOrEight, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | FdAccess, isArrayLike: true),
            BpfMapType.SockMap => new(type, MapApiKind.HandleOnly, SizeRule.Four, SizeRule.FourOrEight, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | FdAccess, isArrayLike: true),
            BpfMapType.CpuMap => new(type, MapApiKind.HandleOnly, SizeRule.Four, SizeRule.FourOrEight, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode, isArrayLike: true),
            BpfMapType.XskMap => new(type, MapApiKind.HandleOnly, SizeRule.Four, SizeRule.Four, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | FdAccess, isArrayLike: true),
            BpfMapType.SockHash => new(type, MapApiKind.HandleOnly, SizeRule.Any, SizeRule.FourOrEight, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | FdAccess, maxKeySize: MaxBpfStack),
            BpfMapType.CgroupStorage => new(type, MapApiKind.HandleOnly, SizeRule.CgroupStorageKey, SizeRule.Any, MaxEntriesRule.Zero,
                BpfMapFlags.NumaNode | Access, canBeInner: false),
            BpfMapType.ReuseportSockArray => new(type, MapApiKind.HandleOnly, SizeRule.Four, SizeRule.FourOrEight, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | Access, isArrayLike: true),
            BpfMapType.PerCpuCgroupStorage => new(type, MapApiKind.HandleOnly, SizeRule.CgroupStorageKey, SizeRule.Any, MaxEntriesRule.Zero,
                BpfMapFlags.NumaNode | Access, canBeInner: false, maxValueSize: PerCpuMaxValueSize),
            BpfMapType.Queue or BpfMapType.Stack => new(type, MapApiKind.HandleOnly, SizeRule.Zero, SizeRule.Any, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | Access),
            // bpf_local_storage_map_alloc_check is shared by the four local storages: one mask for all.
            BpfMapType.SkStorage or BpfMapType.InodeStorage or BpfMapType.TaskStorage or BpfMapType.CgrpStorage => new(type, MapApiKind.HandleOnly,
                SizeRule.Four, SizeRule.Any, MaxEntriesRule.Zero, BpfMapFlags.NoPrealloc | BpfMapFlags.Clone, requiredFlags: BpfMapFlags.NoPrealloc),
            BpfMapType.DevMapHash => new(type, MapApiKind.Data, SizeRule.Four, SizeRule.FourOrEight, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | FdAccess),
            BpfMapType.StructOps => new(type, MapApiKind.HandleOnly, SizeRule.Four, SizeRule.Any, MaxEntriesRule.One,
                BpfMapFlags.Link | BpfMapFlags.VTypeBtfObjFd, canBeInner: false),
            BpfMapType.RingBuf or BpfMapType.UserRingBuf => new(type, MapApiKind.HandleOnly, SizeRule.Zero, SizeRule.Zero, MaxEntriesRule.PageSizePowerOfTwo,
                BpfMapFlags.NumaNode),
            BpfMapType.BloomFilter => new(type, MapApiKind.HandleOnly, SizeRule.Zero, SizeRule.Any, MaxEntriesRule.Positive,
                BpfMapFlags.NumaNode | BpfMapFlags.ZeroSeed | Access),
            // arena_map_alloc: the mask is Mmapable | SegvOnFault | NoUserConv, without NumaNode.
            BpfMapType.Arena => new(type, MapApiKind.HandleOnly, SizeRule.Zero, SizeRule.Zero, MaxEntriesRule.Positive,
                BpfMapFlags.Mmapable | BpfMapFlags.SegvOnFault | BpfMapFlags.NoUserConv, requiredFlags: BpfMapFlags.Mmapable),
            _ => default,
        };
        return traits.Type != BpfMapType.Unspec;
    }

    /// <summary>
    /// The kernel's <c>map_meta_equal</c>: whether the maps in an outer map's slots may have other
    /// <c>max_entries</c> than the inner template. Arrays compare it unless created with
    /// <c>BPF_F_INNER_MAP</c>; per-CPU arrays (which cannot take that flag) and XSK maps always
    /// do, every other type never does (Linux 6.18, found by the differential fuzzer).
    /// </summary>
    public static bool InnerMaxEntriesMayDiffer(BpfMapType type, BpfMapFlags flags) => type switch
    {
        BpfMapType.Array => (flags & BpfMapFlags.InnerMap) != 0,
        BpfMapType.PerCpuArray or BpfMapType.XskMap => false,
        _ => true,
    };

    /// <summary>Whether a declaration may leave out the key (the kernel fixes it at 4 bytes or 0).</summary>
    public bool KeyMayBeOmitted => Key is SizeRule.Four or SizeRule.Zero;

    /// <summary>Whether a declaration may leave out the value.</summary>
    public bool ValueMayBeOmitted => Value is SizeRule.Four or SizeRule.FourOrEight or SizeRule.Zero or SizeRule.InnerMapFd;

    /// <summary>The size an omitted key or value has: 4 (a <c>u32</c>) or 0.</summary>
    public static uint DefaultSize(SizeRule rule) => rule is SizeRule.Zero ? 0U : 4U;

    /// <summary>
    /// The value rule once the flags are known: a stack trace map with <c>BPF_F_STACK_BUILD_ID</c>
    /// stores <c>struct bpf_stack_build_id</c> entries (32 bytes) instead of 8-byte addresses.
    /// </summary>
    public SizeRule ValueRuleFor(BpfMapFlags flags) =>
        Type == BpfMapType.StackTrace && (flags & BpfMapFlags.StackBuildId) != 0 ? SizeRule.MultipleOfBuildId : Value;

    /// <summary>Whether the kernel takes a key of <paramref name="size"/> bytes for this type.</summary>
    public bool AllowsKeySize(uint size) => Allows(Key, size) && (MaxKeySize == 0 || size <= MaxKeySize);

    /// <summary>Whether the kernel takes a value of <paramref name="size"/> bytes for this type and these flags.</summary>
    public bool AllowsValueSize(uint size, BpfMapFlags flags) => Allows(ValueRuleFor(flags), size) && (MaxValueSize == 0 || size <= MaxValueSize);

    /// <summary>The words a diagnostic uses for the key sizes this type takes.</summary>
    public string DescribeKey() => Describe(Key, MaxKeySize);

    /// <summary>The words a diagnostic uses for the value sizes this type takes with these flags.</summary>
    public string DescribeValue(BpfMapFlags flags) => Describe(ValueRuleFor(flags), MaxValueSize);

    private static string Describe(SizeRule rule, uint max) => max == 0 ? Describe(rule)
        : rule == SizeRule.Any ? $"1 to {max.ToString(System.Globalization.CultureInfo.InvariantCulture)} bytes"
        : $"{Describe(rule)}, at most {max.ToString(System.Globalization.CultureInfo.InvariantCulture)} bytes";

    /// <summary>Whether <paramref name="size"/> is allowed by <paramref name="rule"/>.</summary>
    public static bool Allows(SizeRule rule, uint size) => rule switch
    {
        SizeRule.Any => size > 0,
        SizeRule.Four or SizeRule.InnerMapFd => size == 4,
        SizeRule.FourOrEight => size is 4 or 8,
        SizeRule.Zero => size == 0,
        SizeRule.MultipleOfEight => size >= 8 && size % 8 == 0,
        SizeRule.CgroupStorageKey => size is 8 or 16,
        SizeRule.LpmKey => size is >= 5 and <= 4 + 256,
        SizeRule.MultipleOfBuildId => size >= 32 && size % 32 == 0,
        _ => false,
    };

    /// <summary>The words a diagnostic uses for <paramref name="rule"/>.</summary>
    public static string Describe(SizeRule rule) => rule switch
    {
        SizeRule.Any => "any size above 0",
        SizeRule.Four => "exactly 4 bytes (a uint)",
        SizeRule.FourOrEight => "4 or 8 bytes",
        SizeRule.Zero => "none (leave it out)",
        SizeRule.MultipleOfEight => "a multiple of 8 bytes",
        SizeRule.CgroupStorageKey => "8 bytes (a ulong cgroup id) or 16 bytes (struct bpf_cgroup_storage_key)",
        SizeRule.LpmKey => "5 to 260 bytes: a uint prefix length followed by the data",
        SizeRule.InnerMapFd => "the inner map (no Value is declared)",
        SizeRule.MultipleOfBuildId => "a multiple of 32 bytes (struct bpf_stack_build_id) with StackBuildId",
        _ => "?",
    };
}
