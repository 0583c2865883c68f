using MapGen.Differential.Tests.Model;
using MapGen.Emulation;

namespace MapGen.Differential.Tests.Fuzzing;

/// <summary>
/// Rewrites what a side answered to a step: planted divergences for the fuzzer's own tests.
/// <paramref name="target"/> is the side's open handle of the map the step operates on, if any.
/// </summary>
internal delegate TranscriptEntry ResultFault(ScenarioStep step, BpfMap? target, TranscriptEntry entry);

/// <summary>One runtime of a lockstep run, with its own pin directory and interpreter session.</summary>
internal sealed class FuzzSide : IDisposable
{
    private readonly BpfRuntime _runtime;
    private readonly PinDirectory _pins;
    private readonly Interpreter.Session _session;
    private readonly ResultFault? _fault;

    private FuzzSide(string name, BpfRuntime runtime, bool native, ResultFault? fault)
    {
        Name = name;
        _runtime = runtime;
        _pins = new PinDirectory(native);
        _session = new Interpreter(runtime, _pins.Path).Begin();
        _fault = fault;
    }

    /// <summary>"emulated" or "native" (or what a harness test calls its sides).</summary>
    public string Name { get; }

    public int PossibleCpus => _runtime.PossibleCpus;

    /// <summary>The emulated runtime as a copy of this machine (possible CPUs, interfaces), or as <paramref name="options"/> say.</summary>
    public static FuzzSide Emulated(EmulatedRuntimeOptions? options = null, string name = "emulated", ResultFault? fault = null) =>
        new(name, BpfRuntime.CreateEmulated(options ?? EmulatedRuntimeOptions.FromHost()), native: false, fault);

    /// <summary>
    /// The emulated runtime after <paramref name="mapsBefore"/> maps were created and every other
    /// one closed again, so that the run's IDs and fds are other numbers than on a fresh runtime.
    /// </summary>
    public static FuzzSide EmulatedWithShiftedIds(int mapsBefore, string name)
    {
        BpfRuntime runtime = BpfRuntime.CreateEmulated(EmulatedRuntimeOptions.FromHost());
        for (int i = 0; i < mapsBefore; i++)
        {
            var options = new BpfMapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 4, MaxEntries = 1 };
            if (runtime.TryCreateMap(options, out BpfMap? map) != BpfErrno.None)
            {
                throw new InvalidOperationException("The emulated runtime refused a one-element array.");
            }

            // The others stay open until the runtime is disposed.
            if (i % 2 == 0)
            {
                map!.Dispose();
            }
        }

        return new FuzzSide(name, runtime, native: false, fault: null);
    }

    public static FuzzSide Native() => new("native", BpfRuntime.CreateNative(), native: true, fault: null);

    public TranscriptEntry Execute(ScenarioStep step, int handleSlots)
    {
        TranscriptEntry entry = _session.Execute(step, handleSlots);
        return _fault is null ? entry : _fault(step, StepHandles.Target(step) is { } target ? _session.Open(target) : null, entry);
    }

    /// <summary>The open handle in a slot, or null.</summary>
    public BpfMap? Open(Handle handle) => _session.Open(handle);

    /// <summary>Closes every handle and removes the pin directory (with every pin in it), then the runtime.</summary>
    public void Dispose()
    {
        _session.Dispose();
        _pins.Dispose();
        _runtime.Dispose();
    }
}

/// <summary>
/// The two runtimes a fuzz run compares: <see cref="Left"/> is the one under test, <see cref="Right"/>
/// the reference (the kernel), whose answers the model follows where LRU maps let the sides differ.
/// Factories, because shrinking replays on fresh runtimes.
/// </summary>
internal sealed record FuzzTarget(Func<FuzzSide> Left, Func<FuzzSide> Right)
{
    public static FuzzTarget EmulatedVersusNative { get; } = new(() => FuzzSide.Emulated(), FuzzSide.Native);
}
