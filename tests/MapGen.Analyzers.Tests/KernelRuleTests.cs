using MapGen.Analyzers.Tests.Infrastructure;

namespace MapGen.Analyzers.Tests;

/// <summary>
/// The rules MapTypeTraits had wrong before they were checked against the kernel's *_alloc_check
/// functions (see docs/diagnostics): each is refused where the kernel refuses and accepted where it accepts.
/// </summary>
public sealed class KernelRuleTests
{
    private const string Header = "using MapGen;\nusing static MapGen.BpfMapType;\nusing static MapGen.BpfMapFlags;\n";

    // arena_map_alloc: the mask is Mmapable | SegvOnFault | NoUserConv, without NumaNode.
    private const string Arena = Header + """
        [BpfMap(BpfMapType.Arena, MaxEntries = 16, {|MAPGEN007:Flags = Mmapable | NumaNode|})]
        public partial struct NumaArena;

        [BpfMap(BpfMapType.Arena, MaxEntries = 16, Flags = Mmapable | SegvOnFault | NoUserConv)]
        public partial struct Arena;
        """;

    // bpf_local_storage_map_alloc_check is shared: every local storage takes Clone.
    private const string LocalStorages = Header + """
        [BpfMap(TaskStorage, Value = typeof(ulong), Flags = NoPrealloc | Clone)]
        public partial struct PerTask;

        [BpfMap(InodeStorage, Value = typeof(ulong), Flags = NoPrealloc | Clone)]
        public partial struct PerInode;

        [BpfMap(CgrpStorage, Value = typeof(ulong), {|MAPGEN007:Flags = NoPrealloc | NumaNode|})]
        public partial struct PerCgroup;
        """;

    // bpf_struct_ops_map_alloc_check: Link | VTypeBtfObjFd, and the latter names an fd a declaration cannot carry.
    private const string StructOps = Header + """
        public struct Ops { public ulong A; }

        [BpfMap(BpfMapType.StructOps, MaxEntries = 1, Value = typeof(Ops), {|MAPGEN007:Flags = Link | NumaNode|})]
        public partial struct NumaOps;
        """;

    // stack_map_alloc: with StackBuildId the value is a whole number of 32-byte struct bpf_stack_build_id.
    private const string StackTraces = Header + """
        public unsafe struct Ips { public fixed ulong Ip[5]; }

        public unsafe struct BuildIds { public fixed byte Raw[64]; }

        [BpfMap(StackTrace, MaxEntries = 64, Value = typeof(Ips))]
        public partial struct Addresses;

        [BpfMap(StackTrace, MaxEntries = 64, {|MAPGEN005:Value = typeof(Ips)|}, Flags = StackBuildId)]
        public partial struct OddBuildIds;

        [BpfMap(StackTrace, MaxEntries = 64, Value = typeof(BuildIds), Flags = StackBuildId)]
        public partial struct TwoBuildIds;
        """;

    // sock_hash_alloc: key_size > MAX_BPF_STACK (512) is E2BIG.
    private const string SockHashKeys = Header + """
        public unsafe struct BigKey { public fixed byte Raw[513]; }

        public unsafe struct MaxKey { public fixed byte Raw[512]; }

        [BpfMap(SockHash, MaxEntries = 8, {|MAPGEN005:Key = typeof(BigKey)|})]
        public partial struct TooBig;

        [BpfMap(SockHash, MaxEntries = 8, Key = typeof(MaxKey))]
        public partial struct JustRight;
        """;

    // PCPU_MIN_UNIT_SIZE: per-CPU values rounded up to 8 bytes may not exceed 32 KiB.
    private const string PerCpuValues = Header + """
        public unsafe struct Huge { public fixed byte Raw[32769]; }

        public unsafe struct Max { public fixed byte Raw[32768]; }

        [BpfMap(PerCpuArray, MaxEntries = 4, {|MAPGEN005:Value = typeof(Huge)|})]
        public partial struct TooBigArray;

        [BpfMap(LruPerCpuHash, MaxEntries = 4, Key = typeof(uint), {|MAPGEN005:Value = typeof(Huge)|})]
        public partial struct TooBigHash;

        [BpfMap(PerCpuHash, MaxEntries = 4, Key = typeof(uint), Value = typeof(Max))]
        public partial struct Largest;

        [BpfMap(BpfMapType.Array, MaxEntries = 4, Value = typeof(Huge))]
        public partial struct SharedIsFine;
        """;

    [Fact]
    public Task Arena_takes_no_NumaNode() => Verify.AnalyzerAsync(Arena);

    [Fact]
    public Task Every_local_storage_takes_Clone() => Verify.AnalyzerAsync(LocalStorages);

    [Fact]
    public Task Struct_ops_take_Link_only() => Verify.AnalyzerAsync(StructOps);

    [Fact]
    public Task Stack_traces_with_build_ids_take_multiples_of_32_bytes() => Verify.AnalyzerAsync(StackTraces);

    [Fact]
    public Task Sock_hash_keys_are_at_most_512_bytes() => Verify.AnalyzerAsync(SockHashKeys);

    [Fact]
    public Task Per_cpu_values_are_at_most_32_KiB() => Verify.AnalyzerAsync(PerCpuValues);
}
