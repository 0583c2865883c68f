using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace MapGen.Testing;

/// <summary>How hard and how long <see cref="OuterMapStress"/> runs.</summary>
internal sealed record StressOptions
{
    /// <summary>The slot changes (update, delete, batch of two, refused update) each swapper makes; on the kernel each waits for an RCU grace period (~10 ms).</summary>
    public required int SlotChangesPerSwapper { get; init; }

    public int Swappers { get; init; } = 2;

    public int LookupWriters { get; init; } = 2;

    public int OwnerWriters { get; init; } = 2;

    /// <summary>The slots in play (<see cref="SharedTenants"/> has room for 16).</summary>
    public int Slots { get; init; } = 8;

    /// <summary>The keys each writer owns; all writers' keys together fit the smallest inner map the swappers create (32 entries).</summary>
    public int KeysPerWriter { get; init; } = 8;

    /// <summary>The long-lived inner maps, which the test holds owned handles of throughout.</summary>
    public int PoolSize { get; init; } = 3;

    /// <summary>Each writer stops after this many operations even if the swappers are not done.</summary>
    public int MaxOperationsPerWriter { get; init; } = 400_000;

    /// <summary>Ends the run early, should the machine be far slower than expected; the invariants are checked all the same.</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(60);

    public int Seed { get; init; } = 7;

    /// <summary>
    /// These options with the slot changes, the writers' bound and the time limit multiplied by
    /// <c>MAPGEN_STRESS_SCALE</c> (a positive integer; unset: 1), for longer runs by hand.
    /// </summary>
    public StressOptions ScaledByEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable("MAPGEN_STRESS_SCALE");
        if (string.IsNullOrEmpty(text))
        {
            return this;
        }

        if (!int.TryParse(text, out int scale) || scale < 1)
        {
            throw new InvalidOperationException($"MAPGEN_STRESS_SCALE must be a positive integer, not '{text}'.");
        }

        return this with
        {
            SlotChangesPerSwapper = SlotChangesPerSwapper * scale,
            MaxOperationsPerWriter = MaxOperationsPerWriter * scale,
            TimeLimit = TimeLimit * scale,
        };
    }
}

/// <summary>What a stress run did, and every map it created (for the checks that they are all gone).</summary>
internal sealed class StressReport
{
    public long SlotUpdates;
    public long SlotDeletes;
    public long BatchUpdates;
    public long RefusedMismatches;
    public long LookupsFound;
    public long LookupsEmpty;
    public long BorrowedOperations;
    public long OwnedOperations;
    public long ReleasedWhileInUse;
    public long Enumerations;

    /// <summary>The ID of every map the run created: the outer map, the inner maps, the misfit.</summary>
    public ConcurrentDictionary<uint, bool> MapIds { get; } = new();

    public bool StoppedByTimeLimit { get; set; }

    public TimeSpan Duration { get; set; }

    public override string ToString() =>
        $"{Duration.TotalSeconds:F1} s{(StoppedByTimeLimit ? " (stopped by the time limit)" : "")}: {SlotUpdates} slot updates, " +
        $"{SlotDeletes} deletes, {BatchUpdates} batches of two, {RefusedMismatches} misfits refused; {LookupsFound} lookups found a map " +
        $"({LookupsEmpty} an empty slot); {BorrowedOperations} operations through borrowed inner maps, {ReleasedWhileInUse} of them on a map " +
        $"released meanwhile (ObjectDisposedException); {OwnedOperations} through owned handles; {Enumerations} enumerations; {MapIds.Count} maps created.";
}

/// <summary>
/// Several threads on one <see cref="SharedTenants"/> (a hash of maps), its inner maps and their
/// slots, through the generated API: swappers replace and delete slots (with long-lived maps, with
/// new maps of other sizes that only the slot keeps alive, in batches of two, and with a misfit that
/// must be refused); lookup-writers find inner maps in slots and operate on their own keys in them;
/// owner-writers do the same through owned handles of the long-lived maps; an enumerator walks the
/// slots. Each writer owns disjoint keys and checks every answer against what it wrote itself.
/// </summary>
/// <remarks>
/// <para>
/// The one exception allowed is the documented one: an <see cref="ObjectDisposedException"/> from a
/// borrowed inner map that a concurrent slot change released (then the handle must be disposed and
/// the operation not done). Anything else fails the run: a <see cref="BpfException"/> (an
/// <see cref="BpfUpdateFlags.Exist"/> or <see cref="BpfUpdateFlags.NoExist"/> update refused means
/// a write was lost or invented), a mismatch, a key yielded twice, a wrong value. (Whether a
/// release came too early, while the slot still held the map, cannot be told from here:
/// InnerMapLifetimeTests replay those interleavings one by one.)
/// </para>
/// <para>
/// At the end every slot must hold a map of this run that fits the declared inner map, the outer
/// handle's notes of its slots must agree with the kernel, and every live inner map must hold
/// exactly the last values its writers wrote. Everything the run created is disposed before it
/// returns; the caller checks, with its runtime's means, that nothing lives on.
/// </para>
/// </remarks>
internal static class OuterMapStress
{
    /// <summary>The sizes of the inner maps swappers create: the kernel lets a hash inner map differ from the template in max entries.</summary>
    private static readonly uint[] TransientSizes = [32, 48, 64, 128];

