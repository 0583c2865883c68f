using MapGen.Analyzers.Tests.Infrastructure;

namespace MapGen.Analyzers.Tests;

/// <summary>MAPGEN010 to MAPGEN016: map-in-map.</summary>
public sealed class InnerMapTests
{
    private const string Header = "using MapGen;\nusing static MapGen.BpfMapType;\n";

    private const string OuterWithoutInner = Header + """
        [BpfMap(ArrayOfMaps, MaxEntries = 8)]
        public partial struct {|MAPGEN010:Tables|};

        [BpfMap(HashOfMaps, MaxEntries = 8, Key = typeof(uint))]
        public partial struct {|MAPGEN010:Tenants|};

        [BpfMap(DevMap, MaxEntries = 32)]
        public partial struct TxPorts;

        [BpfMap(ArrayOfMaps, MaxEntries = 32)]
        [InnerMap(typeof(TxPorts))]
        public partial struct TxPortTables;
        """;

    private const string InnerOnNonOuter = Header + """
        [BpfMap(DevMap, MaxEntries = 32)]
        [{|MAPGEN011:InnerMap(typeof(TxPorts))|}]
        public partial struct TxPorts;

        [{|MAPGEN011:InnerMap(typeof(TxPorts))|}]
        public partial struct NotAMap;

        [BpfMap(ArrayOfMaps, MaxEntries = 32)]
        [InnerMap(typeof(Counters))]
        public partial struct Tables;

        [BpfMap(BpfMapType.Array, MaxEntries = 32, Value = typeof(ulong))]
        public partial struct Counters;
        """;

    private const string ProgArrayInner = Header + """
        [BpfMap(ProgArray, MaxEntries = 8)]
        public partial struct Jumps;

        [BpfMap(ArrayOfMaps, MaxEntries = 8)]
        [InnerMap({|MAPGEN012:typeof(Jumps)|})]
        public partial struct JumpTables;

        [BpfMap(HashOfMaps, MaxEntries = 8, Key = typeof(uint))]
        [InnerMap({|MAPGEN012:typeof(Jumps)|})]
        public partial struct JumpsByTenant;

        [BpfMap(PerfEventArray, MaxEntries = 8)]
        public partial struct Events;

        [BpfMap(ArrayOfMaps, MaxEntries = 8)]
        [InnerMap(typeof(Events))]
        public partial struct EventTables;
        """;

    private const string OuterAsInner = Header + """
        [BpfMap(BpfMapType.Array, MaxEntries = 4, Value = typeof(ulong))]
        public partial struct Leaf;

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap(typeof(Leaf))]
        public partial struct Level1;

        [BpfMap(HashOfMaps, MaxEntries = 4, Key = typeof(uint))]
        [InnerMap({|MAPGEN013:typeof(Level1)|})]
        public partial struct Level2;

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap({|MAPGEN013:typeof(Level2)|})]
        public partial struct Level3;

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap({|MAPGEN013:typeof(Itself)|})]
        public partial struct Itself;

        [BpfMap(HashOfMaps, MaxEntries = 4, Key = typeof(uint))]
        [InnerMap({|MAPGEN013:typeof(Other)|})]
        public partial struct Mutual;

        [BpfMap(HashOfMaps, MaxEntries = 4, Key = typeof(uint))]
        [InnerMap({|MAPGEN013:typeof(Mutual)|})]
        public partial struct Other;
        """;

    private const string InnerNotAMap = Header + """
        public struct Plain { public uint A; }

        public partial class Klass { }

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap({|MAPGEN014:typeof(Plain)|})]
        public partial struct OfPlain;

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap({|MAPGEN014:typeof(int)|})]
        public partial struct OfInt;

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap({|MAPGEN014:typeof(Klass)|})]
        public partial struct OfClass;

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap(typeof({|CS0246:Nowhere|}))]
        public partial struct OfMissing;
        """;

    private const string InnerTypeNotSupported = Header + """
        [BpfMap(CgroupStorage, Key = typeof(ulong), Value = typeof(ulong))]
        public partial struct PerCgroup;

        [BpfMap(PerCpuCgroupStorage, Key = typeof(ulong), Value = typeof(ulong))]
        public partial struct PerCpuCgroup;

        public struct Ops { public ulong A; }

        [BpfMap(StructOps, MaxEntries = 1, Value = typeof(Ops))]
        public partial struct TcpOps;

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap({|MAPGEN015:typeof(PerCgroup)|})]
        public partial struct A;

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap({|MAPGEN015:typeof(PerCpuCgroup)|})]
        public partial struct B;

        [BpfMap(HashOfMaps, MaxEntries = 4, Key = typeof(uint))]
        [InnerMap({|MAPGEN015:typeof(TcpOps)|})]
        public partial struct C;

        [BpfMap(RingBuf, MaxEntries = 4096)]
        public partial struct Ring;

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap(typeof(Ring))]
        public partial struct Rings;
        """;

    private const string InnerInvalid = Header + """
        [BpfMap(Hash, {|MAPGEN003:MaxEntries = 0|}, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct BrokenInner;

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap({|MAPGEN016:typeof(BrokenInner)|})]
        public partial struct OfBroken;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong))]
        public struct {|MAPGEN001:NotPartialInner|};

        [BpfMap(HashOfMaps, MaxEntries = 4, Key = typeof(uint))]
        [InnerMap({|MAPGEN016:typeof(NotPartialInner)|})]
        public partial struct OfNotPartial;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct GoodInner;

        [BpfMap(HashOfMaps, MaxEntries = 4, Key = typeof(uint))]
        [InnerMap(typeof(GoodInner))]
        public partial struct OfGood;
        """;

    [Fact]
    public Task Outer_maps_need_InnerMap() => Verify.AnalyzerAsync(OuterWithoutInner);

    [Fact]
    public Task InnerMap_on_a_data_map_or_a_plain_struct_is_reported_at_the_attribute() => Verify.AnalyzerAsync(InnerOnNonOuter);

    [Fact]
    public Task ProgArray_is_refused_as_inner_map_at_the_typeof() => Verify.AnalyzerAsync(ProgArrayInner);

    [Fact]
    public Task Outer_maps_are_refused_as_inner_maps_at_any_depth_themselves_included() => Verify.AnalyzerAsync(OuterAsInner);

    [Fact]
    public Task InnerMap_must_name_a_BpfMap_struct() => Verify.AnalyzerAsync(InnerNotAMap);

    [Fact]
    public Task Map_types_without_map_meta_equal_are_refused_as_inner_maps() => Verify.AnalyzerAsync(InnerTypeNotSupported);

    [Fact]
    public Task An_invalid_inner_map_makes_the_outer_map_invalid_too() => Verify.AnalyzerAsync(InnerInvalid);
}
