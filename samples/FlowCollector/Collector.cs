using MapGen;

namespace FlowCollector;

/// <summary>
/// The user-space side of a per-tenant connection recorder. A BPF program (played here by a
/// thread) records every new connection in its tenant's flow table, found through the outer map,
/// and counts it in a mapped array of per-port counters. The collector drains the tables while
/// they fill, so that every connection is exported exactly once, and reads the port counters in
/// place.
/// </summary>
internal sealed class Collector(BpfRuntime runtime)
{
    private const int Tenants = 3;
    private const int Connections = 20_000;
    private const int Seeded = 1_000;

    public void Run()
    {
        Step(1, "Create one flow table per tenant and install them with one UpdateBatch");
        using TenantFlows tenants = TenantFlows.Create(runtime);
        FlowTable[] tables = [.. Enumerable.Range(0, Tenants).Select(_ => FlowTable.Create(runtime))];
        try
        {
            uint[] tenantIds = [.. Enumerable.Range(1, Tenants).Select(i => (uint)i)];
            tenants.UpdateBatch(tenantIds, tables);
            Console.WriteLine($"tenant_flows <- {Tenants} tables in one batch: {string.Join(", ", tenants.Keys.Order().Select(t => $"tenant {t}"))}");

            Step(2, "Write and delete flows in batches");
            FlowKey[] seeded = [.. Enumerable.Range(0, Seeded).Select(i => Flow(1, (uint)i, 8080))];
            tables[0].UpdateBatch(seeded, [.. seeded.Select(_ => new FlowStats(1, 64))]);
            Console.WriteLine($"tenant 1: {tables[0].Keys.Count()} flows written by one UpdateBatch");
            FlowKey[] closed = [.. seeded.Where((_, i) => i % 2 == 0), .. Enumerable.Range(0, 10).Select(i => Flow(1, 1_000_000 + (uint)i, 8080))];
            int deleted = tables[0].DeleteBatch(closed);
            Console.WriteLine($"tenant 1: DeleteBatch of {closed.Length} keys deleted {deleted} ({closed.Length - deleted} were absent); {tables[0].Keys.Count()} flows left");

            Step(3, "Record connections while the collector drains the tables");
            using PortHits ports = PortHits.Create(runtime);
            using BpfContiguousArrayView<ulong> hits = ports.CreateView();
            int recorded = 0;
            var program = Task.Run(() => recorded = RecordConnections(tenants, hits));
            var collected = new Dictionary<uint, int>();
            int drains = 0;
            bool twice = false;
            var seen = new HashSet<FlowKey>();
            while (true)
            {
                bool last = program.IsCompleted;
                foreach (KeyValuePair<uint, FlowTable> tenant in tenants.Entries)
                {
                    KeyValuePair<FlowKey, FlowStats>[] taken = tenant.Value.Drain();
                    drains++;
                    collected[tenant.Key] = collected.GetValueOrDefault(tenant.Key) + taken.Length;
                    foreach (KeyValuePair<FlowKey, FlowStats> flow in taken)
                    {
                        twice |= !seen.Add(flow.Key);
                    }
                }

                if (last)
                {
                    break;
                }
            }

            program.GetAwaiter().GetResult();
            int total = collected.Values.Sum();
            int expected = recorded + (Seeded - deleted);
            Console.WriteLine($"the program recorded {recorded} connections; {drains} drains collected {total} flows ({string.Join(", ", collected.OrderBy(c => c.Key).Select(c => $"tenant {c.Key}: {c.Value}"))})");
            Console.WriteLine(total == expected && !twice
                ? $"every flow was collected exactly once: {recorded} connections + {Seeded - deleted} seeded flows = {total}"
                : $"MISMATCH: expected {expected} flows, collected {total}{(twice ? ", some twice" : "")}");
            Console.WriteLine($"flow tables after the last drain: {string.Join(", ", tables.Select(t => t.Keys.Count()))} flows");

            Step(4, "Read the port counters in place, without a system call");
            Span<ulong> counts = hits.Span;
            ulong sum = 0;
            foreach (ulong count in counts)
            {
                sum += count;
            }

            Console.WriteLine($"port_hits: {counts.Length} counters mapped, {sum} connections counted");
            Console.WriteLine($"busiest ports: {string.Join(", ", Enumerable.Range(0, counts.Length).OrderByDescending(p => hits[p]).ThenBy(p => p).Take(3).Select(p => $"{p} ({hits[p]})"))}");
            Console.WriteLine($"port_hits[443] by a lookup system call: {ports.Lookup(443)}, in the view: {hits[443]}");
        }
        finally
        {
            foreach (FlowTable table in tables)
            {
                table.Dispose();
            }
        }

        Console.WriteLine();
        Console.WriteLine("Done.");
    }

    /// <summary>
    /// What the BPF program does for each new connection: find the tenant's table through the
    /// outer map (a borrowed inner map), record the flow, count its port. The port counter is
    /// incremented atomically, as a BPF program's <c>__sync_fetch_and_add</c> would.
    /// </summary>
    private static int RecordConnections(TenantFlows tenants, BpfContiguousArrayView<ulong> hits)
    {
        ushort[] popular = [443, 80, 53, 22];
        for (uint i = 0; i < Connections; i++)
        {
            uint tenant = (i % Tenants) + 1;
            ushort port = i % 5 == 4 ? (ushort)(1024 + (i % 997)) : popular[i % 4];
            FlowTable table = tenants.Lookup(tenant);
            table.Update(Flow(tenant, i, port), new FlowStats(1, 60 + (i % 1400)), BpfUpdateFlags.NoExist);
            Interlocked.Increment(ref hits[port]);
        }

        return Connections;
    }

    private static FlowKey Flow(uint tenant, uint connection, ushort port) =>
        new(0x0a000000 | (tenant << 16) | (connection & 0xffff), 0xc0a80001, (ushort)(10_000 + (connection >> 16)), port, 6);

    private static void Step(int number, string title)
    {
        Console.WriteLine();
        Console.WriteLine($"{number}. {title}");
    }
}
