using MapGen.Analyzers.Tests.Infrastructure;

namespace MapGen.Analyzers.Tests;

/// <summary>MAPGEN004, MAPGEN005, MAPGEN006: keys and values.</summary>
public sealed class KeyValueTests
{
    private const string Header = "using System.Runtime.InteropServices;\nusing MapGen;\nusing static MapGen.BpfMapType;\n";

    private const string NoCLayout = Header + """
        [StructLayout(LayoutKind.Auto)]
        public struct AutoKey { public uint A; public ulong B; }

        public struct Generic<T> where T : unmanaged { public T Item; }

        public unsafe struct WithPointer { public int* P; }

        public struct Empty { }

        public struct Good { public uint Ip; public ushort Port; }

        public class Reference { public int A; }

        [BpfMap(Hash, MaxEntries = 8, {|MAPGEN004:Key = typeof(AutoKey)|}, Value = typeof(ulong))]
        public partial struct ByAuto;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), {|MAPGEN004:Value = typeof(string)|})]
        public partial struct ByString;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), {|MAPGEN004:Value = typeof(Generic<int>)|})]
        public partial struct ByGeneric;

        [BpfMap(Hash, MaxEntries = 8, {|MAPGEN004:Key = typeof(WithPointer)|}, Value = typeof(ulong))]
        public partial struct ByPointer;

        [BpfMap(Hash, MaxEntries = 8, {|MAPGEN004:Key = typeof(nint)|}, {|MAPGEN004:Value = typeof(Reference)|})]
        public partial struct ByNint;

        [BpfMap(Hash, MaxEntries = 8, {|MAPGEN004:Key = typeof(Empty)|}, {|MAPGEN004:Value = typeof(decimal)|})]
        public partial struct ByEmpty;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(Good), Value = typeof(ulong))]
        public partial struct ByGood;
        """;

    private const string UnresolvedTypesAreTheCompilers = Header + """
        [BpfMap(Hash, MaxEntries = 8, Key = typeof({|CS0246:Missing|}), Value = typeof(ulong))]
        public partial struct ByMissing;
        """;

    private const string SizeNotAllowed = Header + """
        public struct DevmapVal { public uint IfIndex; public int ProgFd; }

        public struct Twelve { public uint A, B, C; }

        [BpfMap(BpfMapType.Array, MaxEntries = 8, {|MAPGEN005:Key = typeof(ulong)|}, Value = typeof(ulong))]
        public partial struct WideIndex;

        [BpfMap(DevMap, MaxEntries = 8, {|MAPGEN005:Value = typeof(Twelve)|})]
        public partial struct BadPorts;

        [BpfMap(DevMap, MaxEntries = 8, Value = typeof(DevmapVal))]
        public partial struct PortsWithPrograms;

        [BpfMap(DevMapHash, MaxEntries = 8, Key = typeof(int), Value = typeof(uint))]
        public partial struct PortsByIndex;

        [BpfMap(HashOfMaps, MaxEntries = 8, Key = typeof(uint), {|MAPGEN005:Value = typeof(uint)|})]
        [InnerMap(typeof(PortsByIndex))]
        public partial struct Outer;

        [BpfMap(Queue, MaxEntries = 8, {|MAPGEN005:Key = typeof(uint)|}, Value = typeof(ulong))]
        public partial struct Jobs;

        [BpfMap(LpmTrie, MaxEntries = 8, {|MAPGEN005:Key = typeof(uint)|}, Value = typeof(ulong), Flags = BpfMapFlags.NoPrealloc)]
        public partial struct Routes;

        [BpfMap(StackTrace, MaxEntries = 8, {|MAPGEN005:Value = typeof(uint)|})]
        public partial struct Stacks;

        [BpfMap(CgroupStorage, {|MAPGEN005:Key = typeof(uint)|}, Value = typeof(ulong))]
        public partial struct ByCgroup;
        """;

    private const string MissingKeyOrValue = Header + """
        [{|MAPGEN006:BpfMap(Hash, MaxEntries = 8, Value = typeof(ulong))|}]
        public partial struct NoKey;

        [{|MAPGEN006:BpfMap(LruHash, MaxEntries = 8, Key = typeof(uint))|}]
        public partial struct NoValue;

        [{|MAPGEN006:BpfMap(HashOfMaps, MaxEntries = 8)|}]
        [InnerMap(typeof(Counters))]
        public partial struct Tenants;

        [BpfMap(BpfMapType.Array, MaxEntries = 8, Value = typeof(ulong))]
        public partial struct Counters;

        [BpfMap(DevMap, MaxEntries = 8)]
        public partial struct Ports;
        """;

    [Fact]
    public Task Keys_and_values_without_a_C_layout_are_reported_at_their_argument() => Verify.AnalyzerAsync(NoCLayout);

    [Fact]
    public Task Unresolved_types_are_left_to_the_compiler() => Verify.AnalyzerAsync(UnresolvedTypesAreTheCompilers);

    [Fact]
    public Task Sizes_each_map_type_refuses_are_reported() => Verify.AnalyzerAsync(SizeNotAllowed);

    [Fact]
    public Task Hash_like_maps_need_key_and_value() => Verify.AnalyzerAsync(MissingKeyOrValue);
}
