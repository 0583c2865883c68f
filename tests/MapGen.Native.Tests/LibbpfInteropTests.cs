using System.Runtime.InteropServices;
using System.Text.Json;
using MapGen.CompilerServices;

namespace MapGen.Native.Tests;

/// <summary>
/// The real toolchain: the shared map-in-map example compiled by clang-19, loaded and pinned by
/// libbpf, then opened and changed through MapGen's C# declarations and checked with bpftool.
/// </summary>
public sealed class LibbpfInteropTests
{
    [Fact]
    public void MapGen_opens_and_changes_maps_that_libbpf_loaded_and_pinned()
    {
        Kernel.RequireNetAdmin();
        Kernel.RequireSysAdmin();
        string clang = Kernel.RequireTool("clang-19");
        string bpftool = Kernel.RequireTool("bpftool");
        Kernel.RequireFile("/usr/include/bpf/libbpf.h", "libbpf-dev");

        using var pins = new BpffsDirectory();
        string build = Directory.CreateTempSubdirectory("mapgen-libbpf-").FullName;
        try
        {
            string interop = Path.Combine(AppContext.BaseDirectory, "Interop");
            string obj = Path.Combine(build, "array_of_devmaps.bpf.o");
            string loader = Path.Combine(build, "pin_maps");
            Kernel.Run(clang, "-g", "-O2", "-target", "bpf", $"-I/usr/include/{Multiarch()}", "-c", Path.Combine(interop, "array_of_devmaps.bpf.c"), "-o", obj);
            Kernel.Run(clang, "-O2", Path.Combine(interop, "pin_maps.c"), "-o", loader, "-lbpf");
            Kernel.Run(loader, obj, pins.Path);

            using BpfRuntime rt = Kernel.Runtime();
            using TxPortTables tables = TxPortTables.Open(rt, pins["tx_port_tables"]);
            using TxPorts txPorts = TxPorts.Open(rt, pins["tx_ports"]);

            // libbpf filled slot 1 statically with tx_ports.
            Assert.Equal([1U], tables.Keys);
            Assert.True(tables.TryLookup(1, out TxPorts slot1));
            Assert.Equal(txPorts.Map.Id, slot1.Map.Id);
            txPorts.Update(0, 1);
            Assert.True(slot1.TryLookup(0, out uint ifindex));
            Assert.Equal(1U, ifindex);

            // A map MapGen creates goes into another slot, and bpftool sees it there.
            using TxPorts mine = TxPorts.Create(rt);
            mine.Update(5, 1);
            tables.Update(3, mine);
            using (JsonDocument lookup = JsonDocument.Parse(Kernel.Run(bpftool, "-j", "map", "lookup", "pinned", pins["tx_port_tables"], "key", "3", "0", "0", "0")))
            {
                byte[] value = lookup.RootElement.GetProperty("value").EnumerateArray().Select(b => Convert.ToByte(b.GetString(), 16)).ToArray();
                Assert.Equal(mine.Map.Id, Bytes.ReadU32(value));
            }

            Assert.Equal([1U, 3U], tables.Keys);

            // A declaration that differs from the object is refused, naming the field.
            var wider = new BpfMapSpec("tx_ports", BpfMapType.DevMap, 4, 4, 64);
            BpfMapMismatchException e = Assert.Throws<BpfMapMismatchException>(() => MapOperations.Open(rt, pins["tx_ports"], wider));
            BpfMapFieldMismatch field = Assert.Single(e.Mismatches);
            Assert.Equal(("MaxEntries", "64", "32"), (field.Field, field.Expected, field.Actual));
        }
        finally
        {
            Directory.Delete(build, recursive: true);
        }
    }

    private static string Multiarch() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => "x86_64-linux-gnu",
        Architecture.Arm64 => "aarch64-linux-gnu",
        Architecture architecture => throw new PlatformNotSupportedException($"No Debian multiarch name known for {architecture}."),
    };
}
