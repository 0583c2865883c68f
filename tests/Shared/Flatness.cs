using System.Runtime;
using System.Text;

namespace MapGen.Testing;

/// <summary>A count that a repeated workload must not grow: fds, map objects, managed bytes.</summary>
/// <param name="Name">What is counted, for the failure message.</param>
/// <param name="Read">Reads the count now.</param>
/// <param name="Tolerance">How much the count may grow over the measured cycles without that being a leak.</param>
internal sealed record ResourceProbe(string Name, Func<long> Read, long Tolerance);

/// <summary>A probe's readings after the warm-up and after each of two equal runs of cycles.</summary>
internal sealed record ProbeReading(ResourceProbe Probe, long AfterWarmUp, long AfterFirstRun, long AfterSecondRun)
{
    /// <summary>The growth over the second run, when every cache and table has reached its steady size.</summary>
    public long Growth => AfterSecondRun - AfterFirstRun;

    public bool IsFlat => Growth <= Probe.Tolerance;

    public override string ToString() =>
        $"{Probe.Name}: {AfterWarmUp} after the warm-up, {AfterFirstRun} after the first run, {AfterSecondRun} after the second " +
        $"(growth {Growth:+#;-#;0}, tolerance {Probe.Tolerance})";
}

/// <summary>
/// Whether a workload's resources stay flat: it runs a warm-up, then the same number of cycles
/// twice, reading every probe after a full blocking compacting GC each time, and calls the
/// workload flat when no probe grew by more than its tolerance over the second run. (The first
/// run may still grow legitimately: caches fill and tables reach their steady capacity.) A leak
/// of <c>L</c> per cycle grows a probe by <c>L × cycles</c> over the second run, so a tolerance
/// below the number of cycles catches one fd per cycle, and <see cref="ManagedBytes(int)"/>
/// catches a few bytes per cycle.
/// </summary>
/// <remarks>
/// The process-wide probes (managed heap, process fds) are only meaningful while nothing else
/// runs: tests that use them belong to a collection with parallelization disabled.
/// </remarks>
internal static class Flatness
{
    /// <summary>
    /// The managed-heap tolerance per measured cycle: a leak of 16 bytes per cycle grows the heap
    /// by four times this. Without a leak the heap moved by at most 8.6 KB over a run here (the
    /// test runner's own buffers), so runs of 10,000 cycles (40 KB allowed) keep a wide margin.
    /// MapGen.Runtime.Tests' ResourceTests show a 16-byte leak being reported.
    /// </summary>
    public const int ManagedBytesPerCycleTolerance = 4;

    /// <summary>Runs <paramref name="warmUp"/> cycles, then <paramref name="cycles"/> twice, reading the probes after a full GC each time.</summary>
    public static IReadOnlyList<ProbeReading> Measure(int warmUp, int cycles, Action<int> cycle, params ResourceProbe[] probes)
    {
        int next = 0;
        Run(warmUp);
        WaitForQuietHeap();
        long[] afterWarmUp = Read(probes);
        Run(cycles);
        long[] afterFirstRun = Read(probes);
        Run(cycles);
        long[] afterSecondRun = Read(probes);
        return probes.Select((probe, i) => new ProbeReading(probe, afterWarmUp[i], afterFirstRun[i], afterSecondRun[i])).ToArray();

        static long[] Read(ResourceProbe[] probes) => probes.Select(p => p.Read()).ToArray();

        void Run(int count)
        {
            for (int end = next + count; next < end; next++)
            {
                cycle(next);
            }
        }
    }

    /// <summary>Fails naming every probe that grew by more than its tolerance, with all readings.</summary>
    public static void AssertFlat(IReadOnlyList<ProbeReading> readings)
    {
        if (readings.All(r => r.IsFlat))
        {
            return;
        }

        var message = new StringBuilder("Resources grew with the number of cycles:");
        foreach (ProbeReading reading in readings)
        {
            message.Append('\n').Append(reading.IsFlat ? "  " : "! ").Append(reading);
        }

        Assert.Fail(message.ToString());
    }

    /// <summary>
    /// The bytes of live objects on the managed heap, after a full blocking compacting GC: the
    /// least of three such readings, since the test runner's own threads hold a buffer of a few
    /// KB now and then.
    /// </summary>
    public static long LiveManagedBytes()
    {
        long least = long.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            least = Math.Min(least, LiveManagedBytesOnce());
        }

        return least;
    }

    /// <summary>
    /// Waits (a second at most) until three readings of the heap in a row agree within 32 KB: when
    /// a collection that runs alone starts, the test runner is still reporting the tests that ran
    /// before it, and frees hundreds of KB as it goes.
    /// </summary>
    private static void WaitForQuietHeap()
    {
        long previous = LiveManagedBytesOnce();
        for (int attempt = 0, quiet = 0; attempt < 40 && quiet < 3; attempt++)
        {
            Thread.Sleep(25);
            long now = LiveManagedBytesOnce();
            quiet = Math.Abs(now - previous) < 32 * 1024 ? quiet + 1 : 0;
            previous = now;
        }
    }

    private static long LiveManagedBytesOnce()
    {
        for (int i = 0; i < 2; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    /// <summary>The managed heap, allowed <see cref="ManagedBytesPerCycleTolerance"/> bytes per measured cycle.</summary>
    public static ResourceProbe ManagedBytes(int cycles) =>
        new("live managed bytes", LiveManagedBytes, (long)cycles * ManagedBytesPerCycleTolerance);

    /// <summary>The process's open fds (Linux: <c>/proc/self/fd</c>), which must not grow at all.</summary>
    public static ResourceProbe ProcessFds() => new("process fds", () => ProcessFdCount(), 0);

    /// <summary>The number of fds this process has open (Linux).</summary>
    public static int ProcessFdCount() => Directory.GetFileSystemEntries("/proc/self/fd").Length;
}
