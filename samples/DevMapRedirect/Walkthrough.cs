using MapGen;
using MapGen.Emulation;

namespace DevMapRedirect;

/// <summary>
/// The user-space side of an XDP redirector built on an array of devmaps: it builds one TX port
/// table per RX queue, installs the tables in the outer map, reads routes back the way the XDP
/// program does, swaps a table in one update, and shows what the kernel refuses.
/// </summary>
internal sealed class Walkthrough
{
    private readonly BpfRuntime _runtime;
    private readonly IReadOnlyList<EmulatedNetworkInterface> _interfaces;

    // The two interfaces packets go out of; one of them is later taken out of service.
    private readonly EmulatedNetworkInterface _portA;
    private readonly EmulatedNetworkInterface _portB;

    public Walkthrough(BpfRuntime runtime, IReadOnlyList<EmulatedNetworkInterface> interfaces)
    {
        _runtime = runtime;
        _interfaces = interfaces;
        // Prefer real ports to the loopback; a machine with a single port uses it twice.
        EmulatedNetworkInterface[] ports = [.. interfaces.Where(i => i.Name != "lo").OrderBy(i => i.IfIndex)];
        if (ports.Length == 0)
        {
            ports = [.. interfaces];
        }

        _portA = ports[0];
        _portB = ports[Math.Min(1, ports.Length - 1)];
    }

    public void Run()
    {
        uint a = (uint)_portA.IfIndex;
        uint b = (uint)_portB.IfIndex;

        Step(1, "Create the outer map");
        using TxPortTables tables = TxPortTables.Create(_runtime);
        BpfMapSpec outer = TxPortTables.Spec;
        BpfMapSpec inner = TxPorts.Spec;
        Console.WriteLine($"   {outer.Name}: {outer.Type} with {outer.MaxEntries} slots, map ID {tables.Map.Id}");
        Console.WriteLine($"   each slot can hold a {inner.Name} map: {inner.Type}, {inner.MaxEntries} entries of TX queue -> ifindex");

        Step(2, "Build a TX port table for each RX queue");
        TxPorts rxQueue0 = BuildTable("RX queue 0", (0, a), (1, b));
        TxPorts rxQueue1 = BuildTable("RX queue 1", (0, b), (1, a));

        Step(3, "Install the tables in slots of the outer map");
        tables.Update(0, rxQueue0);
        tables.Update(1, rxQueue1);
        Console.WriteLine($"   slot 0 <- map ID {rxQueue0.Map.Id}");
        Console.WriteLine($"   slot 1 <- map ID {rxQueue1.Map.Id}");
        Console.WriteLine("   Update takes a TxPorts and nothing else: the C# compiler refuses any other map here.");
        Console.WriteLine("   Underneath, user space writes the table's fd into the slot; the kernel stores the map.");
        // Each slot holds its own reference to its table, so our handles are not needed any more.
        rxQueue0.Dispose();
        rxQueue1.Dispose();
        Console.WriteLine("   This program has closed its own handles to both tables: the outer map keeps them alive.");

        Step(4, "Look up routes through the outer map, as the XDP program does for each packet");
        ShowRoute(tables, rxQueue: 0, txQueue: 1);
        ShowRoute(tables, rxQueue: 1, txQueue: 1);
        Console.WriteLine($"   tx_port_tables[5] -> {(tables.TryLookup(5, out _) ? "a table" : "empty slot")}: the XDP program would pass such packets up the stack");
        Console.WriteLine("   A lookup returns a borrowed TxPorts: the outer handle owns it, so there is nothing to dispose.");

        Step(5, $"Swap slot 0 to a new table in one update ({_portB.Name} goes into maintenance)");
        TxPorts drained = BuildTable("new table for RX queue 0", (0, a), (1, a));
        uint before = tables.Lookup(0).Map.Id;
        tables.Update(0, drained);
        uint after = tables.Lookup(0).Map.Id;
        drained.Dispose();
        Console.WriteLine($"   slot 0 before swap: map ID {before}");
        Console.WriteLine($"   slot 0 after swap: map ID {after}");
        ShowRoute(tables, rxQueue: 0, txQueue: 1);
        Console.WriteLine("   The slot changes in one step: a packet sees the old table or the new one, never a mix.");
        if (_runtime.TryOpenById(before, out BpfMap? old) == BpfErrno.ENOENT)
        {
            Console.WriteLine($"   map ID {before} (the old table) is gone: nothing held it any more, so it was freed");
        }
        else
        {
            // The kernel frees a map replaced in a slot after an RCU grace period, so it may
            // still be found for a moment; the emulated runtime frees it at once.
            using (old)
            {
                Console.WriteLine($"   map ID {before} (the old table) is still there: the kernel frees it once no reference is left");
            }
        }

        Step(6, "What the kernel refuses: BpfException carries its errno");
        uint unknown = UnknownIfIndex();
        using TxPorts spare = TxPorts.Create(_runtime);
        ShowRefusal($"tx_ports[2] = ifindex {unknown} (no such interface)", () => spare.Update(2, unknown));
        ShowRefusal("tx_port_tables[32] = a table (the slots are 0..31)", () => tables.Update(32, spare));

        Console.WriteLine();
        Console.WriteLine("Done. Disposing the outer map and the runtime frees every map.");
    }

    /// <summary>Creates a DevMap and fills it with <c>TX queue → ifindex</c> entries.</summary>
    private TxPorts BuildTable(string label, params (uint TxQueue, uint IfIndex)[] ports)
    {
        TxPorts table = TxPorts.Create(_runtime);
        foreach ((uint txQueue, uint ifIndex) in ports)
        {
            table.Update(txQueue, ifIndex);
        }

        string entries = string.Join(", ", ports.Select(p => $"queue {p.TxQueue} -> {Describe(p.IfIndex)}"));
        Console.WriteLine($"   {label}: tx_ports map ID {table.Map.Id}: {entries}");
        return table;
    }

    /// <summary>Follows one packet's route: the RX queue's table from the outer map, then the TX queue's ifindex.</summary>
    private void ShowRoute(TxPortTables tables, uint rxQueue, uint txQueue)
    {
        TxPorts table = tables.Lookup(rxQueue);
        uint ifIndex = table.Lookup(txQueue);
        Console.WriteLine($"   tx_port_tables[{rxQueue}] -> map ID {table.Map.Id}; [{txQueue}] -> ifindex {Describe(ifIndex)}");
    }

    private static void ShowRefusal(string attempt, Action update)
    {
        try
        {
            update();
        }
        catch (BpfException e)
        {
            Console.WriteLine($"   {attempt}: refused with {e.Errno}");
            Console.WriteLine($"      {e.Message}");
            return;
        }

        // The kernel refuses both attempts; reaching this line means the runtime did not.
        throw new InvalidOperationException($"Expected the kernel to refuse: {attempt}.");
    }

    /// <summary>An ifindex no interface has: 42, or the next free one above it.</summary>
    private uint UnknownIfIndex()
    {
        uint candidate = 42;
        while (_interfaces.Any(i => i.IfIndex == candidate))
        {
            candidate++;
        }

        return candidate;
    }

    private string Describe(uint ifIndex) =>
        _interfaces.FirstOrDefault(i => i.IfIndex == ifIndex) is { } iface ? $"{ifIndex} ({iface.Name})" : $"{ifIndex}";

    private static void Step(int number, string title)
    {
        Console.WriteLine();
        Console.WriteLine($"{number}. {title}");
    }
}
