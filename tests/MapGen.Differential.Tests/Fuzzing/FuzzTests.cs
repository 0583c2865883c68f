namespace MapGen.Differential.Tests.Fuzzing;

/// <summary>
/// The differential fuzzer against the kernel: seeded random operations on the emulated and the
/// native runtime in lockstep, compared after every operation. CI runs fixed seeds; a longer run
/// with one seed: <c>MAPGEN_FUZZ_SEED=123 MAPGEN_FUZZ_OPERATIONS=5000000 dotnet test
/// tests/MapGen.Differential.Tests --filter FullyQualifiedName~Fuzz</c>.
/// </summary>
public sealed class FuzzTests
{
    public static TheoryData<int> Seeds() => new(FuzzSettings.Seeds);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Fuzz_emulated_and_native_runtimes_agree_on_random_operations(int seed)
    {
        NativeKernel.Require();
        int operations = FuzzSettings.Operations;
        FuzzOutcome outcome = Fuzzer.Run(FuzzTarget.EmulatedVersusNative, seed, operations);
        TestContext.Current.TestOutputHelper?.WriteLine(outcome.Summary);
        TestContext.Current.TestOutputHelper?.WriteLine("Run longer: " + Fuzzer.RerunCommand(seed, 10 * operations));
        Assert.True(outcome.Divergence is null, outcome.Report);
    }
}
