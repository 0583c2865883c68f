using MapGen.Emulation;
using MapGen.Runtime.Tests.Support;
using MapGen.Testing;
using Xunit.Sdk;

namespace MapGen.Runtime.Tests;

/// <summary>Measures the whole process (managed heap, fds), so no other test may run meanwhile.</summary>
[CollectionDefinition(nameof(ProcessWideMeasurements), DisableParallelization = true)]
public sealed class ProcessWideMeasurements;

/// <summary>
/// Repeated workloads leave the runtime's fd table and map table, the process's fds and the
/// managed heap flat (<see cref="Flatness"/>). MapGen.Native.Tests runs the same workloads on the kernel.
/// </summary>
[Collection(nameof(ProcessWideMeasurements))]
public sealed class ResourceTests
{
    /// <summary>21,000 cycles of <see cref="ResourceCycles.CreateAndDispose"/>: 1,000 to warm up, then two measured runs of 10,000.</summary>
    [Fact]
    public void Create_and_dispose_cycles_leave_fds_maps_and_managed_memory_flat()
    {
        using BpfRuntime rt = Kernel.Runtime();
        const int cycles = 10_000;

        IReadOnlyList<ProbeReading> readings = Flatness.Measure(warmUp: 1_000, cycles,
            cycle => ResourceCycles.CreateAndDispose(rt, cycle), Probes((EmulatedRuntime)rt, cycles));

        Report(readings);
        Flatness.AssertFlat(readings);
        Assert.Equal(0, ((EmulatedRuntime)rt).LiveMapCount);
    }

    /// <summary>100,000 typed outer lookups (20,000 to warm up, two measured runs of 40,000), a slot replaced every 1,000.</summary>
    [Fact]
    public void A_hundred_thousand_outer_lookups_with_a_slot_replaced_every_thousand_leave_fds_maps_and_managed_memory_flat()
    {
        using BpfRuntime rt = Kernel.Runtime();
        const int lookups = 40_000;
        using var workload = new OuterLookupCycles(rt);
        ResourceProbe cachedHandles = new("borrowed handles of the outer map", () => workload.CachedHandles, 0);

        IReadOnlyList<ProbeReading> readings = Flatness.Measure(warmUp: 20_000, lookups, workload.Lookup,
            [.. Probes((EmulatedRuntime)rt, lookups), cachedHandles]);

        Report(readings);
        Flatness.AssertFlat(readings);
        workload.LookUpEverySlot();
        Assert.Equal(OuterLookupCycles.Slots, workload.CachedHandles);
    }

    /// <summary>
    /// The check can fail: a leak of 16 managed bytes per cycle (a 32-byte object every other
    /// cycle), and one map kept open per cycle, are both reported.
    /// </summary>
    [Fact]
    public void The_flatness_check_reports_a_leak_of_16_bytes_or_one_map_per_cycle()
    {
        using BpfRuntime rt = Kernel.Runtime();
        const int cycles = 10_000;
        Leak? leaked = null;
        IReadOnlyList<ProbeReading> bytesLeaked = Flatness.Measure(warmUp: 1_000, cycles, cycle =>
        {
            ResourceCycles.CreateAndDispose(rt, cycle);
            if (cycle % 2 == 0)
            {
                leaked = new Leak(leaked, cycle);
            }
        }, Probes((EmulatedRuntime)rt, cycles));
        GC.KeepAlive(leaked);

        Report(bytesLeaked);
        Assert.Equal(["live managed bytes"], bytesLeaked.Where(r => !r.IsFlat).Select(r => r.Probe.Name));
        // 16 bytes per cycle, give or take the runner's noise.
        Assert.InRange(bytesLeaked.Single(r => !r.IsFlat).Growth, 15 * cycles, 17 * cycles);

        var kept = new List<SharedCounters>();
        IReadOnlyList<ProbeReading> mapsLeaked = Flatness.Measure(warmUp: 100, cycles: 200,
            _ => kept.Add(SharedCounters.Create(rt)), Probes((EmulatedRuntime)rt, 200));
        Assert.Contains(mapsLeaked, r => r.Probe.Name == "emulated fds" && r.Growth == 200);
        Assert.Contains(mapsLeaked, r => r.Probe.Name == "emulated maps" && r.Growth == 200);
        Assert.Throws<FailException>(() => Flatness.AssertFlat(mapsLeaked));
        kept.ForEach(map => map.Dispose());
    }

    private static ResourceProbe[] Probes(EmulatedRuntime rt, int cycles) =>
    [
        Flatness.ManagedBytes(cycles),
        new("emulated fds", () => rt.OpenFdCount, 0),
        new("emulated maps", () => rt.LiveMapCount, 0),
        .. OperatingSystem.IsLinux() ? [Flatness.ProcessFds()] : Array.Empty<ResourceProbe>(),
    ];

    private static void Report(IReadOnlyList<ProbeReading> readings)
    {
        foreach (ProbeReading reading in readings)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(reading.ToString());
        }
    }

    /// <summary>32 bytes on a 64-bit heap: header, method table, a reference and a long.</summary>
    private sealed record Leak(Leak? Previous, long Cycle);
}