    public static async Task<StressReport> RunAsync(BpfRuntime runtime, StressOptions options, CancellationToken cancellationToken)
    {
        Assert.True(options.Slots <= SharedTenants.Spec.MaxEntries, "more slots than the outer map holds");
        Assert.True((options.LookupWriters + options.OwnerWriters) * options.KeysPerWriter <= TransientSizes.Min(), "more keys than the smallest inner map holds");

        var report = new StressReport();
        // Only reported: how long a run takes is no part of what it checks.
        var clock = Stopwatch.StartNew();
        var innerIds = new ConcurrentDictionary<uint, bool>();
        SharedTenants tenants = SharedTenants.Create(runtime);
        report.MapIds[tenants.Map.Id] = true;
        SharedCounters[] pool = new SharedCounters[options.PoolSize];
        for (int i = 0; i < pool.Length; i++)
        {
            pool[i] = SharedCounters.Create(runtime);
            Record(pool[i]);
        }

        // Same type as the declared inner map but 8-byte keys: the typed Update must refuse it.
        SharedCounters misfit = TypedMaps.WrapUnchecked<SharedCounters>(runtime.CreateMap(
            new BpfMapSpec("shared_misfit", BpfMapType.Hash, 8, 8, SharedCounters.Spec.MaxEntries)));
        report.MapIds[misfit.Map.Id] = true;

        for (uint slot = 0; slot < options.Slots; slot++)
        {
            tenants.Update(slot, pool[slot % pool.Length]);
        }

        var writers = Enumerable.Range(0, options.LookupWriters + options.OwnerWriters)
            .Select(w => new WriterKeys(w, options.KeysPerWriter)).ToArray();
        using var timeLimit = new CancellationTokenSource(options.TimeLimit);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeLimit.Token, cancellationToken);
        int swappersRunning = options.Swappers;

        var workers = new List<Task>();
        for (int s = 0; s < options.Swappers; s++)
        {
            int swapper = s;
            workers.Add(Start(() =>
            {
                try
                {
                    Swap(swapper);
                }
                finally
                {
                    Interlocked.Decrement(ref swappersRunning);
                }
            }));
        }

        for (int w = 0; w < options.LookupWriters; w++)
        {
            WriterKeys keys = writers[w];
            workers.Add(Start(() => WriteThroughLookups(keys)));
        }

        for (int w = 0; w < options.OwnerWriters; w++)
        {
            WriterKeys keys = writers[options.LookupWriters + w];
            workers.Add(Start(() => WriteThroughOwnedHandles(keys)));
        }

        workers.Add(Start(Enumerate));

        try
        {
            await Task.WhenAll(workers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            report.Duration = clock.Elapsed;
            Exception[] failures = workers.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).ToArray();
            if (failures.Length != 0)
            {
                Assert.Fail($"{failures.Length} worker(s) failed; {report}\n" + string.Join("\n---\n", failures.Select(f => f.ToString())));
            }

            cancellationToken.ThrowIfCancellationRequested();
            report.StoppedByTimeLimit = timeLimit.IsCancellationRequested;
            CheckFinalState();
        }
        finally
        {
            foreach (SharedCounters inner in pool)
            {
                inner.Dispose();
            }

            misfit.Dispose();
            // Last: the outer handle releases its borrowed handles, and its map the maps in its slots.
            tenants.Dispose();
        }

        // Not vacuous: every kind of thread did its work.
        Assert.True(report.SlotUpdates > 0 && report.LookupsFound > 0 && report.BorrowedOperations > 0 && report.OwnedOperations > 0
            && report.Enumerations > 0, $"A kind of thread did nothing: {report}");
        return report;

