using System.Diagnostics;
using MapGen.Differential.Tests.Model;

namespace MapGen.Differential.Tests.Fuzzing;

/// <summary>A sequence of steps replayed on fresh runtimes whose last step (and no earlier one) diverges.</summary>
internal sealed record ShrunkSequence(IReadOnlyList<LockstepResult> Results, int Candidates, int Replays, TimeSpan Elapsed);

/// <summary>
/// Shrinks a divergent run: the steps on the maps involved, replayed on fresh runtimes, then
/// delta debugging (drop chunks of steps, halving the chunks, while the last step still
/// diverges) within a budget of replays and time, since each replay of outer-map writes costs the
/// kernel RCU grace periods.
/// </summary>
internal static class Shrinker
{
    public static ShrunkSequence? Shrink(FuzzTarget target, List<ScenarioStep> candidates, int maxReplays, TimeSpan budget)
    {
        var stopwatch = Stopwatch.StartNew();
        int replays = 0;
        ScenarioStep failing = candidates[^1];
        List<ScenarioStep> current = candidates[..^1];

        bool Reproduces(List<ScenarioStep> prefix)
        {
            replays++;
            return Replay(target, [.. prefix, failing]) is { } results && results[^1].Problem is not null;
        }

        if (!Reproduces(current))
        {
            return null;
        }

        int granularity = 2;
        while (current.Count > 0 && replays < maxReplays && stopwatch.Elapsed < budget)
        {
            int chunk = (current.Count + granularity - 1) / granularity;
            bool reduced = false;
            for (int start = 0; start < current.Count && replays < maxReplays && stopwatch.Elapsed < budget; start += chunk)
            {
                List<ScenarioStep> complement = [.. current[..start], .. current[Math.Min(start + chunk, current.Count)..]];
                if (Reproduces(complement))
                {
                    current = complement;
                    granularity = Math.Max(granularity - 1, 2);
                    reduced = true;
                    break;
                }
            }

            if (!reduced)
            {
                if (granularity >= current.Count)
                {
                    break;
                }

                granularity = Math.Min(granularity * 2, current.Count);
            }
        }

        IReadOnlyList<LockstepResult>? final = Replay(target, [.. current, failing]);
        replays++;
        return final is not null && final[^1].Problem is not null
            ? new ShrunkSequence(final, candidates.Count, replays, stopwatch.Elapsed)
            : null;
    }

    /// <summary>Runs the steps on fresh runtimes; null when a step before the last one diverges.</summary>
    public static IReadOnlyList<LockstepResult>? Replay(FuzzTarget target, IReadOnlyList<ScenarioStep> steps)
    {
        using var runner = new LockstepRunner(target);
        var results = new List<LockstepResult>(steps.Count);
        foreach (ScenarioStep step in steps)
        {
            LockstepResult result = runner.Execute(step);
            results.Add(result);
            if (result.Problem is not null)
            {
                return ReferenceEquals(step, steps[^1]) ? results : null;
            }
        }

        return results;
    }
}
