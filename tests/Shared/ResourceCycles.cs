namespace MapGen.Testing;

/// <summary>The repeated workloads of the resource tests, the same on both runtimes.</summary>
internal static class ResourceCycles
{
    /// <summary>
    /// One create/dispose cycle: a data map is created, duplicated, written through the duplicate
    /// and read through the original, and both handles are disposed. Every 10th cycle also creates
    /// an outer map (with its temporary inner template); every 100th puts the data map into a slot
    /// and looks it up, so that disposing the outer map releases a borrowed handle and a slot.
    /// </summary>
    public static void CreateAndDispose(BpfRuntime runtime, int cycle)
    {
        using SharedCounters counters = SharedCounters.Create(runtime);
        using (SharedCounters duplicate = SharedCounters.FromMap(counters.Map.Duplicate()))
        {
            duplicate.Update((uint)cycle, (ulong)cycle);
        }

        if (counters.Lookup((uint)cycle) != (ulong)cycle)
        {
            Assert.Fail($"Cycle {cycle}: the write through the duplicate is not in the map.");
        }

        if (cycle % 10 == 0)
        {
            using SharedTenants tenants = SharedTenants.Create(runtime);
            if (cycle % 100 == 0)
            {
                tenants.Update(1, counters);
                Assert.Equal(counters.Map.Id, tenants.Lookup(1).Map.Id);
            }
        }
    }
}

/// <summary>
/// Typed outer lookups over <see cref="Slots"/> slots, one slot replaced by a new map every
/// <see cref="ReplaceEvery"/> lookups: the outer handle's cache must release the replaced map's
/// borrowed handle, and the replaced map must be freed.
/// </summary>
internal sealed class OuterLookupCycles : IDisposable
{
    public const int Slots = 4;
    public const int ReplaceEvery = 1000;

    private readonly BpfRuntime _runtime;
    private readonly uint[] _expectedIds = new uint[Slots];

    public OuterLookupCycles(BpfRuntime runtime)
    {
        _runtime = runtime;
        Tenants = SharedTenants.Create(runtime);
        for (uint slot = 0; slot < Slots; slot++)
        {
            Replace(slot);
        }
    }

    public SharedTenants Tenants { get; }

    /// <summary>How many borrowed inner handles the outer handle holds.</summary>
    public int CachedHandles => Tenants.Map.InnerMaps.Count;

    public void Lookup(int cycle)
    {
        uint slot = (uint)(cycle % Slots);
        BpfMap inner = Tenants.Lookup(slot).Map;
        if (inner.Id != _expectedIds[slot] || inner.IsOwned)
        {
            Assert.Fail($"Lookup {cycle} of slot {slot} gave {inner}, owned: {inner.IsOwned}; expected the borrowed map ID {_expectedIds[slot]}.");
        }

        if (cycle % ReplaceEvery == ReplaceEvery - 1)
        {
            Replace(slot);
            Assert.True(inner.IsDisposed, "The replaced map's borrowed handle was not released with its slot.");
        }
    }

    /// <summary>One more lookup of each slot, without replacing any: the cache then holds exactly one handle per slot.</summary>
    public void LookUpEverySlot()
    {
        for (int slot = 0; slot < Slots; slot++)
        {
            // A cycle number that looks up the slot and is no replacement's.
            Lookup(ReplaceEvery * Slots * 1000 + slot);
        }
    }

    public void Dispose() => Tenants.Dispose();

    private void Replace(uint slot)
    {
        using SharedCounters replacement = SharedCounters.Create(_runtime);
        Tenants.Update(slot, replacement);
        _expectedIds[slot] = replacement.Map.Id;
    }
}
