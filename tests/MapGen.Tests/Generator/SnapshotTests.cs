using Microsoft.CodeAnalysis;

namespace MapGen.Tests.Generator;

/// <summary>
/// The generated code for each declaration shape, compared with the verified snapshots in
/// <c>Snapshots/</c>; each input also has to compile, with its generated code, without a warning.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public void Data_map_with_primitive_value() => VerifyShape(nameof(Data_map_with_primitive_value), """
        using MapGen;

        namespace Demo.Counters;

        [BpfMap(BpfMapType.Array, MaxEntries = 16, Value = typeof(ulong))]
        public partial struct PacketCounters;
        """);

    [Fact]
    public void Data_map_with_struct_key_and_value() => VerifyShape(nameof(Data_map_with_struct_key_and_value), """
        using System.Runtime.InteropServices;
        using MapGen;

        namespace Demo.Flows
        {
            [StructLayout(LayoutKind.Sequential)]
            public struct FlowKey { public uint SrcIp, DstIp; public ushort SrcPort, DstPort; public byte Proto; }

            public struct FlowStats { public ulong Packets, Bytes; }

            [BpfMap(BpfMapType.Hash, MaxEntries = 65536, Key = typeof(FlowKey), Value = typeof(FlowStats), Flags = BpfMapFlags.NoPrealloc)]
            public partial struct FlowTable;
        }
        """);

    [Fact]
    public void Mmapable_arrays_with_views() => VerifyShape(nameof(Mmapable_arrays_with_views), """
        using MapGen;

        namespace Demo.Shared;

        public struct Sample { public uint Packets, Bytes, Drops; }

        [BpfMap(BpfMapType.Array, MaxEntries = 256, Value = typeof(ulong), Flags = BpfMapFlags.Mmapable)]
        public partial struct CounterPage;

        [BpfMap(BpfMapType.Array, MaxEntries = 64, Value = typeof(Sample), Flags = BpfMapFlags.Mmapable)]
        public partial struct SamplePage;
        """);

    [Fact]
    public void Per_cpu_hash() => VerifyShape(nameof(Per_cpu_hash), """
        using MapGen;

        namespace Demo.Cpu;

        [BpfMap(BpfMapType.PerCpuHash, MaxEntries = 1024, Key = typeof(uint), Value = typeof(ulong))]
        public partial struct PacketsByPort;
        """);

    [Fact]
    public void Array_of_maps() => VerifyShape(nameof(Array_of_maps), """
        using MapGen;
        using static MapGen.BpfMapType;

        namespace Demo.Redirect;

        [BpfMap(DevMap, MaxEntries = 32)]
        public partial struct TxPorts;

        [BpfMap(ArrayOfMaps, MaxEntries = 32)]
        [InnerMap(typeof(TxPorts))]
        public partial struct TxPortTables;
        """);

    [Fact]
    public void Hash_of_maps_with_struct_key() => VerifyShape(nameof(Hash_of_maps_with_struct_key), """
        using MapGen;

        namespace Demo.Tenants;

        public struct TenantKey { public uint Region; public ushort Tenant; }

        [BpfMap(BpfMapType.LruHash, MaxEntries = 4096, Key = typeof(ulong), Value = typeof(long))]
        public partial struct TenantStats;

        [BpfMap(BpfMapType.HashOfMaps, MaxEntries = 1024, Key = typeof(TenantKey))]
        [InnerMap(typeof(TenantStats))]
        public partial struct TenantTables;
        """);

    [Fact]
    public void Map_nested_in_partial_class() => VerifyShape(nameof(Map_nested_in_partial_class), """
        using MapGen;

        namespace Demo.Nested;

        public static partial class Maps
        {
            internal partial class Xdp
            {
                [BpfMap(BpfMapType.PerCpuArray, MaxEntries = 4, Value = typeof(ulong), Name = "xdp_stats")]
                public readonly partial struct Stats;
            }
        }
        """);

    [Fact]
    public void Map_in_global_namespace() => VerifyShape(nameof(Map_in_global_namespace), """
        using MapGen;

        [BpfMap(BpfMapType.DevMapHash, MaxEntries = 64)]
        public partial record struct CpuStatsByQueue;
        """);

    private static void VerifyShape(string name, string source)
    {
        var (driver, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Empty(diagnostics);
        IReadOnlyList<Diagnostic> problems = GeneratorHarness.ProblemsOf(output);
        Assert.True(problems.Count == 0, "The input with its generated code does not compile cleanly:\n" + string.Join('\n', problems));
        var generated = GeneratorHarness.GeneratedSources(driver);
        Assert.NotEmpty(generated);
        foreach (var (hintName, text) in generated)
        {
            Snapshot.Verify($"{name}#{hintName[..^".cs".Length]}", text);
        }
    }
}
