using MapGen.Differential.Tests.Model;

namespace MapGen.Differential.Tests.Fuzzing;

/// <summary>What one step did on both sides, and why the sides disagree (null when they agree).</summary>
internal sealed record LockstepResult(ScenarioStep Step, TranscriptEntry Left, TranscriptEntry Right, string? Problem, IReadOnlyList<FuzzMap> Maps);

/// <summary>
/// Runs steps on two runtimes in lockstep and judges every step: errnos and bytes must be equal
/// (IDs and fds through the interpreter's symbols; hash walks as sets, or in order where the order
/// is the kernel's), except on LRU maps, which each side evicts as its own LRU decides: those are
/// judged by invariants on each side (never more than max entries, a key just written is present,
/// a lookup that hits returns the last value written for that key, no E2BIG). Then the model
/// follows the answers.
/// </summary>
internal sealed class LockstepRunner : IDisposable
{
    private readonly FuzzSide _left;
    private readonly FuzzSide _right;

    /// <summary>Per side: the LRU key the previous step wrote successfully (map number, key hex), which a lookup next must find.</summary>
    private readonly (int Map, string Key)?[] _justWritten = new (int, string)?[2];

    public LockstepRunner(FuzzTarget target)
    {
        _left = target.Left();
        try
        {
            _right = target.Right();
        }
        catch
        {
            _left.Dispose();
            throw;
        }
    }

    public FuzzModel Model { get; } = new();

    public string LeftName => _left.Name;

    public string RightName => _right.Name;

    public LockstepResult Execute(ScenarioStep step)
    {
        int slots = StepHandles.SlotsNeeded(step);
        TranscriptEntry left = _left.Execute(step, slots);
        TranscriptEntry right = _right.Execute(step, slots);
        var maps = new List<FuzzMap>(Model.MapsNamedBy(step));
        string? problem = Judge(step, left, right);
        if (problem is null)
        {
            FuzzMap? lru = Model.OpenTarget(step) is { IsLru: true } target ? target : null;
            Model.Apply(step, left, right, _right.Open);
            RememberLruWrite(step, lru, left, right);
            if (StepHandles.Result(step) is { } result && Model.HandleAt(result)?.Map is { } opened && !maps.Contains(opened))
            {
                maps.Add(opened);
            }
        }

        return new LockstepResult(step, left, right, problem, maps);
    }

    public void Dispose()
    {
        _left.Dispose();
        _right.Dispose();
    }