        Task Start(Action work) => Task.Factory.StartNew(() =>
        {
            try
            {
                work();
            }
            catch
            {
                // One failure ends the run for all.
                stop.Cancel();
                throw;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        bool WritersGoOn(int operations) =>
            Volatile.Read(ref swappersRunning) > 0 && !stop.IsCancellationRequested && operations < options.MaxOperationsPerWriter;

        void Record(SharedCounters inner)
        {
            report.MapIds[inner.Map.Id] = true;
            innerIds[inner.Map.Id] = true;
        }

        SharedCounters CreateTransient(Random random)
        {
            SharedCounters created = SharedCounters.Create(runtime, TransientSizes[random.Next(TransientSizes.Length)]);
            Record(created);
            return created;
        }

        void Swap(int swapper)
        {
            var random = new Random(options.Seed * 1000 + swapper);
            for (int change = 0; change < options.SlotChangesPerSwapper && !stop.IsCancellationRequested; change++)
            {
                uint slot = (uint)random.Next(options.Slots);
                switch (random.Next(10))
                {
                    case < 4:
                        tenants.Update(slot, pool[random.Next(pool.Length)]);
                        Interlocked.Increment(ref report.SlotUpdates);
                        break;
                    case < 6:
                        // Once its handle is closed, only the slot keeps this map alive.
                        using (SharedCounters fresh = CreateTransient(random))
                        {
                            tenants.Update(slot, fresh);
                        }

                        Interlocked.Increment(ref report.SlotUpdates);
                        break;
                    case < 8:
                        // Whether the slot was filled depends on the other swappers: both answers are right.
                        tenants.Delete(slot);
                        Interlocked.Increment(ref report.SlotDeletes);
                        break;
                    case 8:
                        uint other = (slot + 1 + (uint)random.Next(options.Slots - 1)) % (uint)options.Slots;
                        using (SharedCounters fresh = CreateTransient(random))
                        {
                            tenants.UpdateBatch([slot, other], [pool[random.Next(pool.Length)], fresh]);
                        }

                        Interlocked.Increment(ref report.BatchUpdates);
                        break;
                    default:
                        BpfMapMismatchException refused = Assert.Throws<BpfMapMismatchException>(() => tenants.Update(slot, misfit));
                        Assert.Contains(refused.Mismatches, m => m.Field == "KeySize");
                        Interlocked.Increment(ref report.RefusedMismatches);
                        break;
                }
            }
        }

        void WriteThroughLookups(WriterKeys keys)
        {
            var random = new Random(options.Seed * 1000 + 100 + keys.Writer);
            for (int operations = 0; WritersGoOn(operations); operations++)
            {
                uint slot = (uint)random.Next(options.Slots);
                if (!tenants.TryLookup(slot, out SharedCounters inner))
                {
                    Interlocked.Increment(ref report.LookupsEmpty);
                    continue;
                }

                Interlocked.Increment(ref report.LookupsFound);
                BpfMap map;
                try
                {
                    map = inner.Map;
                }
                catch (ObjectDisposedException)
                {
                    // Released between the lookup and here; Map checks nothing else.
                    Interlocked.Increment(ref report.ReleasedWhileInUse);
                    continue;
                }

                Assert.False(map.IsOwned, "An outer lookup returned an owned handle.");
                CheckInner(map.Info);
                try
                {
                    keys.Operate(inner, map.Id, random);
                    Interlocked.Increment(ref report.BorrowedOperations);
                }
                catch (ObjectDisposedException e)
                {
                    // Documented: a concurrent slot change released this borrowed map. Then the
                    // handle is disposed; the operation was not done (WriterKeys records only after).
                    Assert.True(map.IsDisposed, $"ObjectDisposedException from a borrowed inner map that is not released: {e}");
                    Interlocked.Increment(ref report.ReleasedWhileInUse);
                }
            }
        }

        void WriteThroughOwnedHandles(WriterKeys keys)
        {
            var random = new Random(options.Seed * 1000 + 200 + keys.Writer);
            SharedCounters[] owned = pool.Select(inner => SharedCounters.FromMap(inner.Map.Duplicate())).ToArray();
            try
            {
                for (int operations = 0; WritersGoOn(operations); operations++)
                {
                    SharedCounters inner = owned[random.Next(owned.Length)];
                    keys.Operate(inner, inner.Map.Id, random);
                    Interlocked.Increment(ref report.OwnedOperations);
                }
            }
            finally
            {
                foreach (SharedCounters handle in owned)
                {
                    handle.Dispose();
                }
            }
        }

        void Enumerate()
        {
            while (Volatile.Read(ref swappersRunning) > 0 && !stop.IsCancellationRequested)
            {
                var seen = new HashSet<uint>();
                foreach (KeyValuePair<uint, SharedCounters> entry in tenants.Entries)
                {
                    Assert.True(entry.Key < options.Slots && seen.Add(entry.Key), $"Entries yielded slot {entry.Key} (twice, or never filled).");
                    try
                    {
                        CheckInner(entry.Value.Map.Info);
                    }
                    catch (ObjectDisposedException)
                    {
                        Interlocked.Increment(ref report.ReleasedWhileInUse);
                    }
                }

                Interlocked.Increment(ref report.Enumerations);
            }
        }

        void CheckInner(BpfMapInfo info)
        {
            Assert.True(innerIds.ContainsKey(info.Id), $"A slot holds map ID {info.Id}, which is no inner map of this run.");
            IReadOnlyList<BpfMapFieldMismatch> mismatches = SharedCounters.Spec.FindInnerMapMismatches(info);
            Assert.True(mismatches.Count == 0, $"A slot holds map ID {info.Id}, which does not fit the declared inner map: {string.Join(", ", mismatches)}");
        }

        void CheckFinalState()
        {
            // Every slot holds an inner map of this run that fits the declaration; Keys agrees with Entries.
            var live = pool.ToDictionary(inner => inner.Map.Id);
            var slots = new List<uint>();
            foreach (KeyValuePair<uint, SharedCounters> entry in tenants.Entries)
            {
                BpfMap map = entry.Value.Map;
                CheckInner(map.Info);
                slots.Add(entry.Key);
                live.TryAdd(map.Id, entry.Value);
            }

            Assert.Equal(slots.Order(), tenants.Keys.Order());
            Assert.Equal(slots.Count, slots.Distinct().Count());

            // The outer handle's notes of what its slots hold (which decide when a borrowed map is
            // released) agree with the kernel once the slot changes are over.
            Span<byte> key = stackalloc byte[sizeof(uint)];
            Span<byte> heldId = stackalloc byte[sizeof(uint)];
            for (uint slot = 0; slot < options.Slots; slot++)
            {
                System.Runtime.InteropServices.MemoryMarshal.Write(key, slot);
                uint? held = tenants.Map.TryLookup(key, heldId) == BpfErrno.None ? System.Runtime.InteropServices.MemoryMarshal.Read<uint>(heldId) : null;
                Assert.True(tenants.Map.InnerMaps.NotedMap(key) == held,
                    $"Slot {slot} holds map ID {held?.ToString(CultureInfo.InvariantCulture) ?? "none"}; the outer handle notes {tenants.Map.InnerMaps.NotedMap(key)?.ToString(CultureInfo.InvariantCulture) ?? "none"}.");
            }

            // Every live inner map holds exactly the last values its writers wrote: nothing lost, nothing else.
            foreach ((uint id, SharedCounters inner) in live)
            {
                var expected = writers
                    .SelectMany(w => w.Last)
                    .Where(e => e.Key.Map == id && e.Value is not null)
                    .Select(e => new KeyValuePair<uint, ulong>(e.Key.Key, e.Value!.Value))
                    .OrderBy(e => e.Key);
                Assert.Equal(expected, inner.Entries.OrderBy(e => e.Key));
            }
        }
    }

    /// <summary>What one writer thread wrote to its own keys: the last value in each map, or null once deleted.</summary>
    private sealed class WriterKeys(int writer, int keysPerWriter)
    {
        private ulong _sequence;

        public int Writer => writer;

        public Dictionary<(uint Map, uint Key), ulong?> Last { get; } = [];

        /// <summary>
        /// Reads, writes or deletes one of this writer's keys in <paramref name="inner"/> and checks
        /// the answer against what it wrote there before; records a change only once it is done.
        /// </summary>
        public void Operate(SharedCounters inner, uint mapId, Random random)
        {
            uint key = (uint)(writer * keysPerWriter + random.Next(keysPerWriter));
            bool present = Last.TryGetValue((mapId, key), out ulong? last) && last is not null;
            switch (random.Next(4))
            {
                case 0:
                    bool found = inner.TryLookup(key, out ulong value);
                    Assert.True(found == present && (!found || value == last),
                        $"Writer {writer}, map ID {mapId}, key {key}: wrote {(present ? last : "nothing")}, found {(found ? value : "nothing")}.");
                    break;
                case 1 when present:
                    Assert.True(inner.Delete(key), $"Writer {writer}, map ID {mapId}, key {key}: its value {last} is gone.");
                    Last[(mapId, key)] = null;
                    break;
                default:
                    // Exist/NoExist: the kernel refuses the update if the key is not as this writer left it.
                    ulong next = ((ulong)(writer + 1) << 40) | ++_sequence;
                    inner.Update(key, next, present ? BpfUpdateFlags.Exist : BpfUpdateFlags.NoExist);
                    Last[(mapId, key)] = next;
                    break;
            }
        }
    }
}
