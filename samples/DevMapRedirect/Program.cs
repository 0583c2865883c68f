using MapGen;
using MapGen.Emulation;

namespace DevMapRedirect;

/// <summary>
/// Picks the runtime (emulated by default, native with <c>--native</c>) and runs the
/// <see cref="Walkthrough"/> on it.
/// </summary>
internal static class Program
{
    // The interfaces of the emulated machine. A DevMap refuses any other ifindex, as the kernel does.
    private static readonly EmulatedNetworkInterface[] s_emulatedInterfaces =
        [new("lo", 1), new("eth0", 2), new("eth1", 3)];

    private static int Main(string[] args)
    {
        bool native = false;
        foreach (string arg in args)
        {
            switch (arg)
            {
                case "--native":
                    native = true;
                    break;
                case "-h" or "--help":
                    PrintUsage(Console.Out);
                    return 0;
                default:
                    Console.Error.WriteLine($"Unknown argument '{arg}'.");
                    PrintUsage(Console.Error);
                    return 2;
            }
        }

        BpfRuntime runtime;
        IReadOnlyList<EmulatedNetworkInterface> interfaces;
        string description;
        if (native)
        {
            try
            {
                runtime = BpfRuntime.CreateNative();
            }
            catch (Exception e) when (e is BpfException or PlatformNotSupportedException)
            {
                // Not Linux, an old kernel, or missing privileges: say which, and do not quietly
                // fall back to the emulated runtime.
                Console.Error.WriteLine("The native runtime is not available here:");
                Console.Error.WriteLine($"  {e.Message}");
                Console.Error.WriteLine("Run without --native to use the emulated runtime, which needs no root and works anywhere.");
                return 2;
            }

            // The kernel's DevMaps accept only interfaces that exist: use this machine's.
            interfaces = EmulatedRuntimeOptions.FromHost().NetworkInterfaces;
            description = "native (the Linux kernel, through bpf(2))";
        }
        else
        {
            interfaces = s_emulatedInterfaces;
            runtime = BpfRuntime.CreateEmulated(new EmulatedRuntimeOptions { NetworkInterfaces = interfaces });
            description = "emulated (an in-process model of the kernel's maps: no root needed)";
        }

        using (runtime)
        {
            Console.WriteLine("DevMapRedirect: an array of devmaps (ARRAY_OF_MAPS of DEVMAP), declared in C# with MapGen");
            Console.WriteLine();
            Console.WriteLine("An XDP program redirects each packet with two lookups: tx_port_tables[RX queue] gives that");
            Console.WriteLine("queue's TX port table, and table[TX queue] the interface to send the packet out of.");
            Console.WriteLine("This program is the user-space side: it builds the tables, installs them and swaps one.");
            Console.WriteLine();
            Console.WriteLine($"Runtime: {description}");
            Console.WriteLine($"Interfaces: {string.Join(", ", interfaces.Select(i => $"{i.Name}={i.IfIndex}"))}");
            new Walkthrough(runtime, interfaces).Run();
        }

        return 0;
    }

    private static void PrintUsage(TextWriter writer)
    {
        writer.WriteLine("Usage: dotnet run --project samples/DevMapRedirect [-- --native]");
        writer.WriteLine("  (no option)  run on the emulated runtime: an in-process kernel model, no root needed");
        writer.WriteLine("  --native     run on the Linux kernel through bpf(2): needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)");
    }
}
