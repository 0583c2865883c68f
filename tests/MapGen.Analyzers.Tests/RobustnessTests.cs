using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using MapGen.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace MapGen.Analyzers.Tests;

/// <summary>
/// Broken code is what an IDE sees most: every test source, mutated token by token (seeded:
/// deletes, duplicates, swaps), goes through the generator and the analyzer, and nothing may
/// escape from either (no AD0001, CS8784, CS8785). A plain loop over shared references, not the
/// per-test harness, so that thousands of compilations take seconds.
/// </summary>
public sealed class RobustnessTests(ITestOutputHelper output)
{
    private const int Compilations = 5000;
    private const int Seed = 20251130;
    private static long s_generatorTicks;
    private static long s_analyzerTicks;

    private static readonly Lazy<CSharpCompilation> BaseCompilation = new(() =>
    {
        // The references the sources use, not all 160 reference assemblies: every new compilation
        // merges the namespaces of its references, and few references keep that cheap.
        MetadataReference[] references =
        [
            Basic.Reference.Assemblies.Net100.References.SystemRuntime,
            Basic.Reference.Assemblies.Net100.References.SystemRuntimeInteropServices,
            TestReferences.All[^1],
        ];
        CSharpCompilation empty = CSharpCompilation.Create("Mutated", [], references, TestReferences.CompilationOptions);
        _ = empty.GetTypeByMetadataName("MapGen.BpfMapAttribute");
        return empty;
    });

    [Fact]
    public async Task Mutated_sources_never_make_the_generator_or_the_analyzer_throw()
    {
        IReadOnlyList<string> corpus = Corpus();
        Assert.True(corpus.Count >= 25, $"only {corpus.Count} test sources were found");

        var failures = new List<string>();
        int done = 0;
        var clock = Stopwatch.StartNew();
        // Awaited, not blocked on: the analyzer driver is asynchronous, and blocking pool threads starves it.
        await Parallel.ForEachAsync(Enumerable.Range(0, Compilations), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (i, _) =>
        {
            var random = new Random(Seed + i);
            string source = Mutate(corpus[i % corpus.Count], random);
            string? failure = await RunAsync(source);
            Interlocked.Increment(ref done);
            if (failure is not null)
            {
                lock (failures)
                {
                    failures.Add($"mutation {i} (seed {Seed + i}): {failure}\n--- source ---\n{source}");
                }
            }
        });
        clock.Stop();

        output.WriteLine($"{done} mutated compilations from {corpus.Count} sources: generator and analyzer in {clock.Elapsed.TotalSeconds:F1} s ({clock.Elapsed.TotalMilliseconds / done:F2} ms each)");
        output.WriteLine($"time spent (all threads): generator {Stopwatch.GetElapsedTime(0, s_generatorTicks).TotalSeconds:F1} s, analyzer {Stopwatch.GetElapsedTime(0, s_analyzerTicks).TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, $"{failures.Count} failures; first:\n{failures.FirstOrDefault()}");
        Assert.Equal(Compilations, done);
    }

    /// <summary>Every source the other tests use: the <c>const string</c> fields of the test classes, markup stripped.</summary>
    internal static IReadOnlyList<string> Corpus() =>
        typeof(RobustnessTests).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => Markup.Strip((string)f.GetRawConstantValue()!))
            .Where(s => s.Contains("[BpfMap", StringComparison.Ordinal) || s.Contains("InnerMap", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();

    /// <summary>One to four token edits: delete a token, duplicate one, or swap two.</summary>
    internal static string Mutate(string source, Random random)
    {
        List<string> tokens = CSharpSyntaxTree.ParseText(source, TestReferences.ParseOptions).GetRoot()
            .DescendantTokens(descendIntoTrivia: false).Select(t => t.ToFullString()).ToList();
        int edits = random.Next(1, 5);
        for (int e = 0; e < edits && tokens.Count > 1; e++)
        {
            int i = random.Next(tokens.Count);
            switch (random.Next(3))
            {
                case 0:
                    tokens.RemoveAt(i);
                    break;
                case 1:
                    tokens.Insert(i, tokens[i]);
                    break;
                default:
                    int j = random.Next(2) == 0 ? Math.Min(i + 1, tokens.Count - 1) : random.Next(tokens.Count);
                    (tokens[i], tokens[j]) = (tokens[j], tokens[i]);
                    break;
            }
        }

        return string.Concat(tokens);
    }

    /// <summary>Runs generator and analyzer on one source; the failure, or null.</summary>
    private static async Task<string?> RunAsync(string source)
    {
        // Only the syntax tree changes: the compilation reuses the references already bound.
        Compilation compilation = BaseCompilation.Value.AddSyntaxTrees(CSharpSyntaxTree.ParseText(source, TestReferences.ParseOptions));

        long t0 = Stopwatch.GetTimestamp();
        GeneratorDriver driver = GeneratorCheck.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out _, out ImmutableArray<Diagnostic> generatorDiagnostics);
        Exception? generatorException = driver.GetRunResult().Results.Select(r => r.Exception).FirstOrDefault(e => e is not null);
        if (generatorException is not null)
        {
            return "generator threw " + generatorException;
        }

        if (generatorDiagnostics.FirstOrDefault(d => d.Id is "CS8784" or "CS8785") is { } generatorFailure)
        {
            return generatorFailure.ToString();
        }

        Interlocked.Add(ref s_generatorTicks, Stopwatch.GetTimestamp() - t0);
        t0 = Stopwatch.GetTimestamp();
        Exception? analyzerException = null;
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]),
            onAnalyzerException: (e, _, _) => analyzerException ??= e, concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        ImmutableArray<Diagnostic> diagnostics = await compilation.WithAnalyzers(TestReferences.Analyzers, options)
            .GetAnalyzerDiagnosticsAsync();
        Interlocked.Add(ref s_analyzerTicks, Stopwatch.GetTimestamp() - t0);
        if (analyzerException is not null)
        {
            return "analyzer threw " + analyzerException;
        }

        return diagnostics.FirstOrDefault(d => d.Id == "AD0001")?.ToString();
    }
}
