extern alias generator;

using System.Collections;
using System.Reflection;
using generator::MapGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace MapGen.Tests.Generator;

/// <summary>
/// The generator caches: an unrelated edit reruns nothing, a change to one map regenerates that
/// map only, and no pipeline value holds a symbol, syntax node, compilation or location.
/// </summary>
public sealed class IncrementalityTests
{
    private const string Maps = """
        using MapGen;

        namespace Demo;

        [BpfMap(BpfMapType.DevMap, MaxEntries = 32)]
        public partial struct TxPorts;

        [BpfMap(BpfMapType.ArrayOfMaps, MaxEntries = 32)]
        [InnerMap(typeof(TxPorts))]
        public partial struct TxPortTables;
        """;

    private const string FlowMaps = """
        using MapGen;

        namespace Demo;

        public struct FlowKey { public uint Src, Dst; public ushort Port; }

        [BpfMap(BpfMapType.Hash, MaxEntries = 1024, Key = typeof(FlowKey), Value = typeof(ulong))]
        public partial struct FlowTable;
        """;

    private const string Unrelated = """
        namespace Demo;

        public static class Helpers
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    private static readonly string[] TrackedSteps = typeof(TrackingNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static | BindingFlags.NonPublic)
        .Where(f => f.IsLiteral)
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToArray();

    [Fact]
    public void Tracking_names_are_found() => Assert.Equal(["Maps", "ValidMaps"], TrackedSteps.Order(StringComparer.Ordinal));

    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached_or_unchanged()
    {
        CSharpCompilation first = GeneratorHarness.Compile(Maps, FlowMaps, Unrelated);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(first, TestContext.Current.CancellationToken);

        SyntaxTree unrelatedTree = first.SyntaxTrees.Single(t => t.ToString().Contains("Helpers", StringComparison.Ordinal));
        SyntaxTree edited = unrelatedTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            Unrelated.Replace("x * 2", "x + x", StringComparison.Ordinal)));
        CSharpCompilation second = first.ReplaceSyntaxTree(unrelatedTree, edited)
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Demo; public sealed class Added { }", GeneratorHarness.ParseOptions, path: "Added.cs", cancellationToken: TestContext.Current.CancellationToken));
        driver = driver.RunGenerators(second, TestContext.Current.CancellationToken);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        foreach (string step in TrackedSteps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");
            foreach (IncrementalGeneratorRunStep run in result.TrackedSteps[step])
            {
                foreach (var (_, reason) in run.Outputs)
                {
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                        $"step {step} output was {reason} after an unrelated edit");
                }
            }
        }

        foreach (var (_, reason) in result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(r => r.Outputs))
        {
            Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"source output was {reason}");
        }
    }

    [Fact]
    public void Changing_one_maps_MaxEntries_regenerates_that_map_only()
    {
        CSharpCompilation first = GeneratorHarness.Compile(Maps, FlowMaps);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(first, TestContext.Current.CancellationToken);
        var before = GeneratorHarness.GeneratedSources(driver).ToDictionary(s => s.HintName, s => s.Source);

        // The inner map changes; the outer map that names it does not, so only the inner is regenerated.
        SyntaxTree mapsTree = first.SyntaxTrees.Single(t => t.ToString().Contains("TxPorts;", StringComparison.Ordinal));
        string changed = Maps.Replace("DevMap, MaxEntries = 32", "DevMap, MaxEntries = 64", StringComparison.Ordinal);
        CSharpCompilation second = first.ReplaceSyntaxTree(mapsTree, mapsTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(changed)));
        driver = driver.RunGenerators(second, TestContext.Current.CancellationToken);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        var reasons = result.TrackedSteps[TrackingNames.ValidMaps]
            .SelectMany(step => step.Outputs)
            .Select(output => (Model: output.Value, output.Reason))
            .ToList();
        var modified = reasons.Where(r => r.Reason == IncrementalStepRunReason.Modified).ToList();
        var modifiedModel = Assert.Single(modified);
        Assert.Contains("TxPorts", modifiedModel.Model.ToString(), StringComparison.Ordinal);
        Assert.All(reasons.Except(modified), r => Assert.True(r.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        var after = GeneratorHarness.GeneratedSources(driver).ToDictionary(s => s.HintName, s => s.Source);
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        var differing = before.Keys.Where(k => before[k] != after[k]).ToList();
        Assert.Equal(["Demo.TxPorts.g.cs"], differing);
    }

    [Fact]
    public void Pipeline_values_hold_no_symbols_syntax_compilations_or_locations()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Maps, FlowMaps);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation, TestContext.Current.CancellationToken);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        int walked = 0;
        foreach (string step in TrackedSteps)
        {
            foreach (IncrementalGeneratorRunStep run in result.TrackedSteps[step])
            {
                foreach (var (value, _) in run.Outputs)
                {
                    AssertNoForbiddenObjects(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
                    walked++;
                }
            }
        }

        Assert.True(walked >= 6, $"only {walked} step outputs were walked");
    }

    [Fact]
    public void The_walker_finds_a_symbol_hidden_in_a_value()
    {
        // Guards the guard: a value that smuggles a symbol must be caught.
        CSharpCompilation compilation = GeneratorHarness.Compile(FlowMaps);
        var smuggled = new { Name = "x", Nested = new List<object> { compilation.GetTypeByMetadataName("Demo.FlowKey")! } };
        Assert.ThrowsAny<Exception>(() => AssertNoForbiddenObjects(smuggled, "test", new HashSet<object>(ReferenceEqualityComparer.Instance)));
    }

    private static void AssertNoForbiddenObjects(object? value, string step, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
        {
            return;
        }

        Assert.False(value is ISymbol or SyntaxNode or Compilation or Location or SemanticModel or SyntaxTree,
            $"step {step} holds a {value.GetType().Name}");
        if (value is IEnumerable enumerable)
        {
            foreach (object? item in enumerable)
            {
                AssertNoForbiddenObjects(item, step, seen);
            }
        }

        for (Type? type = value.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.FieldType.IsPointer)
                {
                    continue;
                }

                AssertNoForbiddenObjects(field.GetValue(value), step, seen);
            }
        }
    }
}
