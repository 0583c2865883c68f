using System.Diagnostics;
using System.Globalization;
using System.Text;
using MapGen.Differential.Tests.Model;

namespace MapGen.Differential.Tests.Fuzzing;

/// <summary>How a run went: what it measured, and the divergence it stopped at (with its report), if any.</summary>
internal sealed record FuzzOutcome(
    int Seed, int PlannedOperations, int Operations, TimeSpan Elapsed, long OuterWrites, int MapsCreated, int MostLiveMaps,
    OperationMix Mix, LockstepResult? Divergence, ShrunkSequence? Shrunk, string Report)
{
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"seed {Seed}: {Operations:N0} operations in {Elapsed.TotalSeconds:F1} s ({Operations / Math.Max(Elapsed.TotalSeconds, 1e-9):N0}/s); "
        + $"{OuterWrites:N0} outer-map writes waiting for an RCU grace period ({100.0 * OuterWrites / Math.Max(Operations, 1):F2} % of the operations); "
        + $"{MapsCreated:N0} maps created, at most {MostLiveMaps} alive at once")
        + Environment.NewLine + "operations by kind: " + Mix;
}

/// <summary>How many operations of each kind a run made, and how many the reference side answered with success.</summary>
internal sealed class OperationMix
{
    private readonly SortedDictionary<string, (int Count, int Answered, int Succeeded)> _kinds = new(StringComparer.Ordinal);

    public void Add(LockstepResult result)
    {
        string kind = result.Step switch
        {
            CreateStep { KeepOpen: false } => "try-create",
            CreateStep { Options.Type: var type } when BpfMapRules.IsOuter(type) => "create-outer",
            WalkStep { WithValues: true } => "dump",
            WalkStep { KernelOrder: true } => "walk-in-kernel-order",
            EnumerateStep { WithValues: true } => "enumerate-entries",
            EnumerateStep => "enumerate-keys",
            UpdateStep or DeleteStep or UpdateBatchStep when result.Maps.Count > 0 && result.Maps[0].IsOuter => "outer-" + Kind(result.Step),
            _ => Kind(result.Step),
        };
        (int count, int answered, int succeeded) = _kinds.GetValueOrDefault(kind);
        _kinds[kind] = (count + 1, answered + (result.Right.Errno is null ? 0 : 1), succeeded + (result.Right.Errno == BpfErrno.None ? 1 : 0));
    }

    /// <summary>
    /// Each kind with its count: for kinds answered with an errno, the share answered with success;
    /// for the others (walks, closes), the share refused with an errno, if any.
    /// </summary>
    public override string ToString() => string.Join(", ", _kinds.Select(k => k.Value switch
    {
        (int count, int answered, int succeeded) when 2 * answered > count =>
            string.Create(CultureInfo.InvariantCulture, $"{k.Key} {count:N0} ({100.0 * succeeded / answered:F0} % None)"),
        (int count, int answered, _) when answered > 0 =>
            string.Create(CultureInfo.InvariantCulture, $"{k.Key} {count:N0} ({100.0 * answered / count:F0} % refused)"),
        (int count, _, _) => string.Create(CultureInfo.InvariantCulture, $"{k.Key} {count:N0}"),
    }));

    /// <summary>The step's kind in kebab case: <c>NextKeyStep</c> is <c>next-key</c>.</summary>
    private static string Kind(ScenarioStep step)
    {
        string name = step.GetType().Name;
        name = name.EndsWith("Step", StringComparison.Ordinal) ? name[..^4] : name;
        return string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));
    }
}

