// This file is compiled into the runtime (public) and, linked, into the generator and analyzers
// (internal), so that the rules judging declarations use the very numbers the runtime ships.
namespace MapGen;

/// <summary>
/// The kernel's <c>enum bpf_map_type</c>, with the kernel's numeric values.
/// </summary>
#if MAPGEN_ROSLYN
internal
#else
public
#endif
enum BpfMapType : uint
{
    /// <summary><c>BPF_MAP_TYPE_UNSPEC</c>: not a map type; the kernel refuses it.</summary>
    Unspec = 0,
    /// <summary><c>BPF_MAP_TYPE_HASH</c>.</summary>
    Hash = 1,
    /// <summary><c>BPF_MAP_TYPE_ARRAY</c>.</summary>
    Array = 2,
    /// <summary><c>BPF_MAP_TYPE_PROG_ARRAY</c>: tail-call targets; never an inner map.</summary>
    ProgArray = 3,
    /// <summary><c>BPF_MAP_TYPE_PERF_EVENT_ARRAY</c>.</summary>
    PerfEventArray = 4,
    /// <summary><c>BPF_MAP_TYPE_PERCPU_HASH</c>.</summary>
    PerCpuHash = 5,
    /// <summary><c>BPF_MAP_TYPE_PERCPU_ARRAY</c>.</summary>
    PerCpuArray = 6,
    /// <summary><c>BPF_MAP_TYPE_STACK_TRACE</c>.</summary>
    StackTrace = 7,
    /// <summary><c>BPF_MAP_TYPE_CGROUP_ARRAY</c>.</summary>
    CgroupArray = 8,
    /// <summary><c>BPF_MAP_TYPE_LRU_HASH</c>.</summary>
    LruHash = 9,
    /// <summary><c>BPF_MAP_TYPE_LRU_PERCPU_HASH</c>.</summary>
    LruPerCpuHash = 10,
    /// <summary><c>BPF_MAP_TYPE_LPM_TRIE</c>.</summary>
    LpmTrie = 11,
    /// <summary><c>BPF_MAP_TYPE_ARRAY_OF_MAPS</c>: an outer map indexed by <c>u32</c> whose values are inner maps.</summary>
    ArrayOfMaps = 12,
    /// <summary><c>BPF_MAP_TYPE_HASH_OF_MAPS</c>: an outer map with any key whose values are inner maps.</summary>
    HashOfMaps = 13,
    /// <summary><c>BPF_MAP_TYPE_DEVMAP</c>: XDP redirect targets by index.</summary>
    DevMap = 14,
    /// <summary><c>BPF_MAP_TYPE_SOCKMAP</c>.</summary>
    SockMap = 15,
    /// <summary><c>BPF_MAP_TYPE_CPUMAP</c>.</summary>
    CpuMap = 16,
    /// <summary><c>BPF_MAP_TYPE_XSKMAP</c>.</summary>
    XskMap = 17,
    /// <summary><c>BPF_MAP_TYPE_SOCKHASH</c>.</summary>
    SockHash = 18,
    /// <summary><c>BPF_MAP_TYPE_CGROUP_STORAGE</c>.</summary>
    CgroupStorage = 19,
    /// <summary><c>BPF_MAP_TYPE_REUSEPORT_SOCKARRAY</c>.</summary>
    ReuseportSockArray = 20,
    /// <summary><c>BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE</c>.</summary>
    PerCpuCgroupStorage = 21,
    /// <summary><c>BPF_MAP_TYPE_QUEUE</c>.</summary>
    Queue = 22,
    /// <summary><c>BPF_MAP_TYPE_STACK</c>.</summary>
    Stack = 23,
    /// <summary><c>BPF_MAP_TYPE_SK_STORAGE</c>.</summary>
    SkStorage = 24,
    /// <summary><c>BPF_MAP_TYPE_DEVMAP_HASH</c>: XDP redirect targets by key.</summary>
    DevMapHash = 25,
    /// <summary><c>BPF_MAP_TYPE_STRUCT_OPS</c>.</summary>
    StructOps = 26,
    /// <summary><c>BPF_MAP_TYPE_RINGBUF</c>.</summary>
    RingBuf = 27,
    /// <summary><c>BPF_MAP_TYPE_INODE_STORAGE</c>.</summary>
    InodeStorage = 28,
    /// <summary><c>BPF_MAP_TYPE_TASK_STORAGE</c>.</summary>
    TaskStorage = 29,
    /// <summary><c>BPF_MAP_TYPE_BLOOM_FILTER</c>.</summary>
    BloomFilter = 30,
    /// <summary><c>BPF_MAP_TYPE_USER_RINGBUF</c>.</summary>
    UserRingBuf = 31,
    /// <summary><c>BPF_MAP_TYPE_CGRP_STORAGE</c>.</summary>
    CgrpStorage = 32,
    /// <summary><c>BPF_MAP_TYPE_ARENA</c>.</summary>
    Arena = 33,
}
