using MapGen.Analyzers.Tests.Infrastructure;

namespace MapGen.Analyzers.Tests;

/// <summary>MAPGEN003: max_entries as each map type's allocator checks it.</summary>
public sealed class MaxEntriesTests
{
    private const string Header = "using MapGen;\nusing static MapGen.BpfMapType;\n";

    private const string ZeroOrMissing = Header + """
        [BpfMap(Hash, {|MAPGEN003:MaxEntries = 0|}, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct Empty;

        [{|MAPGEN003:BpfMap(BpfMapType.Array, Value = typeof(ulong))|}]
        public partial struct Missing;

        [BpfMap(ArrayOfMaps, {|MAPGEN003:MaxEntries = 0|})]
        [InnerMap(typeof(Slots))]
        public partial struct Tables;

        [BpfMap(BpfMapType.Array, MaxEntries = 1, Value = typeof(ulong))]
        public partial struct Slots;
        """;

    private const string StorageTakesZero = Header + """
        [BpfMap(CgroupStorage, {|MAPGEN003:MaxEntries = 8|}, Key = typeof(ulong), Value = typeof(ulong))]
        public partial struct PerCgroup;

        [BpfMap(SkStorage, {|MAPGEN003:MaxEntries = 1|}, Value = typeof(ulong), Flags = BpfMapFlags.NoPrealloc)]
        public partial struct PerSocket;

        [BpfMap(TaskStorage, Value = typeof(ulong), Flags = BpfMapFlags.NoPrealloc)]
        public partial struct PerTask;

        [BpfMap(PerCpuCgroupStorage, Key = typeof(ulong), Value = typeof(ulong))]
        public partial struct PerCpuCgroup;
        """;

    private const string StructOpsTakesOne = Header + """
        public struct Ops { public ulong A, B; }

        [BpfMap(StructOps, {|MAPGEN003:MaxEntries = 2|}, Value = typeof(Ops))]
        public partial struct TwoOps;

        [BpfMap(StructOps, MaxEntries = 1, Value = typeof(Ops))]
        public partial struct OneOps;
        """;

    private const string RingBufferSizes = Header + """
        [BpfMap(RingBuf, {|MAPGEN003:MaxEntries = 1000|})]
        public partial struct Odd;

        [BpfMap(RingBuf, {|MAPGEN003:MaxEntries = 2048|})]
        public partial struct Small;

        [BpfMap(UserRingBuf, {|MAPGEN003:MaxEntries = 12288|})]
        public partial struct ThreePages;

        [BpfMap(RingBuf, MaxEntries = 4096)]
        public partial struct OnePage;

        [BpfMap(UserRingBuf, MaxEntries = 262144)]
        public partial struct Big;
        """;

    [Fact]
    public Task Maps_need_entries_and_the_diagnostic_points_at_MaxEntries_or_the_attribute() => Verify.AnalyzerAsync(ZeroOrMissing);

    [Fact]
    public Task Storage_maps_take_no_MaxEntries() => Verify.AnalyzerAsync(StorageTakesZero);

    [Fact]
    public Task Struct_ops_maps_take_exactly_one_entry() => Verify.AnalyzerAsync(StructOpsTakesOne);

    [Fact]
    public Task Ring_buffers_take_a_power_of_two_multiple_of_the_page_size() => Verify.AnalyzerAsync(RingBufferSizes);
}
