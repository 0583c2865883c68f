using MapGen.Differential.Tests.Model;
using MapGen.Emulation;

namespace MapGen.Differential.Tests.Fuzzing;

/// <summary>
/// The fuzzer itself, on two emulated runtimes (no kernel needed): it reports planted divergences
/// (a wrong errno, a wrong byte, a runtime configured differently, LRU answers that break the
/// invariants) with a readable report and a short sequence, replays a seed exactly, and raises no
/// false alarm where the runtimes differ only in what is compared through mappings.
/// </summary>
public sealed class FuzzHarnessTests
{
    private const int Seed = 7;
    private const int Operations = 30_000;

    private static FuzzTarget Planted(ResultFault fault) =>
        new(() => FuzzSide.Emulated(name: "planted", fault: fault), () => FuzzSide.Emulated(name: "reference"));

    [Fact]
    public void Fuzz_harness_reports_a_wrong_errno_with_the_seed_the_operation_both_answers_and_a_short_sequence()
    {
        // Hash maps answer EEXIST where they created a key with NoExist.
        FuzzOutcome outcome = Fuzzer.Run(Planted((step, target, entry) =>
            step is UpdateStep { Flags: BpfUpdateFlags.NoExist } && target?.Type == BpfMapType.Hash && entry.Errno == BpfErrno.None
                ? entry with { Errno = BpfErrno.EEXIST }
                : entry), Seed, Operations);

        TestContext.Current.TestOutputHelper?.WriteLine(outcome.Report);
        LockstepResult divergence = Assert.IsType<LockstepResult>(outcome.Divergence);
        Assert.IsType<UpdateStep>(divergence.Step);
        Assert.Equal((BpfErrno.EEXIST, BpfErrno.None), (divergence.Left.Errno, divergence.Right.Errno));
        int number = divergence.Step.Number;
        Assert.Equal(number, outcome.Operations);
        Assert.Contains($"diverge at operation {number} of seed {Seed}", outcome.Report, StringComparison.Ordinal);
        Assert.Contains($"operation: {divergence.Step.Describe()}", outcome.Report, StringComparison.Ordinal);
        Assert.Contains("planted  : EEXIST", outcome.Report, StringComparison.Ordinal);
        Assert.Contains("reference: None", outcome.Report, StringComparison.Ordinal);
        Assert.Contains("problem: the results differ", outcome.Report, StringComparison.Ordinal);
        Assert.Contains($"Rerun: MAPGEN_FUZZ_SEED={Seed} MAPGEN_FUZZ_OPERATIONS={number} dotnet test", outcome.Report, StringComparison.Ordinal);

        // The shortest sequence: the Hash map's creation and the update.
        ShrunkSequence shrunk = Assert.IsType<ShrunkSequence>(outcome.Shrunk);
        Assert.Equal(2, shrunk.Results.Count);
        Assert.Equal(BpfMapType.Hash, Assert.IsType<CreateStep>(shrunk.Results[0].Step).Options.Type);
        Assert.Same(divergence.Step, shrunk.Results[^1].Step);
        Assert.Contains("Shortest sequence found: 2 of the", outcome.Report, StringComparison.Ordinal);
    }

    [Fact]
    public void Fuzz_harness_reports_a_wrong_byte_in_a_value()
    {
        // Array lookups give back their value with the last nibble changed.
        FuzzOutcome outcome = Fuzzer.Run(Planted((step, target, entry) =>
            step is LookupStep && target?.Type == BpfMapType.Array && entry.Errno == BpfErrno.None
                ? entry with { Output = entry.Output[..^1] + (entry.Output[^1] == '0' ? '1' : '0') }
                : entry), Seed, Operations);

        LockstepResult divergence = Assert.IsType<LockstepResult>(outcome.Divergence);
        Assert.IsType<LookupStep>(divergence.Step);
        Assert.Equal(divergence.Left.Output.Length, divergence.Right.Output.Length);
        Assert.NotEqual(divergence.Left.Output, divergence.Right.Output);
        Assert.Contains($"planted  : None {divergence.Left.Output}", outcome.Report, StringComparison.Ordinal);
        Assert.Contains($"reference: None {divergence.Right.Output}", outcome.Report, StringComparison.Ordinal);
        Assert.Equal(2, Assert.IsType<ShrunkSequence>(outcome.Shrunk).Results.Count);
    }

