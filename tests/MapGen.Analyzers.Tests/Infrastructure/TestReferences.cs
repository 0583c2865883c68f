using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using MapGen.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace MapGen.Analyzers.Tests.Infrastructure;

/// <summary>
/// Fixed, offline references for every test: the .NET 10 reference assemblies of
/// Basic.Reference.Assemblies and the MapGen runtime. Nothing is downloaded.
/// </summary>
internal static class TestReferences
{
    /// <summary>A target framework with no package to resolve: the references come from <see cref="All"/>.</summary>
    public static readonly ReferenceAssemblies None = new("net10.0");

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    public static readonly CSharpCompilationOptions CompilationOptions = new(
        OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable);

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyAll = new(() =>
        [.. Net100.References.All, MetadataReference.CreateFromFile(typeof(BpfMap).Assembly.Location)]);

    public static ImmutableArray<MetadataReference> All => LazyAll.Value;

    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = [new MapDeclarationAnalyzer()];
}
