using System.Text.RegularExpressions;
using MapGen.Package.Tests.Infrastructure;

namespace MapGen.Package.Tests;

/// <summary>
/// The FlowCollector sample (batches, drains while a writer fills the tables, a mapped array),
/// run as a user runs it. The facts it prints are checked: every flow collected exactly once, the
/// port counters read in place agree with a lookup.
/// </summary>
[Collection(nameof(Sample))]
public sealed partial class FlowCollectorSampleTests
{
    [Fact(Timeout = 120_000)]
    public async Task Sample_collects_every_flow_exactly_once_on_the_emulated_runtime()
    {
        ProcessResult run = await Sample.RunAsync(RepoPaths.FlowCollectorProject);
        Assert.True(run.Succeeded, $"The sample failed:{Environment.NewLine}{run}");
        Assert.Equal(string.Empty, run.StandardError.Trim());
        string[] lines = Sample.Lines(run);
        Assert.Contains("Runtime: emulated (an in-process model of the kernel's maps: no root needed)", lines);
        CheckFacts(lines);
    }

    [Fact(Timeout = 120_000)]
    public async Task Sample_with_native_collects_every_flow_exactly_once_on_the_kernel_or_says_why_it_cannot()
    {
        ProcessResult run = await Sample.RunAsync(RepoPaths.FlowCollectorProject, "--", "--native");
        Assert.False(run.TimedOut, run.ToString());
        if (run.ExitCode == 2)
        {
            Assert.Contains("The native runtime is not available here:", run.StandardError);
            if (Environment.GetEnvironmentVariable("MAPGEN_REQUIRE_BPF") == "1")
            {
                Assert.Fail($"MAPGEN_REQUIRE_BPF=1 but the sample could not use the native runtime:{Environment.NewLine}{run}");
            }

            Assert.Skip($"The native runtime is not available here: {run.StandardError.Trim()}");
        }

        Assert.True(run.ExitCode == 0, $"The sample failed on the native runtime:{Environment.NewLine}{run}");
        string[] lines = Sample.Lines(run);
        Assert.Contains("Runtime: native (the Linux kernel, through bpf(2))", lines);
        CheckFacts(lines);
    }

    private static void CheckFacts(string[] lines)
    {
        Assert.Contains("tenant_flows <- 3 tables in one batch: tenant 1, tenant 2, tenant 3", lines);
        Assert.Contains("tenant 1: 1000 flows written by one UpdateBatch", lines);
        Assert.Contains("tenant 1: DeleteBatch of 510 keys deleted 500 (10 were absent); 500 flows left", lines);
        Assert.Contains(lines, l => Collected().IsMatch(l));
        Assert.Contains("every flow was collected exactly once: 20000 connections + 500 seeded flows = 20500", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("MISMATCH", StringComparison.Ordinal));
        Assert.Contains("flow tables after the last drain: 0, 0, 0 flows", lines);
        Assert.Contains("port_hits: 65536 counters mapped, 20000 connections counted", lines);
        Assert.Contains("busiest ports: 22 (4000), 53 (4000), 80 (4000)", lines);
        Assert.Contains("port_hits[443] by a lookup system call: 4000, in the view: 4000", lines);
        Assert.Equal("Done.", lines[^1]);
    }

    [GeneratedRegex(@"^the program recorded 20000 connections; [0-9]+ drains collected 20500 flows \(tenant 1: 7167, tenant 2: 6667, tenant 3: 6666\)$")]
    private static partial Regex Collected();
}
