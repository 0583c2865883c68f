using System.Globalization;

namespace MapGen.Differential.Tests.Fuzzing;

/// <summary>
/// The size of a fuzz run: in CI, fixed seeds of <see cref="CiOperations"/> operations each;
/// longer runs set <c>MAPGEN_FUZZ_SEED</c> (one seed instead of the fixed ones) and
/// <c>MAPGEN_FUZZ_OPERATIONS</c>.
/// </summary>
internal static class FuzzSettings
{
    public const string SeedVariable = "MAPGEN_FUZZ_SEED";
    public const string OperationsVariable = "MAPGEN_FUZZ_OPERATIONS";

    /// <summary>Operations per seed in CI: with two seeds, over 100,000 in all.</summary>
    public const int CiOperations = 60_000;

    /// <summary>The seeds CI runs, each with <see cref="CiOperations"/> operations.</summary>
    public static IReadOnlyList<int> CiSeeds { get; } = [20_251_208, 424_242];

    /// <summary>The seeds to run: the one in <c>MAPGEN_FUZZ_SEED</c>, else <see cref="CiSeeds"/>.</summary>
    public static IReadOnlyList<int> Seeds => Read(SeedVariable) is { } seed ? [seed] : CiSeeds;

    /// <summary>Operations per seed: <c>MAPGEN_FUZZ_OPERATIONS</c>, else <see cref="CiOperations"/>.</summary>
    public static int Operations => Read(OperationsVariable) is { } operations and > 0 ? operations
        : Read(OperationsVariable) is { } invalid ? throw new InvalidOperationException($"{OperationsVariable}={invalid}: the number of operations must be positive.")
        : CiOperations;

    private static int? Read(string variable)
    {
        string? text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new InvalidOperationException($"{variable}='{text}' is not a whole number.");
    }
}
