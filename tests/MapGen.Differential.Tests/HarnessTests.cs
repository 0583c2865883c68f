using MapGen.Differential.Tests.Model;
using MapGen.Differential.Tests.Scenarios;
using MapGen.Emulation;
using static MapGen.Differential.Tests.Model.Scenario;

namespace MapGen.Differential.Tests;

/// <summary>
/// The harness itself: the comparison and the expectation checks fail when they should (so that a
/// passing differential test means something), and succeed where runs differ only in what is
/// compared through mappings (raw IDs and fds, hash order).
/// </summary>
public sealed class HarnessTests
{
    private static Transcript Make(string runtime, params (string Operation, BpfErrno? Errno, string Output)[] steps) =>
        new("made-up", runtime, steps.Select((s, i) => new TranscriptEntry(i + 1, s.Operation, s.Errno, s.Output)).ToList());

    [Fact]
    public void Equal_transcripts_have_no_difference()
    {
        Transcript a = Make("emulated", ("create", BpfErrno.None, "fd=F1 id=I1"), ("lookup", BpfErrno.ENOENT, ""));
        Transcript b = Make("native", ("create", BpfErrno.None, "fd=F1 id=I1"), ("lookup", BpfErrno.ENOENT, ""));
        Assert.Empty(TranscriptComparer.Compare(a, b));
    }

