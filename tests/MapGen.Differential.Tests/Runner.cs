using MapGen.Differential.Tests.Model;
using MapGen.Emulation;

namespace MapGen.Differential.Tests;

/// <summary>Runs a scenario on a fresh runtime of either kind, with its own pin directory.</summary>
internal static class Runner
{
    /// <summary>
    /// The emulated runtime as a copy of this machine (possible CPUs and interfaces), so that
    /// per-CPU layouts and devmap ifindexes agree with the native run.
    /// </summary>
    public static Transcript RunEmulated(Scenario scenario, EmulatedRuntimeOptions? options = null)
    {
        using BpfRuntime runtime = BpfRuntime.CreateEmulated(options ?? EmulatedRuntimeOptions.FromHost());
        using var pins = new PinDirectory(native: false);
        return new Interpreter(runtime, pins.Path).Run(scenario);
    }

    public static Transcript RunNative(Scenario scenario)
    {
        using BpfRuntime runtime = BpfRuntime.CreateNative();
        using var pins = new PinDirectory(native: true);
        return new Interpreter(runtime, pins.Path).Run(scenario);
    }
}
