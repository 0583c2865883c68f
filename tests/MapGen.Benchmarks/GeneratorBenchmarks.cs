extern alias generator;

using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Basic.Reference.Assemblies;
using BenchmarkDotNet.Attributes;
using generator::MapGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace MapGen.Benchmarks;

/// <summary>
/// The generator on a compilation of 1,000 map declarations: a first run, a rerun after an
/// unrelated edit, and, for scale, emitting that compilation with its generated code.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const int Declarations = 1000;
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private ImmutableArray<MetadataReference> _references;
    private SyntaxTree[] _trees = [];
    private SyntaxTree[] _editedTrees = [];
    private SyntaxTree[] _generatedTrees = [];
    private GeneratorDriver _warmDriver = null!;
    private GeneratorDriver _warmFloorDriver = null!;

    [GlobalSetup]
    public void Setup()
    {
        _references = [.. Net100.References.All, MetadataReference.CreateFromFile(typeof(BpfMap).Assembly.Location)];
        _trees = Enumerable.Range(0, Declarations / 10).Select(i => CSharpSyntaxTree.ParseText(Source(i), ParseOptions, path: $"Maps{i}.cs")).ToArray();
        SyntaxTree unrelated = CSharpSyntaxTree.ParseText("namespace Bench; public static class Helper { public static int F(int x) => x * 2; }", ParseOptions, path: "Helper.cs");
        _trees = [.. _trees, unrelated];
        _editedTrees = [.. _trees[..^1], unrelated.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("namespace Bench; public static class Helper { public static int F(int x) => x + x; }"))];

        GeneratorDriver driver = NewDriver().RunGenerators(Compile(_trees));
        GeneratorDriverRunResult result = driver.GetRunResult();
        if (result.GeneratedTrees.Length != Declarations || result.Diagnostics.Length != 0)
        {
            throw new InvalidOperationException($"Expected {Declarations} generated files, got {result.GeneratedTrees.Length} and {result.Diagnostics.Length} diagnostics.");
        }

        _generatedTrees = [.. result.GeneratedTrees];
        _warmDriver = driver;
        _warmFloorDriver = CSharpGeneratorDriver.Create([new FindMapsOnlyGenerator().AsSourceGenerator()], parseOptions: ParseOptions).RunGenerators(Compile(_trees));
        var problems = Compile([.. _trees, .. _generatedTrees]).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (problems.Count != 0)
        {
            throw new InvalidOperationException("The benchmark input does not compile: " + problems[0]);
        }
    }

    /// <summary>The generator's first run over a fresh compilation.</summary>
    [Benchmark(Baseline = true)]
    public GeneratorDriver FirstRun() => NewDriver().RunGenerators(Compile(_trees));

    /// <summary>A rerun after an edit elsewhere: every map is cached.</summary>
    [Benchmark]
    public GeneratorDriver RerunAfterUnrelatedEdit() => _warmDriver.RunGenerators(Compile(_editedTrees));

    /// <summary>
    /// For scale: the same rerun with a generator that only finds the declarations, through the
    /// same <c>ForAttributeWithMetadataName</c>, and keeps their names. After any edit Roslyn
    /// binds every <c>[BpfMap]</c> declaration again to give such a generator its symbols, so this
    /// is the floor of a rerun for every generator built that way, MapGen's included.
    /// </summary>
    [Benchmark]
    public GeneratorDriver RerunFloor_FindMapsOnly() => _warmFloorDriver.RunGenerators(Compile(_editedTrees));

    /// <summary>Emitting the fresh compilation with its generated code to IL.</summary>
    [Benchmark]
    public bool EmitWithGeneratedCode()
    {
        using var stream = new MemoryStream();
        return Compile([.. _trees, .. _generatedTrees]).Emit(stream).Success;
    }

    private CSharpCompilation Compile(IEnumerable<SyntaxTree> trees) =>
        CSharpCompilation.Create("Bench", trees, _references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, optimizationLevel: OptimizationLevel.Release));

    private static CSharpGeneratorDriver NewDriver() =>
        CSharpGeneratorDriver.Create([new MapGenerator().AsSourceGenerator()], parseOptions: ParseOptions);

    /// <summary>
    /// Finds the <c>[BpfMap]</c> declarations as MapGen's generator does and emits one line per map:
    /// what is left of a rerun when the generator's own work costs nothing.
    /// </summary>
    private sealed class FindMapsOnlyGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<string> names = context.SyntaxProvider.ForAttributeWithMetadataName(
                "MapGen.BpfMapAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                static (context, _) => context.TargetSymbol.ToDisplayString());
            context.RegisterSourceOutput(names, static (context, name) => context.AddSource(name + ".g.cs", "// " + name));
        }
    }

    /// <summary>Ten declarations of mixed shapes per file.</summary>
    private static string Source(int file)
    {
        var b = new StringBuilder();
        b.AppendLine("using MapGen;").AppendLine(CultureInfo.InvariantCulture, $"namespace Bench.N{file};");
        b.AppendLine("public struct Key { public uint A; public ushort B; public byte C; }");
        b.AppendLine("public struct Value { public ulong Packets, Bytes; public int Flags; }");
        for (int i = 0; i < 10; i++)
        {
            string name = $"Map{file}_{i}";
            b.AppendLine((i % 5) switch
            {
                0 => $"[BpfMap(BpfMapType.Hash, MaxEntries = {1000 + i}, Key = typeof(Key), Value = typeof(Value), Name = \"h{file}_{i}\")] public partial struct {name};",
                1 => $"[BpfMap(BpfMapType.Array, MaxEntries = {10 + i}, Value = typeof(Value), Name = \"a{file}_{i}\")] public partial struct {name};",
                2 => $"[BpfMap(BpfMapType.DevMap, MaxEntries = 64, Name = \"d{file}_{i}\")] public partial struct {name};",
                3 => $"[BpfMap(BpfMapType.ArrayOfMaps, MaxEntries = 8, Name = \"o{file}_{i}\")][InnerMap(typeof(Map{file}_{i - 1}))] public partial struct {name};",
                _ => $"[BpfMap(BpfMapType.HashOfMaps, MaxEntries = 8, Key = typeof(Key), Name = \"x{file}_{i}\")][InnerMap(typeof(Map{file}_{i - 4}))] public partial struct {name};",
            });
        }

        return b.ToString();
    }
}