    [Fact]
    public void A_different_errno_is_reported_with_the_step_the_operation_and_both_results()
    {
        Transcript a = Make("emulated", ("create", BpfErrno.None, "fd=F1 id=I1"), ("update h0 key=01000000", BpfErrno.EEXIST, ""), ("walk h0", null, "-"));
        Transcript b = Make("native", ("create", BpfErrno.None, "fd=F1 id=I1"), ("update h0 key=01000000", BpfErrno.None, ""), ("walk h0", null, "-"));

        TranscriptDifference difference = Assert.Single(TranscriptComparer.Compare(a, b));
        Assert.Equal(new TranscriptDifference(2, "update h0 key=01000000", "EEXIST", "None"), difference);
        string report = TranscriptComparer.Describe(a, b, [difference]);
        Assert.Contains("step 2: update h0 key=01000000", report, StringComparison.Ordinal);
        Assert.Contains("emulated: EEXIST", report, StringComparison.Ordinal);
        Assert.Contains("native  : None", report, StringComparison.Ordinal);
        Assert.Contains(" *   2  update h0 key=01000000", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Different_bytes_symbols_and_missing_steps_are_differences()
    {
        Transcript a = Make("emulated", ("lookup", BpfErrno.None, "0100"), ("lookup outer", BpfErrno.None, "I3"), ("walk", null, "01,02"));
        Transcript b = Make("native", ("lookup", BpfErrno.None, "0200"), ("lookup outer", BpfErrno.None, "I4"));

        IReadOnlyList<TranscriptDifference> differences = TranscriptComparer.Compare(a, b);
        Assert.Equal([1, 2, 3], differences.Select(d => d.Step));
        Assert.Equal("<no step>", differences[2].Right);
    }

    [Fact]
    public void Runs_whose_raw_ids_and_fds_differ_compare_equal_through_the_mapping()
    {
        Scenario scenario = Catalog.Get("outer.lifetime_array");
        Transcript fresh = Runner.RunEmulated(scenario);

        // Another runtime whose IDs and fds are shifted by maps created (and partly closed) before.
        using BpfRuntime shifted = BpfRuntime.CreateEmulated(EmulatedRuntimeOptions.FromHost());
        var earlier = new List<BpfMap>();
        for (int i = 0; i < 7; i++)
        {
            Assert.Equal(BpfErrno.None, shifted.TryCreateMap(new BpfMapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 4, MaxEntries = 1 }, out BpfMap? map));
            earlier.Add(map!);
        }

        earlier[2].Dispose();
        earlier[4].Dispose();
        Transcript other = new Interpreter(shifted, "/sys/fs/bpf/mapgen-test-shifted").Run(scenario);

        Assert.Empty(TranscriptComparer.Compare(fresh, other));
        earlier.ForEach(m => m.Dispose());
    }

    [Fact]
    public void Ids_are_mapped_one_to_one_so_a_slot_holding_another_map_is_a_difference()
    {
        Transcript Run(bool sameInner)
        {
            var s = new Scenario("one-to-one", "test");
            Handle template = s.Create(BpfMapType.Hash, 4, 4, 4);
            Handle outer = s.Create(BpfMapType.ArrayOfMaps, 4, 4, 2, inner: template);
            Handle first = s.Create(BpfMapType.Hash, 4, 4, 4);
            Handle second = s.Create(BpfMapType.Hash, 4, 4, 4);
            s.Update(outer, U32(0), Val.FdOf(first), BpfErrno.None);
            s.Update(outer, U32(1), Val.FdOf(sameInner ? first : second), BpfErrno.None);
            s.Dump(outer);
            return Runner.RunEmulated(s);
        }

        IReadOnlyList<TranscriptDifference> differences = TranscriptComparer.Compare(Run(sameInner: true), Run(sameInner: false));
        TranscriptDifference dump = Assert.Single(differences, d => d.Operation.StartsWith("dump", StringComparison.Ordinal));
        Assert.Equal("- 00000000=I3,01000000=I3", dump.Left);
        Assert.Equal("- 00000000=I3,01000000=I4", dump.Right);
    }

    [Fact]
    public void Runtimes_that_behave_differently_give_different_transcripts()
    {
        // Without lo the devmap refuses ifindex 1, and with other CPUs per-CPU values change size.
        var noLoopback = new EmulatedRuntimeOptions { PossibleCpus = 3, NetworkInterfaces = [new EmulatedNetworkInterface("eth9", 9)] };
        Transcript host = Runner.RunEmulated(Catalog.Get("devmap.elements"));
        Transcript other = Runner.RunEmulated(Catalog.Get("devmap.elements"), noLoopback);
        TranscriptDifference first = TranscriptComparer.Compare(host, other)[0];
        Assert.Equal(("None", "EINVAL"), (first.Left, first.Right));
        Assert.NotEmpty(other.ExpectationFailures());

        var oneCpu = new EmulatedRuntimeOptions { PossibleCpus = 1 };
        var sixCpus = new EmulatedRuntimeOptions { PossibleCpus = 6 };
        Assert.NotEmpty(TranscriptComparer.Compare(
            Runner.RunEmulated(Catalog.Get("percpu_array.layout"), oneCpu),
            Runner.RunEmulated(Catalog.Get("percpu_array.layout"), sixCpus)));
    }

    [Fact]
    public void A_wrong_expected_errno_or_output_fails_the_expectation_check()
    {
        var s = new Scenario("wrong-expectations", "test");
        Handle a = s.Create(BpfMapType.Array, 4, 4, 2);
        s.Update(a, U32(0), U32(1), BpfUpdateFlags.NoExist, BpfErrno.None);   // the kernel says EEXIST
        s.Lookup(a, U32(1), BpfErrno.None, value: "01000000");                // slot 1 reads zeros
        s.Lookup(a, U32(0), BpfErrno.None, value: "00000000");                // right

        IReadOnlyList<string> failures = Runner.RunEmulated(s).ExpectationFailures();
        Assert.Equal(2, failures.Count);
        Assert.StartsWith("step 2: update h0 key=00000000 value=01000000 flags=NoExist\n      expected None (Linux 6.18), emulated gave EEXIST", failures[0], StringComparison.Ordinal);
        Assert.StartsWith("step 3: lookup h0 key=01000000\n      expected output 01000000 (Linux 6.18), emulated gave None 00000000", failures[1], StringComparison.Ordinal);
    }

    [Fact]
    public void The_lru_invariants_catch_a_map_that_fails_instead_of_evicting()
    {
        var s = new Scenario("not-lru", "test");
        Handle hash = s.Create(BpfMapType.Hash, 4, 4, 4);
        s.LruFill(hash, 0, 10);
        string failure = Assert.Single(Runner.RunEmulated(s).ExpectationFailures());
        Assert.Contains("inserts gave None/E2BIG", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_walks_compare_as_sets_whatever_the_seed()
    {
        // Without ZeroSeed each run hashes with a random seed, so the kernel order differs; the set does not.
        Transcript first = Runner.RunEmulated(Catalog.Get("hash.walk_as_set"));
        for (int i = 0; i < 5; i++)
        {
            Assert.Empty(TranscriptComparer.Compare(first, Runner.RunEmulated(Catalog.Get("hash.walk_as_set"))));
        }
    }

    [Fact]
    public void The_catalog_covers_every_map_type_of_the_emulated_runtime_issue_and_every_flag_bit()
    {
        BpfMapType[] required =
        [
            BpfMapType.Array, BpfMapType.PerCpuArray, BpfMapType.Hash, BpfMapType.PerCpuHash, BpfMapType.LruHash,
            BpfMapType.LruPerCpuHash, BpfMapType.DevMap, BpfMapType.DevMapHash, BpfMapType.ArrayOfMaps, BpfMapType.HashOfMaps,
            BpfMapType.ProgArray,
        ];
        List<string> names = [.. Catalog.All.Keys];
        foreach (BpfMapType type in required)
        {
            Assert.Contains($"flags.{type}", names);
        }

        // Every scenario step that the kernel answers with an errno carries the expected one.
        foreach (Scenario scenario in Catalog.All.Values)
        {
            foreach (ScenarioStep step in scenario.Steps)
            {
                bool answers = step is not (WalkStep or CloseStep or LruFillStep or EnumerateStep);
                Assert.True(!answers || step.Expect is not null || step.ExpectOutput is not null,
                    $"{scenario.Name} step {step.Number} ({step.Describe()}) has no expected result.");
            }
        }
    }
}
