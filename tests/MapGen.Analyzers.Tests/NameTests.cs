using MapGen.Analyzers.Tests.Infrastructure;

namespace MapGen.Analyzers.Tests;

/// <summary>MAPGEN008 and MAPGEN009: map names.</summary>
public sealed class NameTests
{
    private const string Header = "using MapGen;\nusing static MapGen.BpfMapType;\n";

    private const string InvalidNames = Header + """
        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN008:Name = "flow-table"|})]
        public partial struct Flows;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN008:Name = "a_name_longer_than_15"|})]
        public partial struct Long;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN008:Name = "9lives"|})]
        public partial struct Cats;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), {|MAPGEN008:Name = ""|})]
        public partial struct Nameless;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct {|MAPGEN008:Größe|};

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct CpuStatsByQueueAndMore;

        [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong), Name = "_ok_15_chars__")]
        public partial struct Fine;
        """;

    private const string DuplicateNames = Header + """
        namespace A
        {
            [BpfMap(Hash, MaxEntries = 8, Key = typeof(uint), Value = typeof(ulong))]
            public partial struct {|MAPGEN009:Counters|};
        }

        namespace B
        {
            [BpfMap(BpfMapType.Array, MaxEntries = 8, Value = typeof(ulong))]
            public partial struct {|MAPGEN009:Counters|};

            [BpfMap(BpfMapType.Array, MaxEntries = 8, Value = typeof(ulong), {|MAPGEN009:Name = "counters"|})]
            public partial struct Totals;

            [BpfMap(BpfMapType.Array, MaxEntries = 8, Value = typeof(ulong), Name = "other_counters")]
            public partial struct Others;
        }
        """;

    [Fact]
    public Task Invalid_names_are_reported_at_the_Name_argument_or_the_identifier() => Verify.AnalyzerAsync(InvalidNames);

    [Fact]
    public Task Duplicate_names_are_warned_on_every_declaration() => Verify.AnalyzerAsync(DuplicateNames);
}