/// <summary>
/// The differential fuzzer: seeded random operations run in lockstep on two runtimes (the emulated
/// one and the kernel), compared after every operation; at the first divergence it shrinks the
/// run to a short sequence that diverges again and writes a report.
/// </summary>
internal static class Fuzzer
{
    public static FuzzOutcome Run(FuzzTarget target, int seed, int operations, int maxShrinkReplays = 300, TimeSpan? shrinkBudget = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var history = new FuzzHistory();
        var mix = new OperationMix();
        LockstepResult? divergence = null;
        int executed = 0;
        int mostLive = 0;
        long outerWrites;
        int mapsCreated;
        string leftName, rightName;
        using (var runner = new LockstepRunner(target))
        {
            leftName = runner.LeftName;
            rightName = runner.RightName;
            var generator = new OperationGenerator(seed, runner.Model);
            while (executed < operations)
            {
                LockstepResult result = runner.Execute(generator.Next(executed));
                executed++;
                history.Add(result);
                mix.Add(result);
                mostLive = Math.Max(mostLive, runner.Model.LiveMaps);
                if (result.Problem is not null)
                {
                    divergence = result;
                    break;
                }
            }

            outerWrites = runner.Model.OuterRcuWaits;
            mapsCreated = runner.Model.MapsCreated;
        }

        TimeSpan elapsed = stopwatch.Elapsed;
        if (divergence is null)
        {
            return new FuzzOutcome(seed, operations, executed, elapsed, outerWrites, mapsCreated, mostLive, mix, null, null, "");
        }

        ShrunkSequence? shrunk = Shrinker.Shrink(target, history.RestrictedToMapsOfLast(), maxShrinkReplays, shrinkBudget ?? TimeSpan.FromSeconds(60));
        string report = Report(seed, operations, divergence, history, shrunk, leftName, rightName);
        return new FuzzOutcome(seed, operations, executed, elapsed, outerWrites, mapsCreated, mostLive, mix, divergence, shrunk, report);
    }

    public static string RerunCommand(int seed, int operations) => string.Create(CultureInfo.InvariantCulture,
        $"{FuzzSettings.SeedVariable}={seed} {FuzzSettings.OperationsVariable}={operations} dotnet test tests/MapGen.Differential.Tests --filter FullyQualifiedName~Fuzz");

    private static string Report(int seed, int operations, LockstepResult divergence, FuzzHistory history, ShrunkSequence? shrunk, string leftName, string rightName)
    {
        int width = Math.Max(leftName.Length, rightName.Length);
        int number = divergence.Step.Number;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"The {leftName} and {rightName} runtimes diverge at operation {number} of seed {seed} ({operations} operations planned).");
        text.AppendLine(CultureInfo.InvariantCulture, $"  operation: {divergence.Step.Describe()}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  {leftName.PadRight(width)}: {divergence.Left.Result}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  {rightName.PadRight(width)}: {divergence.Right.Result}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  problem: {divergence.Problem}");
        text.AppendLine(divergence.Maps.Count == 0
            ? "  maps involved: none"
            : "  maps involved: " + string.Join(", ", divergence.Maps.Select(m => m.Describe())));

        var involved = new HashSet<FuzzMap>(divergence.Maps);
        List<LockstepResult> recent = history.Recent.Where(r => r.Maps.Any(involved.Contains)).TakeLast(30).ToList();
        text.AppendLine(CultureInfo.InvariantCulture, $"Recent operations on those maps ({recent.Count} within the last {FuzzHistory.RecentCapacity} operations):");
        foreach (LockstepResult r in recent)
        {
            AppendResult(text, $"#{r.Step.Number.ToString(CultureInfo.InvariantCulture)}", r, leftName, rightName, width);
        }

        if (shrunk is null)
        {
            text.AppendLine("The operations on those maps, replayed on fresh runtimes, did not diverge at that operation again (the divergence depends on other maps or on timing).");
        }
        else
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Shortest sequence found: {shrunk.Results.Count} of the {shrunk.Candidates} operations on the maps involved, replayed on fresh runtimes, diverges at its last operation ({shrunk.Replays} replays, {shrunk.Elapsed.TotalSeconds:F1} s):");
            for (int i = 0; i < shrunk.Results.Count; i++)
            {
                LockstepResult r = shrunk.Results[i];
                AppendResult(text, $"{(i + 1).ToString(CultureInfo.InvariantCulture)} (#{r.Step.Number.ToString(CultureInfo.InvariantCulture)})", r, leftName, rightName, width);
            }
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Rerun: {RerunCommand(seed, number)}");
        return text.ToString();
    }

    private static void AppendResult(StringBuilder text, string label, LockstepResult r, string leftName, string rightName, int width)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"  {(r.Problem is null ? " " : "*")} {label,-16} {r.Step.Describe()}");
        if (r.Left.Result == r.Right.Result)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"      {"both".PadRight(width)}: {r.Left.Result}");
        }
        else
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"      {leftName.PadRight(width)}: {r.Left.Result}");
            text.AppendLine(CultureInfo.InvariantCulture, $"      {rightName.PadRight(width)}: {r.Right.Result}");
        }
    }
}
