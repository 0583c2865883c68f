using System.Collections.Immutable;
using MapGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace MapGen.Analyzers.Tests.Infrastructure;

/// <summary>
/// What the IDE accepts is exactly what gets generated: runs analyzer and generator on one source
/// and checks that every <c>[BpfMap]</c> struct with a MAPGEN error is not generated, every other
/// one is, nothing throws, and the output compiles with no errors but the expected compiler ones.
/// </summary>
internal static class GeneratorCheck
{
    public static CSharpCompilation Compile(string source) =>
        CSharpCompilation.Create("MapGenAnalyzerTestInput",
            [CSharpSyntaxTree.ParseText(source, TestReferences.ParseOptions, path: "/0/Test0.cs")],
            TestReferences.All, TestReferences.CompilationOptions);

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create([new MapGenerator().AsSourceGenerator()], parseOptions: TestReferences.ParseOptions);

    public static void AssertAgreesWithAnalyzer(string source, IReadOnlySet<string> expectedCompilerErrors)
    {
        CSharpCompilation compilation = Compile(source);
        ImmutableArray<Diagnostic> analyzerDiagnostics = RunAnalyzer(compilation);

        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        GeneratorDriverRunResult run = driver.GetRunResult();
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        Assert.DoesNotContain(generatorDiagnostics, d => d.Id is "CS8784" or "CS8785");

        // A declaration the compiler already refuses (an unresolved typeof) is invalid too, and the analyzer leaves it to the compiler.
        ImmutableArray<Diagnostic> inputErrors = compilation.GetDiagnostics(TestContext.Current.CancellationToken);
        foreach (INamedTypeSymbol map in MapTypes(compilation))
        {
            List<Diagnostic> errors = analyzerDiagnostics.Concat(inputErrors)
                .Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS0592" && Concerns(d, map)).ToList();
            bool generated = output.GetTypeByMetadataName(MetadataName(map)) is { } completed
                && completed.AllInterfaces.Any(i => i.Name == "IBpfMap" && i.ContainingNamespace.ToDisplayString() == "MapGen");
            if (errors.Count != 0)
            {
                Assert.False(generated, $"'{map.ToDisplayString()}' has {string.Join(", ", errors.Select(e => e.Id))} but was generated");
            }
            else
            {
                Assert.True(generated, $"'{map.ToDisplayString()}' has no MAPGEN error but was not generated");
            }
        }

        List<Diagnostic> compilerErrors = output.GetDiagnostics(TestContext.Current.CancellationToken)
            .Where(d => d.Severity == DiagnosticSeverity.Error && !expectedCompilerErrors.Contains(d.Id)).ToList();
        Assert.True(compilerErrors.Count == 0, "unexpected compiler errors:\n" + string.Join("\n", compilerErrors));
    }

    public static ImmutableArray<Diagnostic> RunAnalyzer(Compilation compilation)
    {
        var exceptions = new List<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions([]),
            onAnalyzerException: (e, _, _) => { lock (exceptions) { exceptions.Add(e); } },
            concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        ImmutableArray<Diagnostic> diagnostics = compilation.WithAnalyzers(TestReferences.Analyzers, options)
            .GetAnalyzerDiagnosticsAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult();
        Assert.Empty(exceptions);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics;
    }

    /// <summary>The structs carrying <c>[BpfMap]</c> declared in the compilation.</summary>
    public static IEnumerable<INamedTypeSymbol> MapTypes(Compilation compilation)
    {
        var seen = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            SemanticModel model = compilation.GetSemanticModel(tree);
            foreach (BaseTypeDeclarationSyntax declaration in tree.GetRoot().DescendantNodes().OfType<BaseTypeDeclarationSyntax>())
            {
                if (model.GetDeclaredSymbol(declaration) is INamedTypeSymbol type
                    && type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "MapGen.BpfMapAttribute")
                    && seen.Add(type))
                {
                    yield return type;
                }
            }
        }
    }

    /// <summary>Whether a diagnostic is about <paramref name="map"/>: inside one of its declarations, or on a containing type's identifier.</summary>
    private static bool Concerns(Diagnostic diagnostic, INamedTypeSymbol map)
    {
        if (!diagnostic.Location.IsInSource)
        {
            return false;
        }

        TextSpan span = diagnostic.Location.SourceSpan;
        SyntaxTree? tree = diagnostic.Location.SourceTree;
        if (map.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == tree && r.Span.Contains(span)))
        {
            return true;
        }

        return diagnostic.Id == "MAPGEN002"
            && ContainingTypes(map).Any(c => c.Locations.Any(l => l.SourceTree == tree && l.SourceSpan == span));
    }

    private static IEnumerable<INamedTypeSymbol> ContainingTypes(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? c = type.ContainingType; c is not null; c = c.ContainingType)
        {
            yield return c;
        }
    }

    private static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (INamedTypeSymbol? c = type.ContainingType; c is not null; c = c.ContainingType)
        {
            name = c.MetadataName + "+" + name;
        }

        return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + name : name;
    }
}
