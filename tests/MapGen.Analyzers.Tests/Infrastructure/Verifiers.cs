using MapGen.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace MapGen.Analyzers.Tests.Infrastructure;

/// <summary>The analyzer under the Microsoft.CodeAnalysis.Testing harness, offline.</summary>
internal sealed class AnalyzerTest : CSharpAnalyzerTest<MapDeclarationAnalyzer, DefaultVerifier>
{
    public AnalyzerTest()
    {
        ReferenceAssemblies = TestReferences.None;
        TestState.AdditionalReferences.AddRange(TestReferences.All);
    }

    protected override CompilationOptions CreateCompilationOptions() => TestReferences.CompilationOptions;

    protected override ParseOptions CreateParseOptions() => TestReferences.ParseOptions;
}

/// <summary>A code fix under the harness, offline: the fix, one by one and with Fix All.</summary>
internal sealed class CodeFixTest<TCodeFix> : CSharpCodeFixTest<MapDeclarationAnalyzer, TCodeFix, DefaultVerifier>
    where TCodeFix : CodeFixProvider, new()
{
    public CodeFixTest()
    {
        ReferenceAssemblies = TestReferences.None;
        TestState.AdditionalReferences.AddRange(TestReferences.All);
        FixedState.AdditionalReferences.AddRange(TestReferences.All);
        BatchFixedState.AdditionalReferences.AddRange(TestReferences.All);
    }

    protected override CompilationOptions CreateCompilationOptions() => TestReferences.CompilationOptions;

    protected override ParseOptions CreateParseOptions() => TestReferences.ParseOptions;
}

internal static class Verify
{
    /// <summary>
    /// Runs the analyzer on <paramref name="markup"/> and expects exactly the marked diagnostics;
    /// then checks the generator against the analyzer on the same source (<see cref="GeneratorCheck"/>).
    /// </summary>
    public static async Task AnalyzerAsync(string markup, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest { TestCode = markup };
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(TestContext.Current.CancellationToken);
        GeneratorCheck.AssertAgreesWithAnalyzer(Markup.Strip(markup), Markup.ExpectedCompilerIds(markup));
    }

    /// <summary>Applies <typeparamref name="TCodeFix"/> to every diagnostic of <paramref name="markup"/>, one by one and with Fix All.</summary>
    public static async Task CodeFixAsync<TCodeFix>(string markup, string fixedMarkup, string? equivalenceKey = null, int? fixAllIterations = null)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CodeFixTest<TCodeFix>
        {
            TestCode = markup,
            FixedCode = fixedMarkup,
            CodeActionEquivalenceKey = equivalenceKey,
        };
        if (fixAllIterations is { } n)
        {
            // One Fix All per equivalence key (one key per diagnostic ID).
            test.NumberOfFixAllIterations = n;
        }

        await test.RunAsync(TestContext.Current.CancellationToken);
        GeneratorCheck.AssertAgreesWithAnalyzer(Markup.Strip(markup), Markup.ExpectedCompilerIds(markup));
        GeneratorCheck.AssertAgreesWithAnalyzer(Markup.Strip(fixedMarkup), Markup.ExpectedCompilerIds(fixedMarkup));
    }

    public static DiagnosticResult Diagnostic(string id) => new DiagnosticResult(id, DiagnosticSeverity.Error);
}
