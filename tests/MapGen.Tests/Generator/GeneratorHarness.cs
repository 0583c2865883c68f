extern alias generator;

using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using generator::MapGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace MapGen.Tests.Generator;

/// <summary>Builds compilations against fixed .NET 10 reference assemblies and the MapGen runtime, and runs the generator on them.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() =>
        [.. Net100.References.All, MetadataReference.CreateFromFile(typeof(BpfMap).Assembly.Location)]);

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    public static CSharpCompilation Compile(params string[] sources) =>
        CSharpCompilation.Create(
            "MapGenTestInput",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Input{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new MapGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once; returns the driver (for reruns) and the output compilation.</summary>
    public static (GeneratorDriver Driver, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(CSharpCompilation compilation)
    {
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return (driver, output, diagnostics);
    }

    /// <summary>The generated sources, by hint name, in ordinal order.</summary>
    public static IReadOnlyList<(string HintName, string Source)> GeneratedSources(GeneratorDriver driver) =>
        driver.GetRunResult().Results
            .SelectMany(r => r.GeneratedSources)
            .Select(s => (s.HintName, s.SourceText.ToString()))
            .OrderBy(s => s.HintName, StringComparer.Ordinal)
            .ToList();

    /// <summary>Errors and warnings of a compilation, excluding the ones tests expect.</summary>
    public static IReadOnlyList<Diagnostic> ProblemsOf(Compilation compilation) =>
        compilation.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .ToList();
}
