using MapGen.Analyzers.Tests.Infrastructure;

namespace MapGen.Analyzers.Tests;

/// <summary>MAPGEN007: the kernel's create masks, per map type.</summary>
public sealed class FlagsTests
{
    private const string Header = "using MapGen;\nusing static MapGen.BpfMapType;\nusing static MapGen.BpfMapFlags;\n";

    private const string Masks = Header + """
        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN007:Flags = Mmapable|})]
        public partial struct MmapHash;

        [BpfMap(BpfMapType.Array, MaxEntries = 8, Value = typeof(ulong), Flags = Mmapable | BpfMapFlags.InnerMap | RdOnlyProg)]
        public partial struct MmapArray;

        [BpfMap(PerCpuArray, MaxEntries = 8, Value = typeof(ulong), {|MAPGEN007:Flags = NumaNode|})]
        public partial struct NumaPerCpu;

        [BpfMap(DevMap, MaxEntries = 8, {|MAPGEN007:Flags = RdOnlyProg|})]
        public partial struct ProgReadOnlyPorts;

        [BpfMap(ArrayOfMaps, MaxEntries = 8, {|MAPGEN007:Flags = WrOnlyProg|})]
        [InnerMap(typeof(MmapArray))]
        public partial struct Tables;

        [BpfMap(HashOfMaps, MaxEntries = 8, Key = typeof(uint), Flags = NoPrealloc | RdOnlyProg)]
        [InnerMap(typeof(MmapArray))]
        public partial struct Tenants;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN007:Flags = NoCommonLru|})]
        public partial struct CommonHash;

        [BpfMap(LruHash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN007:Flags = NoPrealloc|})]
        public partial struct LazyLru;

        [BpfMap(PerfEventArray, MaxEntries = 8, Flags = PreserveElems)]
        public partial struct Events;

        [BpfMap(BpfMapType.Array, MaxEntries = 8, Value = typeof(ulong), {|MAPGEN007:Flags = PreserveElems|})]
        public partial struct Preserved;
        """;

    private const string RequiredFlags = Header + """
        [{|MAPGEN007:BpfMap(LpmTrie, MaxEntries = 8, Key = typeof(Prefix), Value = typeof(uint))|}]
        public partial struct Routes;

        [BpfMap(LpmTrie, MaxEntries = 8, Key = typeof(Prefix), Value = typeof(uint), Flags = NoPrealloc)]
        public partial struct GoodRoutes;

        [BpfMap(SkStorage, Value = typeof(ulong), {|MAPGEN007:Flags = Clone|})]
        public partial struct PerSocket;

        [BpfMap(SkStorage, Value = typeof(ulong), Flags = NoPrealloc | Clone)]
        public partial struct ClonedPerSocket;

        [{|MAPGEN007:BpfMap(Arena, MaxEntries = 8)|}]
        public partial struct Shared;

        public struct Prefix { public uint Length; public uint Address; }
        """;

    private const string ExclusivePairs = Header + """
        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN007:Flags = RdOnly | WrOnly|})]
        public partial struct Both;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN007:Flags = RdOnlyProg | WrOnlyProg|})]
        public partial struct BothProg;

        [BpfMap(LruHash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN007:Flags = NumaNode | NoCommonLru|})]
        public partial struct NumaPerCpuLru;

        [BpfMap(LruHash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), Flags = NoCommonLru | ZeroSeed)]
        public partial struct PerCpuLru;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), Flags = RdOnly | WrOnlyProg)]
        public partial struct Mixed;
        """;

    private const string FdFlags = Header + """
        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN007:Flags = TokenFd|})]
        public partial struct WithToken;

        public struct Ops { public ulong A; }

        [BpfMap(StructOps, MaxEntries = 1, Value = typeof(Ops), {|MAPGEN007:Flags = VTypeBtfObjFd|})]
        public partial struct ModuleOps;

        [BpfMap(StructOps, MaxEntries = 1, Value = typeof(Ops), Flags = Link)]
        public partial struct LinkedOps;
        """;

    [Fact]
    public Task Flags_outside_a_map_types_create_mask_are_refused() => Verify.AnalyzerAsync(Masks);

    [Fact]
    public Task Flags_a_map_type_cannot_be_created_without_are_reported_at_the_attribute() => Verify.AnalyzerAsync(RequiredFlags);

    [Fact]
    public Task Flags_the_kernel_refuses_together_are_refused() => Verify.AnalyzerAsync(ExclusivePairs);

    [Fact]
    public Task Flags_that_name_a_file_descriptor_cannot_be_declared() => Verify.AnalyzerAsync(FdFlags);
}
