using MapGen.Differential.Tests.Model;

namespace MapGen.Differential.Tests.Scenarios;

/// <summary>
/// Every scenario, by name. Each covers one rule of SPEC section 3 (or guards a divergence once
/// found between the emulated and the native runtime, named <c>regression.*</c>), and every step
/// carries the errno Linux 6.18 gives.
/// </summary>
public static partial class Catalog
{
    private static readonly Lazy<IReadOnlyDictionary<string, Scenario>> s_all = new(Build);

    public static IReadOnlyDictionary<string, Scenario> All => s_all.Value;

    public static Scenario Get(string name) => All[name];

    private static Dictionary<string, Scenario> Build()
    {
        var all = new Dictionary<string, Scenario>(StringComparer.Ordinal);
        IEnumerable<Scenario> scenarios = ArrayScenarios()
            .Concat(HashScenarios())
            .Concat(LruScenarios())
            .Concat(DevMapScenarios())
            .Concat(ProgArrayScenarios())
            .Concat(OuterScenarios())
            .Concat(FlagScenarios())
            .Concat(HandleScenarios())
            .Concat(BatchScenarios())
            .Concat(OrderScenarios())
            .Concat(RegressionScenarios());
        foreach (Scenario scenario in scenarios)
        {
            if (!all.TryAdd(scenario.Name, scenario))
            {
                throw new InvalidOperationException($"Two scenarios are named '{scenario.Name}'.");
            }
        }

        return all;
    }
}
