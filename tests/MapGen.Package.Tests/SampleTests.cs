using System.Text.RegularExpressions;
using MapGen.Package.Tests.Infrastructure;

namespace MapGen.Package.Tests;

/// <summary>
/// The DevMapRedirect sample, run with the command the README gives a newcomer. Its output is the
/// walkthrough users read, so the facts it states are checked line by line.
/// </summary>
[Collection(nameof(Sample))]
public sealed partial class SampleTests
{
    [Fact(Timeout = 120_000)]
    public async Task Sample_runs_on_the_emulated_runtime_and_swaps_a_table_in_one_update()
    {
        ProcessResult run = await Sample.RunAsync(RepoPaths.SampleProject);

        Assert.True(run.Succeeded, $"The sample failed:{Environment.NewLine}{run}");
        Assert.Equal(string.Empty, run.StandardError.Trim());
        string[] lines = Sample.Lines(run);
        Assert.Contains("Runtime: emulated (an in-process model of the kernel's maps: no root needed)", lines);
        Assert.Contains("Interfaces: lo=1, eth0=2, eth1=3", lines);

        (uint before, _) = CheckWalkthrough(lines, expectedPortA: "2 (eth0)", expectedPortB: "3 (eth1)");
        // The emulated runtime frees a map as soon as nothing holds it: here, once the slot is
        // replaced and the handles are closed.
        Assert.Contains($"map ID {before} (the old table) is gone: nothing held it any more, so it was freed", lines);
        Assert.Contains("tx_ports[2] = ifindex 42 (no such interface): refused with EINVAL", lines);
    }

    [Fact(Timeout = 120_000)]
    public async Task Sample_with_native_runs_on_the_kernel_or_says_why_it_cannot()
    {
        ProcessResult run = await Sample.RunAsync(RepoPaths.SampleProject, "--", "--native");

        Assert.False(run.TimedOut, run.ToString());
        if (run.ExitCode == 2)
        {
            // Not Linux, or not privileged: the sample must say why and must not quietly run on
            // the emulated runtime instead.
            Assert.Contains("The native runtime is not available here:", run.StandardError);
            Assert.DoesNotContain("Create the outer map", run.StandardOutput);
            if (Environment.GetEnvironmentVariable("MAPGEN_REQUIRE_BPF") == "1")
            {
                Assert.Fail($"MAPGEN_REQUIRE_BPF=1 but the sample could not use the native runtime:{Environment.NewLine}{run}");
            }

            Assert.Skip($"The native runtime is not available here: {run.StandardError.Trim()}");
        }

        Assert.True(run.ExitCode == 0, $"The sample failed on the native runtime:{Environment.NewLine}{run}");
        string[] lines = Sample.Lines(run);
        Assert.Contains("Runtime: native (the Linux kernel, through bpf(2))", lines);
        (uint before, _) = CheckWalkthrough(lines, expectedPortA: null, expectedPortB: null);
        // The kernel frees a replaced inner map after an RCU grace period: either line is right.
        Assert.Contains(lines, l => l.StartsWith($"map ID {before} (the old table) is ", StringComparison.Ordinal));
        Assert.Contains(lines, l => RefusedUnknownIfIndex().IsMatch(l));
    }

    /// <summary>
    /// Checks the facts every run states, whatever the runtime: the tables installed are the ones
    /// looked up, the swap changes the slot's map, and routes follow the tables.
    /// </summary>
    /// <param name="expectedPortA">The first TX port as printed (<c>2 (eth0)</c>), or null to take it from the output.</param>
    /// <param name="expectedPortB">The second TX port, or null to take it from the output.</param>
    /// <returns>The map IDs in slot 0 before and after the swap.</returns>
    private static (uint Before, uint After) CheckWalkthrough(string[] lines, string? expectedPortA, string? expectedPortB)
    {
        Match table0 = Single(lines, RxQueue0Table());
        string portA = table0.Groups["a"].Value;
        string portB = table0.Groups["b"].Value;
        if (expectedPortA is not null)
        {
            Assert.Equal(expectedPortA, portA);
        }

        if (expectedPortB is not null)
        {
            Assert.Equal(expectedPortB, portB);
        }

        uint table0Id = Id(table0);
        uint table1Id = Id(Single(lines, RxQueue1Table()));
        uint installed = Id(Single(lines, SlotInstalled()));
        uint before = Id(Single(lines, SlotBefore()));
        uint after = Id(Single(lines, SlotAfter()));
        Assert.Equal(table0Id, installed);
        Assert.Equal(installed, before);
        Assert.NotEqual(before, after);

        // Routes read back through the outer map: before the swap RX queue 0 sends TX queue 1 to
        // port B, after it to port A; RX queue 1 is untouched.
        Assert.Contains($"tx_port_tables[0] -> map ID {before}; [1] -> ifindex {portB}", lines);
        Assert.Contains($"tx_port_tables[1] -> map ID {table1Id}; [1] -> ifindex {portA}", lines);
        Assert.Contains($"tx_port_tables[0] -> map ID {after}; [1] -> ifindex {portA}", lines);
        Assert.Contains(lines, l => l.StartsWith("tx_port_tables[5] -> empty slot", StringComparison.Ordinal));
        Assert.Contains("tx_port_tables[32] = a table (the slots are 0..31): refused with E2BIG", lines);
        Assert.StartsWith("Done.", lines[^1], StringComparison.Ordinal);
        return (before, after);
    }

    private static Match Single(string[] lines, Regex pattern)
    {
        Match[] matches = lines.Select(l => pattern.Match(l)).Where(m => m.Success).ToArray();
        Assert.True(matches.Length == 1,
            $"Expected one line matching /{pattern}/, found {matches.Length} in:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
        return matches[0];
    }

    private static uint Id(Match match) => uint.Parse(match.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^RX queue 0: tx_ports map ID (?<id>[0-9]+): queue 0 -> (?<a>[0-9]+ \([^)]+\)), queue 1 -> (?<b>[0-9]+ \([^)]+\))$")]
    private static partial Regex RxQueue0Table();

    [GeneratedRegex(@"^RX queue 1: tx_ports map ID (?<id>[0-9]+): ")]
    private static partial Regex RxQueue1Table();

    [GeneratedRegex(@"^slot 0 <- map ID (?<id>[0-9]+)$")]
    private static partial Regex SlotInstalled();

    [GeneratedRegex(@"^slot 0 before swap: map ID (?<id>[0-9]+)$")]
    private static partial Regex SlotBefore();

    [GeneratedRegex(@"^slot 0 after swap: map ID (?<id>[0-9]+)$")]
    private static partial Regex SlotAfter();

    [GeneratedRegex(@"^tx_ports\[2\] = ifindex [0-9]+ \(no such interface\): refused with EINVAL$")]
    private static partial Regex RefusedUnknownIfIndex();
}
