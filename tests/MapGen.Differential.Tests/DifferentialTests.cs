using System.Globalization;
using System.Text;
using MapGen.Differential.Tests.Model;
using MapGen.Differential.Tests.Scenarios;

namespace MapGen.Differential.Tests;

/// <summary>
/// The differential test of SPEC section 3: every scenario runs on the emulated runtime and on the
/// native one, and their transcripts must be equal (errnos and bytes; hash walks as sets; IDs and
/// fds through a one-to-one mapping; LRU maps by invariants). Both runs must also give the errnos
/// Linux 6.18 gave, which the scenarios carry, so the emulated behaviour stays pinned where no
/// kernel is at hand.
/// </summary>
public sealed class DifferentialTests
{
    public static TheoryData<string> ScenarioNames() => new(Catalog.All.Keys);

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Emulated_runtime_gives_what_Linux_6_18_gives(string scenario)
    {
        Transcript emulated = Runner.RunEmulated(Catalog.Get(scenario));
        IReadOnlyList<string> failures = emulated.ExpectationFailures();
        Assert.True(failures.Count == 0,
            $"Scenario '{scenario}' on the emulated runtime:\n  {string.Join("\n  ", failures)}\nTranscript:\n{emulated}");
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Emulated_and_native_runtimes_agree(string scenario)
    {
        NativeKernel.Require();
        Scenario s = Catalog.Get(scenario);
        Transcript native = Runner.RunNative(s);
        Transcript emulated = Runner.RunEmulated(s);
        TestContext.Current.TestOutputHelper?.WriteLine($"Native transcript of '{scenario}':\n{native}");

        var report = new StringBuilder();
        IReadOnlyList<TranscriptDifference> differences = TranscriptComparer.Compare(emulated, native);
        if (differences.Count > 0)
        {
            report.AppendLine(TranscriptComparer.Describe(emulated, native, differences));
        }

        foreach (Transcript run in new[] { native, emulated })
        {
            IReadOnlyList<string> failures = run.ExpectationFailures();
            if (failures.Count > 0)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"Scenario '{scenario}' on the {run.Runtime} runtime differs from the expected Linux 6.18 results:");
                report.AppendLine("  " + string.Join("\n  ", failures));
            }
        }

        Assert.True(report.Length == 0, report.ToString());
    }
}
