using MapGen;

namespace FlowCollector;

/// <summary>Picks the runtime (emulated by default, native with <c>--native</c>) and runs the <see cref="Collector"/> on it.</summary>
internal static class Program
{
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
        string description;
        if (native)
        {
            try
            {
                runtime = BpfRuntime.CreateNative();
            }
            catch (Exception e) when (e is BpfException or PlatformNotSupportedException)
            {
                Console.Error.WriteLine("The native runtime is not available here:");
                Console.Error.WriteLine($"  {e.Message}");
                Console.Error.WriteLine("Run without --native to use the emulated runtime, which needs no root and works anywhere.");
                return 2;
            }

            description = "native (the Linux kernel, through bpf(2))";
        }
        else
        {
            runtime = BpfRuntime.CreateEmulated();
            description = "emulated (an in-process model of the kernel's maps: no root needed)";
        }

        using (runtime)
        {
            Console.WriteLine("FlowCollector: per-tenant flow tables in a HASH_OF_MAPS, drained while they fill, and mapped port counters");
            Console.WriteLine();
            Console.WriteLine($"Runtime: {description}");
            new Collector(runtime).Run();
        }

        return 0;
    }

    private static void PrintUsage(TextWriter writer)
    {
        writer.WriteLine("Usage: dotnet run --project samples/FlowCollector [-- --native]");
        writer.WriteLine("  (no option)  run on the emulated runtime: an in-process kernel model, no root needed");
        writer.WriteLine("  --native     run on the Linux kernel through bpf(2): needs root (CAP_BPF, CAP_SYS_ADMIN)");
    }
}