    [Fact]
    public void Fuzz_harness_catches_a_runtime_that_behaves_differently()
    {
        // No lo on the runtime under test: its device maps refuse ifindex 1 (EINVAL).
        var withoutLoopback = new EmulatedRuntimeOptions
        {
            PossibleCpus = EmulatedRuntimeOptions.FromHost().PossibleCpus,
            NetworkInterfaces = [new EmulatedNetworkInterface("eth9", 9)],
        };
        var target = new FuzzTarget(() => FuzzSide.Emulated(withoutLoopback, "no-lo"), () => FuzzSide.Emulated(name: "host"));
        FuzzOutcome outcome = Fuzzer.Run(target, Seed, Operations);

        LockstepResult divergence = Assert.IsType<LockstepResult>(outcome.Divergence);
        Assert.Equal((BpfErrno.EINVAL, BpfErrno.None), (divergence.Left.Errno, divergence.Right.Errno));
        Assert.Contains(divergence.Maps, m => m.Type is BpfMapType.DevMap or BpfMapType.DevMapHash);
        ShrunkSequence shrunk = Assert.IsType<ShrunkSequence>(outcome.Shrunk);
        Assert.InRange(shrunk.Results.Count, 2, 3);
    }

    [Fact]
    public void Fuzz_harness_lru_invariants_catch_a_key_missing_right_after_it_was_written()
    {
        // LRU lookups that find their key say ENOENT: the lookup that follows each LRU update must find it.
        FuzzOutcome outcome = Fuzzer.Run(Planted((step, target, entry) =>
            step is LookupStep && target?.Type is BpfMapType.LruHash or BpfMapType.LruPerCpuHash && entry.Errno == BpfErrno.None
                ? entry with { Errno = BpfErrno.ENOENT, Output = "" }
                : entry), Seed, Operations);

        LockstepResult divergence = Assert.IsType<LockstepResult>(outcome.Divergence);
        Assert.Contains("LRU invariant broken on planted", divergence.Problem, StringComparison.Ordinal);
        Assert.Contains("written successfully by the previous operation, is missing", divergence.Problem, StringComparison.Ordinal);
        Assert.IsType<UpdateStep>(outcome.Shrunk!.Results[^2].Step);
    }

    [Fact]
    public void Fuzz_harness_lru_invariants_catch_a_value_that_is_not_the_last_written()
    {
        FuzzOutcome outcome = Fuzzer.Run(Planted((step, target, entry) =>
            step is WalkStep { WithValues: true } && target?.Type is BpfMapType.LruHash or BpfMapType.LruPerCpuHash && entry.Output.Contains('=', StringComparison.Ordinal)
                ? entry with { Output = entry.Output[..^1] + (entry.Output[^1] == '0' ? '1' : '0') }
                : entry), Seed, Operations);

        LockstepResult divergence = Assert.IsType<LockstepResult>(outcome.Divergence);
        Assert.IsType<WalkStep>(divergence.Step);
        Assert.Contains("LRU invariant broken on planted", divergence.Problem, StringComparison.Ordinal);
        Assert.Contains("the last value written was", divergence.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Fuzz_harness_raises_no_false_alarm_between_runtimes_that_differ_only_in_hash_seeds_ids_and_fds()
    {
        // Two emulated runtimes hash with different random seeds; the second has IDs and fds shifted by a map created first.
        var target = new FuzzTarget(() => FuzzSide.Emulated(name: "first"), () => FuzzSide.EmulatedWithShiftedIds(7, "second"));
        FuzzOutcome outcome = Fuzzer.Run(target, Seed, Operations);

        TestContext.Current.TestOutputHelper?.WriteLine(outcome.Summary);
        Assert.True(outcome.Divergence is null, outcome.Report);
        Assert.Equal(Operations, outcome.Operations);
        Assert.InRange(outcome.MostLiveMaps, 1, OperationGenerator.MaxLiveMaps);
    }

    [Fact]
    public void Fuzz_harness_starts_a_run_from_any_seed()
    {
        // A run begins with no map at all, and each seed takes its own first steps from there.
        var target = new FuzzTarget(() => FuzzSide.Emulated(name: "first"), () => FuzzSide.Emulated(name: "second"));
        for (int seed = 0; seed < 100; seed++)
        {
            FuzzOutcome outcome = Fuzzer.Run(target, seed, 500);
            Assert.True(outcome.Divergence is null, outcome.Report);
        }
    }

    [Fact]
    public void Fuzz_harness_replays_a_seed_operation_for_operation()
    {
        Assert.Equal(Describe(Seed, 3000), Describe(Seed, 3000));
        Assert.NotEqual(Describe(Seed, 3000), Describe(Seed + 1, 3000));

        static List<string> Describe(int seed, int operations)
        {
            using var runner = new LockstepRunner(new FuzzTarget(() => FuzzSide.Emulated(), () => FuzzSide.Emulated()));
            var generator = new OperationGenerator(seed, runner.Model);
            var steps = new List<string>(operations);
            for (int i = 0; i < operations; i++)
            {
                LockstepResult result = runner.Execute(generator.Next(i));
                steps.Add(result.Step.Describe() + " => " + result.Right.Result);
            }

            return steps;
        }
    }
}
