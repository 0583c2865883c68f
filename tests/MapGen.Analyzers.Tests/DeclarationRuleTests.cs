using MapGen.Analyzers.Tests.Infrastructure;

namespace MapGen.Analyzers.Tests;

/// <summary>MAPGEN001, MAPGEN002, MAPGEN017, MAPGEN018: what the declaration itself must be.</summary>
public sealed class DeclarationRuleTests
{
    private const string Header = "using MapGen;\nusing static MapGen.BpfMapType;\n";

    private const string NotPartial = Header + """
        [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
        public struct {|MAPGEN001:Counters|};

        [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct GoodCounters;
        """;

    private const string OnClass = Header + """
        [{|CS0592:BpfMap|}(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
        public sealed partial class {|MAPGEN001:Counters|};

        [{|CS0592:BpfMap|}(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
        public partial record {|MAPGEN001:Events|};
        """;

    private const string RefAndGeneric = Header + """
        [BpfMap(BpfMapType.Array, MaxEntries = 4, Value = typeof(ulong))]
        public ref partial struct {|MAPGEN001:Slots|};

        [BpfMap(BpfMapType.Array, MaxEntries = 4, Value = typeof(ulong))]
        public partial struct {|MAPGEN001:Generic|}<T>;

        [BpfMap(BpfMapType.Array, MaxEntries = 4, Value = typeof(ulong))]
        public readonly partial record struct Fine;

        [BpfMap(BpfMapType.Array, MaxEntries = 4, Value = typeof(ulong))]
        public partial record struct {|MAPGEN001:WithParameters|}(int Id);

        [BpfMap(BpfMapType.Array, MaxEntries = 4, Value = typeof(ulong))]
        public partial struct {|MAPGEN001:WithPrimaryConstructor|}(int id)
        {
            public int Id => id;
        }
        """;

    private const string SplitDeclaration = Header + """
        [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct Split;

        public partial struct Split
        {
            public static int Helper => 1;
        }
        """;

    private const string ContainersNotPartial = Header + """
        namespace App;

        public static class {|MAPGEN002:Maps|}
        {
            public partial class Inner
            {
                public class {|MAPGEN002:Innermost|}
                {
                    [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
                    public partial struct Counters;
                }
            }
        }

        public static partial class GoodMaps
        {
            [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong), Name = "good_counters")]
            public partial struct Counters;
        }
        """;

    private const string NamedLikeMembers = Header + """
        [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct {|MAPGEN017:Spec|};

        [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong), Name = "lookup")]
        public partial struct {|MAPGEN017:Lookup|};

        [BpfMap(Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct Specs;
        """;

    private const string UnknownType = Header + """
        [BpfMap({|MAPGEN018:(BpfMapType)99|}, MaxEntries = 1)]
        public partial struct Future;

        [BpfMap({|MAPGEN018:BpfMapType.Unspec|}, MaxEntries = 1)]
        public partial struct Nothing;

        [BpfMap(BpfMapType.Arena, MaxEntries = 16, Flags = BpfMapFlags.Mmapable)]
        public partial struct Shared;
        """;

    private const string NotReferenced = """
        namespace MapGen
        {
            [System.AttributeUsage(System.AttributeTargets.Class)]
            public sealed class InnerMapAttribute : System.Attribute { public InnerMapAttribute(System.Type t) { } }
        }
        """;

    [Fact]
    public Task Map_struct_must_be_partial() => Verify.AnalyzerAsync(NotPartial);

    [Fact]
    public Task Classes_and_record_classes_are_refused_with_the_compiler() => Verify.AnalyzerAsync(OnClass);

    [Fact]
    public Task Ref_structs_and_generic_structs_are_refused() => Verify.AnalyzerAsync(RefAndGeneric);

    [Fact]
    public Task A_map_split_over_partial_declarations_is_valid() => Verify.AnalyzerAsync(SplitDeclaration);

    [Fact]
    public Task Every_containing_type_must_be_partial_and_each_is_reported_at_its_identifier() => Verify.AnalyzerAsync(ContainersNotPartial);

    [Fact]
    public Task Struct_named_like_a_generated_member_is_refused() => Verify.AnalyzerAsync(NamedLikeMembers);

    [Fact]
    public Task Unknown_map_type_numbers_are_reported_at_the_type_argument() => Verify.AnalyzerAsync(UnknownType);

    [Fact]
    public Task Analyzer_does_nothing_without_the_MapGen_attributes()
    {
        var test = new AnalyzerTest { TestCode = NotReferenced };
        test.TestState.AdditionalReferences.Clear();
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        return test.RunAsync(TestContext.Current.CancellationToken);
    }
}
