using MapGen.Analyzers.Tests.Infrastructure;
using MapGen.CodeFixes;

namespace MapGen.Analyzers.Tests;

/// <summary>Before/after of every code fix, fixed one diagnostic at a time and with Fix All.</summary>
public sealed class CodeFixTests
{
    private const string Header = "using MapGen;\nusing static MapGen.BpfMapType;\n";

    private const string NotPartialBefore = Header + """
        [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
        public struct {|MAPGEN001:Counters|};

        [BpfMap(BpfMapType.Array, MaxEntries = 16, Value = typeof(ulong))]
        internal readonly struct {|MAPGEN001:Totals|}
        {
        }

        /// <summary>Kept.</summary>
        [{|CS0592:BpfMap|}(BpfMapType.Array, MaxEntries = 16, Value = typeof(ulong))]
        public sealed class {|MAPGEN001:Slots|};

        [{|CS0592:BpfMap|}(BpfMapType.Array, MaxEntries = 16, Value = typeof(ulong))]
        public record {|MAPGEN001:Events|};

        [{|CS0592:BpfMap|}(BpfMapType.Array, MaxEntries = 16, Value = typeof(ulong))]
        record class {|MAPGEN001:Samples|};
        """;

    private const string NotPartialAfter = Header + """
        [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct Counters;

        [BpfMap(BpfMapType.Array, MaxEntries = 16, Value = typeof(ulong))]
        internal readonly partial struct Totals
        {
        }

        /// <summary>Kept.</summary>
        [BpfMap(BpfMapType.Array, MaxEntries = 16, Value = typeof(ulong))]
        public partial struct Slots;

        [BpfMap(BpfMapType.Array, MaxEntries = 16, Value = typeof(ulong))]
        public partial record struct Events;

        [BpfMap(BpfMapType.Array, MaxEntries = 16, Value = typeof(ulong))]
        partial record struct Samples;
        """;

    private const string GenericNoFix = Header + """
        [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct {|MAPGEN001:Counters|}<T>;
        """;

    private const string ContainersBefore = Header + """
        namespace App;

        public static class {|MAPGEN002:Maps|}
        {
            internal sealed class {|MAPGEN002:Inner|}
            {
                [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
                public partial struct Counters;
            }

        }

        public record {|MAPGEN002:Holder|}
        {
            [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong), Name = "held")]
            public partial struct Held;
        }
        """;

    private const string ContainersAfter = Header + """
        namespace App;

        public static partial class Maps
        {
            internal sealed partial class Inner
            {
                [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
                public partial struct Counters;
            }

        }

        public partial record Holder
        {
            [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong), Name = "held")]
            public partial struct Held;
        }
        """;

    private const string NamesBefore = Header + """
        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN008:Name = "flow-table"|})]
        public partial struct Flows;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN008:Name = "9 lives and more than 15"|})]
        public partial struct Cats;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct {|MAPGEN008:Größe|};
        """;

    private const string NamesAfter = Header + """
        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), Name = "flow_table")]
        public partial struct Flows;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), Name = "_9_lives_and_mo")]
        public partial struct Cats;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), Name = "gr__e")]
        public partial struct Größe;
        """;

    private const string RemovableBefore = Header + """
        [BpfMap(CgroupStorage, {|MAPGEN003:MaxEntries = 8|}, Key = typeof(ulong), Value = typeof(ulong))]
        public partial struct PerCgroup;

        public struct Ops { public ulong A; }

        [BpfMap(StructOps, {|MAPGEN003:MaxEntries = 4|}, Value = typeof(Ops))]
        public partial struct TcpOps;

        [BpfMap(Queue, MaxEntries = 8, {|MAPGEN005:Key = typeof(uint)|}, Value = typeof(ulong))]
        public partial struct Jobs;

        [BpfMap(BpfMapType.Array, MaxEntries = 4, Value = typeof(ulong))]
        public partial struct Leaf;

        [BpfMap(ArrayOfMaps, MaxEntries = 4, {|MAPGEN005:Value = typeof(uint)|})]
        [InnerMap(typeof(Leaf))]
        public partial struct Tables;

        [BpfMap(DevMap, MaxEntries = 32)]
        // The redirect targets.
        [{|MAPGEN011:InnerMap(typeof(Leaf))|}]
        public partial struct TxPorts;
        """;

    private const string RemovableAfter = Header + """
        [BpfMap(CgroupStorage, Key = typeof(ulong), Value = typeof(ulong))]
        public partial struct PerCgroup;

        public struct Ops { public ulong A; }

        [BpfMap(StructOps, MaxEntries = 1, Value = typeof(Ops))]
        public partial struct TcpOps;

        [BpfMap(Queue, MaxEntries = 8, Value = typeof(ulong))]
        public partial struct Jobs;

        [BpfMap(BpfMapType.Array, MaxEntries = 4, Value = typeof(ulong))]
        public partial struct Leaf;

        [BpfMap(ArrayOfMaps, MaxEntries = 4)]
        [InnerMap(typeof(Leaf))]
        public partial struct Tables;

        [BpfMap(DevMap, MaxEntries = 32)]
        // The redirect targets.
        public partial struct TxPorts;
        """;

    [Fact]
    public Task MAPGEN001_makes_the_declaration_a_partial_struct() =>
        Verify.CodeFixAsync<MakePartialStructCodeFixProvider>(NotPartialBefore, NotPartialAfter, MakePartialStructCodeFixProvider.EquivalenceKey);

    [Fact]
    public Task MAPGEN001_offers_no_fix_for_a_generic_struct() =>
        Verify.CodeFixAsync<MakePartialStructCodeFixProvider>(GenericNoFix, GenericNoFix);

    [Fact]
    public Task MAPGEN002_makes_every_containing_type_partial() =>
        Verify.CodeFixAsync<MakeContainingTypePartialCodeFixProvider>(ContainersBefore, ContainersAfter, MakeContainingTypePartialCodeFixProvider.EquivalenceKey);

    [Fact]
    public Task MAPGEN008_replaces_the_name_or_adds_one() =>
        Verify.CodeFixAsync<FixMapNameCodeFixProvider>(NamesBefore, NamesAfter, FixMapNameCodeFixProvider.EquivalenceKey);

    [Fact]
    public Task MAPGEN003_MAPGEN005_MAPGEN011_remove_or_set_the_offending_argument() =>
        Verify.CodeFixAsync<RemoveArgumentCodeFixProvider>(RemovableBefore, RemovableAfter, fixAllIterations: 3);
}