    private string? Judge(ScenarioStep step, TranscriptEntry left, TranscriptEntry right)
    {
        var problems = new List<string>();
        if (left.Violation is { } leftViolation)
        {
            problems.Add($"invariant broken on {_left.Name}: {leftViolation}");
        }

        if (right.Violation is { } rightViolation)
        {
            problems.Add($"invariant broken on {_right.Name}: {rightViolation}");
        }

        if (Model.OpenTargetHandle(step) is { Map.IsLru: true } lru
            && step is LookupStep or UpdateStep or DeleteStep or NextKeyStep or WalkStep or EnumerateStep or UpdateBatchStep
                or LookupAndDeleteStep or DeleteBatchStep or DrainStep)
        {
            if (CheckLru(FuzzModel.LeftSide, lru, step, left) is { } leftProblem)
            {
                problems.Add($"LRU invariant broken on {_left.Name}: {leftProblem}");
            }

            if (CheckLru(FuzzModel.RightSide, lru, step, right) is { } rightProblem)
            {
                problems.Add($"LRU invariant broken on {_right.Name}: {rightProblem}");
            }

            if (problems.Count == 0 && left.Result != right.Result && !LruSidesMayDiffer(step, left, right))
            {
                problems.Add("the results differ (beyond what LRU eviction explains)");
            }
        }
        else if (left.Result != right.Result)
        {
            problems.Add("the results differ");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>Answers that depend on which elements a side's LRU kept.</summary>
    private static bool LruSidesMayDiffer(ScenarioStep step, TranscriptEntry left, TranscriptEntry right)
    {
        BpfErrno[] allowed = step switch
        {
            LookupStep or DeleteStep or NextKeyStep or LookupAndDeleteStep or DeleteBatchStep => [BpfErrno.None, BpfErrno.ENOENT],
            DrainStep => [BpfErrno.None],
            UpdateStep => [BpfErrno.None, BpfErrno.EEXIST, BpfErrno.ENOENT],
            _ => [],
        };
        if (step is WalkStep or EnumerateStep)
        {
            return left.Errno is null && right.Errno is null && !left.Output.StartsWith("threw", StringComparison.Ordinal)
                && !right.Output.StartsWith("threw", StringComparison.Ordinal);
        }

        return left.Errno is { } l && right.Errno is { } r && allowed.Contains(l) && allowed.Contains(r);
    }

    /// <summary>The LRU invariants of one side's answer, against what that side wrote.</summary>
    private string? CheckLru(int side, FuzzHandle handle, ScenarioStep step, TranscriptEntry entry)
    {
        FuzzMap map = handle.Map;
        Dictionary<string, string> written = map.LastWritten[side];
        switch (step)
        {
            case LookupStep s:
                string key = Convert.ToHexStringLower(s.Key);
                if (entry.Errno == BpfErrno.None)
                {
                    if (!written.TryGetValue(key, out string? last))
                    {
                        return $"lookup found key {key}, which was not written since it was last deleted";
                    }

                    if (entry.Output != last)
                    {
                        return $"lookup of key {key} gave {entry.Output}; the last value written was {last}";
                    }
                }
                else if (entry.Errno == BpfErrno.ENOENT && _justWritten[side] == (map.Number, key))
                {
                    return $"key {key}, written successfully by the previous operation, is missing";
                }

                return null;
            case LookupAndDeleteStep s when entry.Errno == BpfErrno.None:
                string taken = Convert.ToHexStringLower(s.Key);
                if (!written.TryGetValue(taken, out string? lastTaken))
                {
                    return $"lookup-and-delete took key {taken}, which was not written since it was last deleted";
                }

                return entry.Output == lastTaken ? null : $"lookup-and-delete of key {taken} gave {entry.Output}; the last value written was {lastTaken}";
            case DrainStep when entry.Errno == BpfErrno.None:
                // A drain lists what it took as a dump does: each key once, each with the last value written.
                return CheckListing(map, written, entry.Output, withValues: true);
            case UpdateBatchStep when entry.Errno == BpfErrno.E2BIG:
                return "a batch failed with E2BIG (an LRU map evicts instead)";
            case UpdateStep s:
                if (entry.Errno == BpfErrno.E2BIG)
                {
                    return "an update failed with E2BIG (an LRU map evicts instead)";
                }

                if (entry.Errno == BpfErrno.EEXIST && !written.ContainsKey(Convert.ToHexStringLower(s.Key)))
                {
                    return $"EEXIST for key {Convert.ToHexStringLower(s.Key)}, which was not written since it was last deleted";
                }

                return null;
            case DeleteStep s:
                return entry.Errno == BpfErrno.None && !written.ContainsKey(Convert.ToHexStringLower(s.Key))
                    ? $"deleted key {Convert.ToHexStringLower(s.Key)}, which was not written since it was last deleted"
                    : null;
            case NextKeyStep:
                return entry.Errno == BpfErrno.None && entry.Output != "<a key of the map>" ? $"get_next_key gave {entry.Output}" : null;
            // Through a write-only fd a walk ends with EPERM at once, on both sides alike.
            case WalkStep w when handle.CanRead:
                return entry.Errno is null && !entry.Output.StartsWith("threw", StringComparison.Ordinal) ? CheckListing(map, written, entry.Output, w.WithValues) : null;
            case EnumerateStep e when handle.CanRead:
                return entry.Errno is null && !entry.Output.StartsWith("threw", StringComparison.Ordinal) ? CheckListing(map, written, entry.Output, e.WithValues) : null;
            default:
                return null;
        }
    }

    /// <summary>A walk, dump or enumeration of an LRU map: ends, within max entries, each key once, only keys (and values) written last.</summary>
    private static string? CheckListing(FuzzMap map, Dictionary<string, string> written, string output, bool withValues)
    {
        const string endedWith = " (walk ended with ";
        int end = output.IndexOf(endedWith, StringComparison.Ordinal);
        if (end >= 0)
        {
            return $"the walk did not end with ENOENT:{output[end..]}";
        }

        string[] items = output == "-" ? [] : output.Split(',');
        if (items.Length > map.Info.MaxEntries)
        {
            return $"{items.Length} elements in a map of max entries {map.Info.MaxEntries}";
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (string item in items)
        {
            int equals = item.IndexOf('=', StringComparison.Ordinal);
            string key = withValues && equals >= 0 ? item[..equals] : item;
            if (!keys.Add(key))
            {
                return $"key {key} listed twice";
            }

            if (!written.TryGetValue(key, out string? last))
            {
                return $"key {key} listed, which was not written since it was last deleted";
            }

            if (withValues && item[(equals + 1)..] != last)
            {
                return $"key {key} listed with {item[(equals + 1)..]}; the last value written was {last}";
            }
        }

        return null;
    }

    private void RememberLruWrite(ScenarioStep step, FuzzMap? lru, TranscriptEntry left, TranscriptEntry right)
    {
        if (lru is not null && step is UpdateStep update)
        {
            string key = Convert.ToHexStringLower(update.Key);
            _justWritten[FuzzModel.LeftSide] = left.Errno == BpfErrno.None ? (lru.Number, key) : null;
            _justWritten[FuzzModel.RightSide] = right.Errno == BpfErrno.None ? (lru.Number, key) : null;
        }
        else
        {
            _justWritten[FuzzModel.LeftSide] = null;
            _justWritten[FuzzModel.RightSide] = null;
        }
    }
}
