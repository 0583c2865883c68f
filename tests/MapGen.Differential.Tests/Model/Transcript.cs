using System.Globalization;
using System.Text;

namespace MapGen.Differential.Tests.Model;

/// <summary>
/// What one step did on one runtime. <see cref="Result"/> is everything compared between
/// runtimes: the errno, then the output with IDs and fds replaced by symbols (the Nth distinct ID
/// or fd of the run), so that two runs agree exactly when a one-to-one mapping of their IDs and
/// fds makes them equal.
/// </summary>
public sealed record TranscriptEntry(int Step, string Operation, BpfErrno? Errno, string Output)
{
    /// <summary>The errno the scenario expects (Linux 6.18); null when the step has none.</summary>
    public BpfErrno? Expected { get; init; }

    /// <summary>The output the scenario expects, where it pins one.</summary>
    public string? ExpectedOutput { get; init; }

    /// <summary>A broken invariant the step checks itself (LRU fills); null when none.</summary>
    public string? Violation { get; init; }

    public string Result => Output.Length == 0 ? ErrnoText : $"{ErrnoText} {Output}";

    private string ErrnoText => Errno?.ToString() ?? "-";
}

/// <summary>The steps of one scenario on one runtime.</summary>
public sealed class Transcript
{
    public Transcript(string scenario, string runtime, IReadOnlyList<TranscriptEntry> entries)
    {
        Scenario = scenario;
        Runtime = runtime;
        Entries = entries;
    }

    public string Scenario { get; }

    /// <summary>"emulated" or "native".</summary>
    public string Runtime { get; }

    public IReadOnlyList<TranscriptEntry> Entries { get; }

    /// <summary>
    /// The steps whose errno or pinned output differs from what the scenario expects, or whose
    /// own invariant broke; empty when the run behaved as Linux 6.18 does.
    /// </summary>
    public IReadOnlyList<string> ExpectationFailures()
    {
        var failures = new List<string>();
        foreach (TranscriptEntry e in Entries)
        {
            if (e.Expected is { } expected && e.Errno != expected)
            {
                failures.Add($"step {e.Step}: {e.Operation}\n      expected {expected} (Linux 6.18), {Runtime} gave {e.Result}");
            }
            else if (e.ExpectedOutput is { } output && e.Output != output)
            {
                failures.Add($"step {e.Step}: {e.Operation}\n      expected output {output} (Linux 6.18), {Runtime} gave {e.Result}");
            }

            if (e.Violation is { } violation)
            {
                failures.Add($"step {e.Step}: {e.Operation}\n      invariant broken on {Runtime}: {violation}");
            }
        }

        return failures;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (TranscriptEntry e in Entries)
        {
            text.Append(e.Step.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(4)).Append("  ")
                .Append(e.Operation).Append("  =>  ").AppendLine(e.Result);
        }

        return text.ToString();
    }
}

/// <summary>One step on which two transcripts of the same scenario disagree.</summary>
public sealed record TranscriptDifference(int Step, string Operation, string Left, string Right);

/// <summary>Compares two runs of one scenario step by step and writes a readable diff.</summary>
public static class TranscriptComparer
{
    public static IReadOnlyList<TranscriptDifference> Compare(Transcript left, Transcript right)
    {
        var differences = new List<TranscriptDifference>();
        int count = Math.Max(left.Entries.Count, right.Entries.Count);
        for (int i = 0; i < count; i++)
        {
            TranscriptEntry? l = i < left.Entries.Count ? left.Entries[i] : null;
            TranscriptEntry? r = i < right.Entries.Count ? right.Entries[i] : null;
            string leftResult = l?.Result ?? "<no step>";
            string rightResult = r?.Result ?? "<no step>";
            string operation = l?.Operation ?? r!.Operation;
            if (l is null || r is null || l.Operation != r.Operation || leftResult != rightResult)
            {
                string op = l is not null && r is not null && l.Operation != r.Operation ? $"{l.Operation} / {r.Operation}" : operation;
                differences.Add(new TranscriptDifference(l?.Step ?? r!.Step, op, leftResult, rightResult));
            }
        }

        return differences;
    }

    /// <summary>
    /// The report of a mismatch: each differing step with both results, then both transcripts side
    /// by side with the differing steps marked.
    /// </summary>
    public static string Describe(Transcript left, Transcript right, IReadOnlyList<TranscriptDifference> differences)
    {
        int width = Math.Max(left.Runtime.Length, right.Runtime.Length);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Scenario '{left.Scenario}': {left.Runtime} and {right.Runtime} differ at {differences.Count} step(s).");
        foreach (TranscriptDifference d in differences)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  step {d.Step}: {d.Operation}");
            text.AppendLine(CultureInfo.InvariantCulture, $"      {left.Runtime.PadRight(width)}: {d.Left}");
            text.AppendLine(CultureInfo.InvariantCulture, $"      {right.Runtime.PadRight(width)}: {d.Right}");
        }

        text.AppendLine("Transcripts (* marks a difference):");
        var marked = new HashSet<int>(differences.Select(d => d.Step));
        int count = Math.Max(left.Entries.Count, right.Entries.Count);
        for (int i = 0; i < count; i++)
        {
            TranscriptEntry? l = i < left.Entries.Count ? left.Entries[i] : null;
            TranscriptEntry? r = i < right.Entries.Count ? right.Entries[i] : null;
            int step = l?.Step ?? r!.Step;
            text.Append(marked.Contains(step) ? " * " : "   ")
                .Append(step.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(3)).Append("  ")
                .AppendLine(l?.Operation ?? r!.Operation);
            if (marked.Contains(step))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"          {left.Runtime.PadRight(width)}: {l?.Result ?? "<no step>"}");
                text.AppendLine(CultureInfo.InvariantCulture, $"          {right.Runtime.PadRight(width)}: {r?.Result ?? "<no step>"}");
            }
            else
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"          {"both".PadRight(width)}: {l!.Result}");
            }
        }

        return text.ToString();
    }
}
