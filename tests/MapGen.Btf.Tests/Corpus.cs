namespace MapGen.Btf.Tests;

/// <summary>A corpus entry: a generated spec and the C a libbpf user would write for the same map.</summary>
public sealed record CorpusEntry(string Id, BpfMapSpec Spec, string HandWrittenC)
{
    public override string ToString() => Id;
}

/// <summary>The declarations of <c>Declarations.cs</c>, each with its hand-written C equivalent.</summary>
public static class Corpus
{
    private const string Includes = "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n";

    public static readonly CorpusEntry[] Entries =
    [
        new("array_u64", PacketCounters.Spec, """
            struct {
                __uint(type, BPF_MAP_TYPE_ARRAY);
                __uint(max_entries, 16);
                __type(key, __u32);
                __type(value, __u64);
            } packet_counters SEC(".maps");
            """),
        new("percpu_array_struct", CpuStatsMap.Spec, """
            struct CpuStats { __u64 Packets; __u64 Bytes; __u32 Drops; };
            struct {
                __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
                __uint(max_entries, 4);
                __type(key, __u32);
                __type(value, struct CpuStats);
            } cpu_stats_map SEC(".maps");
            """),
        new("hash_flags_struct_key", FlowTable.Spec, """
            struct FlowKey { __u32 SrcIp; __u32 DstIp; __u16 SrcPort; __u16 DstPort; __u8 Proto; };
            struct FlowStats { __u64 Packets; __u64 Bytes; };
            struct {
                __uint(type, BPF_MAP_TYPE_HASH);
                __uint(max_entries, 65536);
                __uint(map_flags, BPF_F_NO_PREALLOC);
                __type(key, struct FlowKey);
                __type(value, struct FlowStats);
            } flow_table SEC(".maps");
            """),
        new("percpu_hash_double", Latencies.Spec, """
            struct {
                __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
                __uint(max_entries, 128);
                __type(key, __s32);
                __type(value, double);
            } latencies SEC(".maps");
            """),
        new("lru_hash_explicit_fixed", Connections.Spec, """
            struct ConnKey { __u32 Addr; __u16 Port; __s64 Cookie; };
            struct ConnInfo { __u8 Comm[16]; _Bool Active; __u16 Initial; float Score; __s16 Delta; __s8 Bias; };
            struct {
                __uint(type, BPF_MAP_TYPE_LRU_HASH);
                __uint(max_entries, 1024);
                __type(key, struct ConnKey);
                __type(value, struct ConnInfo);
            } connections SEC(".maps");
            """),
        new("lru_percpu_hash_pack1", PackedScores.Spec, """
            struct PackedKey { __u8 Tag; __u32 Id; __u16 Port; } __attribute__((packed));
            struct {
                __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
                __uint(max_entries, 256);
                __type(key, struct PackedKey);
                __type(value, float);
            } packed_scores SEC(".maps");
            """),
        new("devmap", TxPorts.Spec, """
            struct {
                __uint(type, BPF_MAP_TYPE_DEVMAP);
                __uint(max_entries, 32);
                __type(key, __u32);
                __type(value, __u32);
            } tx_ports SEC(".maps");
            """),
        new("devmap_hash_struct", Redirects.Spec, """
            struct DevMapValue { __u32 IfIndex; __s32 ProgFd; };
            struct {
                __uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
                __uint(max_entries, 64);
                __type(key, __u32);
                __type(value, struct DevMapValue);
            } redirects SEC(".maps");
            """),
        new("array_of_devmaps", TxPortTables.Spec, """
            struct tx_ports_def {
                __uint(type, BPF_MAP_TYPE_DEVMAP);
                __uint(max_entries, 32);
                __type(key, __u32);
                __type(value, __u32);
            } tx_ports SEC(".maps");
            struct {
                __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
                __uint(max_entries, 32);
                __type(key, __u32);
                __type(value, __u32);
                __array(values, struct tx_ports_def);
            } tx_port_tables SEC(".maps");
            """),
        new("hash_of_hashes", TenantFlows.Spec, """
            struct FlowKey { __u32 SrcIp; __u32 DstIp; __u16 SrcPort; __u16 DstPort; __u8 Proto; };
            struct FlowStats { __u64 Packets; __u64 Bytes; };
            struct flow_table_def {
                __uint(type, BPF_MAP_TYPE_HASH);
                __uint(max_entries, 65536);
                __uint(map_flags, BPF_F_NO_PREALLOC);
                __type(key, struct FlowKey);
                __type(value, struct FlowStats);
            } flow_table SEC(".maps");
            struct {
                __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
                __uint(max_entries, 1024);
                __type(key, __u32);
                __type(value, __u32);
                __array(values, struct flow_table_def);
            } tenant_flows SEC(".maps");
            """),
        new("prog_array", JumpTable.Spec, """
            struct {
                __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
                __uint(max_entries, 8);
                __type(key, __u32);
                __type(value, __u32);
            } jump_table SEC(".maps");
            """),
        new("hash_enums", LabelsByColor.Spec, """
            enum Color : unsigned short { Color_Red = 1, Color_Green = 2, Color_Blue = 65535 };
            enum Level : signed char { Level_Low = -100, Level_High = 100 };
            enum Verdict : int { Verdict_Pass = 0, Verdict_Drop = -1 };
            enum Huge : long long { Huge_Min = -9223372036854775807LL - 1, Huge_Big = 0x100000000LL };
            enum Mask : unsigned long long { Mask_None = 0, Mask_Top = 0x8000000000000000ULL };
            enum Kind : unsigned int { Kind_First = 1, Kind_Last = 0xFFFFFFFFU };
            struct Labels { enum Level Level; enum Color Color; enum Verdict Verdict; enum Huge Huge; enum Mask Mask; enum Kind Kind; };
            struct {
                __uint(type, BPF_MAP_TYPE_HASH);
                __uint(max_entries, 64);
                __type(key, enum Color);
                __type(value, struct Labels);
            } labels_by_color SEC(".maps");
            """),
        new("hash_inline_arrays_nested", Neighbours.Spec, """
            struct Endpoint { __u32 Addr[4]; __u16 Port; };
            struct Neighbour { struct Endpoint Ends[2]; __u8 Mac[6]; __u8 History[3][6]; __u64 Seen; };
            struct {
                __uint(type, BPF_MAP_TYPE_HASH);
                __uint(max_entries, 512);
                __type(key, __u32[4]);
                __type(value, struct Neighbour);
            } neighbours SEC(".maps");
            """),
        new("array_explicit_gaps", OddValues.Spec, """
            struct OddLayout { __u8 A; __u32 B; __u8 __pad5[3]; __u64 C; __u8 __pad16[8]; } __attribute__((packed));
            struct {
                __uint(type, BPF_MAP_TYPE_ARRAY);
                __uint(max_entries, 2);
                __type(key, __u32);
                __type(value, struct OddLayout);
            } odd_values SEC(".maps");
            """),
        new("hash_pack2_nested", PackedTwo.Spec, """
            struct FlowStats { __u64 Packets; __u64 Bytes; };
            struct Packed2 { __u8 A; __u64 B __attribute__((aligned(2))); struct FlowStats Stats __attribute__((aligned(2))); __u16 C; } __attribute__((packed, aligned(2)));
            struct {
                __uint(type, BPF_MAP_TYPE_HASH);
                __uint(max_entries, 8);
                __type(key, __u64);
                __type(value, struct Packed2);
            } packed_two SEC(".maps");
            """),
    ];

    public static TheoryData<string> Ids => [.. Entries.Select(e => e.Id)];

    public static CorpusEntry Get(string id) => Entries.Single(e => e.Id == id);

    public static string Source(CorpusEntry entry) => Includes + entry.HandWrittenC + "\n";
}
