using MapGen.Testing;

namespace MapGen.Native.Tests;

/// <summary>The typed API under load on the kernel. Counts the process's fds, so it runs alone.</summary>
[Collection(nameof(FdCounting))]
public sealed class ConcurrencyTests
{
    /// <summary>
    /// <see cref="OuterMapStress"/>, the body MapGen.Runtime.Tests runs on the emulated runtime: no
    /// update lost, only the documented exception, every slot fitting the declaration; once
    /// everything is disposed the kernel frees every map of the run and the process holds as many
    /// BPF fds as before. (Only BPF fds: code run for the first time loads assemblies, whose files
    /// stay open; the resource tests count every fd, after a warm-up.) Each slot change waits for
    /// an RCU grace period (~10 ms), hence the few hundred.
    /// </summary>
    [Fact]
    public async Task Typed_slot_swaps_under_load_lose_no_update_and_leave_no_map_behind()
    {
        Kernel.RequireSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        var options = new StressOptions { SlotChangesPerSwapper = 150 }.ScaledByEnvironment();
        int bpfFdsBefore = Kernel.OpenBpfFdCount();

        StressReport report = await OuterMapStress.RunAsync(rt, options, TestContext.Current.CancellationToken);

        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        Kernel.AssertFreed(rt, report.MapIds.Keys);
        Assert.Equal(bpfFdsBefore, Kernel.OpenBpfFdCount());
    }
}
