using MapGen.Differential.Tests.Model;

namespace MapGen.Differential.Tests.Fuzzing;

/// <summary>
/// The operations of a run, kept to explain and shrink a divergence: every step with the maps it
/// named (steps on maps that are long freed are dropped, so a long run stays small), and the last
/// operations with both answers for the report.
/// </summary>
internal sealed class FuzzHistory
{
    /// <summary>How many operations the report can look back on with their answers.</summary>
    public const int RecentCapacity = 512;

    private const int CompactEvery = 16_384;

    private readonly List<Record> _records = [];
    private readonly Queue<LockstepResult> _recent = new();
    private int _sinceCompaction;

    /// <summary>A step and the maps it named.</summary>
    public sealed record Record(ScenarioStep Step, FuzzMap[] Maps);

    public IReadOnlyList<Record> Records => _records;

    public IEnumerable<LockstepResult> Recent => _recent;

    public void Add(LockstepResult result)
    {
        _records.Add(new Record(result.Step, [.. result.Maps]));
        if (_recent.Count == RecentCapacity)
        {
            _recent.Dequeue();
        }

        _recent.Enqueue(result);
        if (++_sinceCompaction == CompactEvery)
        {
            _sinceCompaction = 0;
            int recentFrom = result.Step.Number - RecentCapacity;
            // A freed map is never reached again (it is not reopened by ID while it may linger), so its steps cannot matter to a later divergence.
            _records.RemoveAll(r => r.Step.Number < recentFrom && r.Maps.All(m => m.IsFreed));
        }
    }

    /// <summary>
    /// The steps that lead up to the last one on the maps it names: every kept step that names one
    /// of them, taking in the maps those steps name too (an inner map put into a slot, a template),
    /// until no step adds a map.
    /// </summary>
    public List<ScenarioStep> RestrictedToMapsOfLast()
    {
        var involved = new HashSet<FuzzMap>(_records[^1].Maps);
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (Record record in _records)
            {
                if (record.Maps.Any(involved.Contains))
                {
                    foreach (FuzzMap map in record.Maps)
                    {
                        grew |= involved.Add(map);
                    }
                }
            }
        }

        var steps = new List<ScenarioStep>();
        for (int i = 0; i < _records.Count - 1; i++)
        {
            if (_records[i].Maps.Any(involved.Contains))
            {
                steps.Add(_records[i].Step);
            }
        }

        steps.Add(_records[^1].Step);
        return steps;
    }
}
