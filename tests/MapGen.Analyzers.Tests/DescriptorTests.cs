using System.Reflection;
using MapGen.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace MapGen.Analyzers.Tests;

/// <summary>The catalogue: one descriptor per ID, help pages, release tracking, messages.</summary>
public sealed class DescriptorTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    public static TheoryData<string> Ids() => [.. Enumerable.Range(1, 18).Select(i => $"MAPGEN{i:000}")];

    [Fact]
    public void Every_id_has_exactly_one_descriptor_and_the_analyzer_supports_it()
    {
        var analyzer = new MapDeclarationAnalyzer();
        Assert.Equal(Ids().Select(d => (string)d.Data), analyzer.SupportedDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_follows_the_catalogue(string id)
    {
        DiagnosticDescriptor descriptor = new MapDeclarationAnalyzer().SupportedDiagnostics.Single(d => d.Id == id);
        Assert.Equal("MapGen", descriptor.Category);
        Assert.True(descriptor.IsEnabledByDefault);
        Assert.Equal(id == "MAPGEN009" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, descriptor.DefaultSeverity);
        Assert.Equal($"https://github.com/mapgen/mapgen/blob/main/docs/diagnostics/{id}.md", descriptor.HelpLinkUri);
        Assert.Equal(id == "MAPGEN009", descriptor.CustomTags.Contains(WellKnownDiagnosticTags.CompilationEnd));
        Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.EndsWith(".", descriptor.Description.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Help_page_exists_and_shows_the_rule_the_kernel_and_a_fix(string id)
    {
        string page = File.ReadAllText(Path.Combine(RepoRoot, "docs", "diagnostics", id + ".md"));
        Assert.StartsWith($"# {id}:", page, StringComparison.Ordinal);
        foreach (string section in new[] { "## Rule", "## Kernel behaviour", "## Example", "## Fix" })
        {
            Assert.Contains(section, page, StringComparison.Ordinal);
        }

        string index = File.ReadAllText(Path.Combine(RepoRoot, "docs", "diagnostics", "README.md"));
        Assert.Contains($"[{id}]({id}.md)", index, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Release_tracking_lists_the_rule(string id)
    {
        string unshipped = File.ReadAllText(Path.Combine(RepoRoot, "src", "Analyzers", "AnalyzerReleases.Unshipped.md"));
        Assert.Contains($"{id} | MapGen | {(id == "MAPGEN009" ? "Warning" : "Error")} |", unshipped, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Messages_say_what_is_wrong_and_what_to_do()
    {
        const string source = "using MapGen;\nusing static MapGen.BpfMapType;\n" + """
            [BpfMap(ProgArray, MaxEntries = 8)]
            public partial struct Jumps;

            [BpfMap(ArrayOfMaps, MaxEntries = 8)]
            [InnerMap(typeof(Jumps))]
            public partial struct JumpTables;

            [BpfMap(Hash, MaxEntries = 0, Key = typeof(uint), Value = typeof(ulong), Name = "flow-table")]
            public partial struct Flows;

            [BpfMap(BpfMapType.Array, MaxEntries = 8, Key = typeof(ulong), Value = typeof(ulong), Flags = BpfMapFlags.NoPrealloc)]
            public partial struct Slots;
            """;
        var messages = GeneratorCheck.RunAnalyzer(GeneratorCheck.Compile(source))
            .OrderBy(d => d.Location.SourceSpan.Start).Select(d => $"{d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}").ToList();
        Assert.Equal(
        [
            "MAPGEN012: 'Jumps' is a ProgArray map, which the kernel refuses as an inner map (ENOTSUPP) because the program type of a program array is bound only when it is used; name another map type in [InnerMap]",
            "MAPGEN003: Hash maps need MaxEntries of at least 1, but it is 0; set MaxEntries to the number of entries the map must hold",
            "MAPGEN008: The map name 'flow-table' is not a valid map name, which is a C identifier of at most 15 characters (letters, digits and '_', not starting with a digit); use 'flow_table' instead",
            "MAPGEN005: The key of an Array map must be exactly 4 bytes (a uint), but 'ulong' is 8 bytes; use a key type of an allowed size",
            "MAPGEN007: Array maps do not accept NoPrealloc (EINVAL); remove it (Array maps accept NumaNode, RdOnly, WrOnly, RdOnlyProg, WrOnlyProg, Mmapable, InnerMap)",
        ], messages);
    }

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "MapGen.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("MapGen.sln not found above " + AppContext.BaseDirectory);
    }
}
