using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using static MapGen.BpfMapType;

namespace MapGen.Benchmarks;

/// <summary>libbpf's element and iteration calls, as a C control plane makes them, through P/Invoke.</summary>
internal static unsafe partial class Libbpf
{
    private const string Library = "libbpf.so.1";

    [LibraryImport(Library, EntryPoint = "bpf_map_lookup_elem")]
    public static partial int LookupElem(int fd, void* key, void* value);

    [LibraryImport(Library, EntryPoint = "bpf_map_update_elem")]
    public static partial int UpdateElem(int fd, void* key, void* value, ulong flags);

    [LibraryImport(Library, EntryPoint = "bpf_map_get_next_key")]
    public static partial int GetNextKey(int fd, void* key, void* nextKey);

    /// <summary>
    /// The native runtime for a benchmark, or an exception that says why there is none: these
    /// benchmarks measure the kernel, and a run without it must not report numbers.
    /// </summary>
    public static BpfRuntime CreateNativeRuntime()
    {
        if (!BpfRuntime.IsNativeSupported)
        {
            // CreateNative throws the exception that names what is missing (Linux, bpf(2), capabilities).
            BpfRuntime.CreateNative().Dispose();
            throw new InvalidOperationException("The native runtime is not available in this process.");
        }

        if (!NativeLibrary.TryLoad(Library, typeof(Libbpf).Assembly, null, out IntPtr handle))
        {
            throw new InvalidOperationException($"{Library} is not installed; the native benchmarks compare with it (apt-get install libbpf1).");
        }

        NativeLibrary.Free(handle);
        return BpfRuntime.CreateNative();
    }
}

/// <summary>A 65,536-entry hash, for the bulk read.</summary>
[BpfMap(Hash, MaxEntries = NativeBulkReadBenchmarks.Entries, Key = typeof(uint), Value = typeof(ulong))]
public partial struct BigHash;

/// <summary>The inner maps of the outer-map benchmark.</summary>
[BpfMap(BpfMapType.Array, MaxEntries = 4, Value = typeof(ulong))]
public partial struct SlotCounters;

/// <summary>An array of 64 maps.</summary>
[BpfMap(ArrayOfMaps, MaxEntries = NativeOuterBatchBenchmarks.Slots)]
[InnerMap(typeof(SlotCounters))]
public partial struct CounterSlots;

/// <summary>
/// Issue 5: typed native lookup and update against libbpf's <c>bpf_map_lookup_elem</c> and
/// <c>bpf_map_update_elem</c> on the same kernel map (a <c>BPF_MAP_TYPE_HASH</c> with 1,024
/// <c>u32</c> keys and <c>u64</c> values, all present), cycling through the keys. Each
/// category's baseline is libbpf.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public unsafe class NativeElementBenchmarks
{
    private const int Keys = EmulatedHashBenchmarks.Keys;

    private uint[] _keys = [];
    private BpfRuntime _runtime = null!;
    private UintHash _map;
    private int _fd;

    [GlobalSetup]
    public void Setup()
    {
        _runtime = Libbpf.CreateNativeRuntime();
        var random = new Random(20261125);
        var keys = new HashSet<uint>();
        while (keys.Count < Keys)
        {
            keys.Add((uint)random.Next());
        }

        _keys = [.. keys];
        _map = UintHash.Create(_runtime);
        for (int i = 0; i < _keys.Length; i++)
        {
            _map.Update(_keys[i], (ulong)i);
        }

        _fd = _map.Map.Fd;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _map.Dispose();
        _runtime.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Keys), BenchmarkCategory("Lookup")]
    public ulong Libbpf_lookup_elem()
    {
        ulong sum = 0;
        foreach (uint key in _keys)
        {
            ulong value;
            if (Libbpf.LookupElem(_fd, &key, &value) != 0)
            {
                throw new InvalidOperationException("lookup failed");
            }

            sum += value;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Keys), BenchmarkCategory("Lookup")]
    public ulong Typed_TryLookup()
    {
        ulong sum = 0;
        foreach (uint key in _keys)
        {
            if (!_map.TryLookup(key, out ulong value))
            {
                throw new InvalidOperationException("lookup failed");
            }

            sum += value;
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Keys), BenchmarkCategory("Update")]
    public void Libbpf_update_elem()
    {
        uint[] keys = _keys;
        for (int i = 0; i < keys.Length; i++)
        {
            uint key = keys[i];
            ulong value = (ulong)i;
            if (Libbpf.UpdateElem(_fd, &key, &value, 0) != 0)
            {
                throw new InvalidOperationException("update failed");
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Keys), BenchmarkCategory("Update")]
    public void Typed_Update()
    {
        uint[] keys = _keys;
        for (int i = 0; i < keys.Length; i++)
        {
            _map.Update(keys[i], (ulong)i);
        }
    }
}

/// <summary>
/// Issue 5: reading every element of a 65,536-entry hash: the typed enumeration (which reads
/// <c>BPF_MAP_LOOKUP_BATCH</c> chunks) against the loop a C program writes with libbpf,
/// <c>bpf_map_get_next_key</c> then <c>bpf_map_lookup_elem</c> for each key.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
public unsafe class NativeBulkReadBenchmarks
{
    public const int Entries = 65536;

    private BpfRuntime _runtime = null!;
    private BigHash _map;
    private int _fd;

    [GlobalSetup]
    public void Setup()
    {
        _runtime = Libbpf.CreateNativeRuntime();
        _map = BigHash.Create(_runtime);
        for (uint key = 0; key < Entries; key++)
        {
            _map.Update(key * 2654435761u, key);
        }

        _fd = _map.Map.Fd;
        if (Typed_Entries() != Raw_get_next_key_and_lookup())
        {
            throw new InvalidOperationException("The two reads disagree.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _map.Dispose();
        _runtime.Dispose();
    }

    [Benchmark(Baseline = true)]
    public ulong Raw_get_next_key_and_lookup()
    {
        ulong sum = 0;
        int count = 0;
        uint key;
        uint next;
        ulong value;
        void* previous = null;
        while (Libbpf.GetNextKey(_fd, previous, &next) == 0)
        {
            if (Libbpf.LookupElem(_fd, &next, &value) == 0)
            {
                sum += value;
                count++;
            }

            key = next;
            previous = &key;
        }

        return count == Entries ? sum : throw new InvalidOperationException($"Read {count} of {Entries} entries.");
    }

    [Benchmark]
    public ulong Typed_Entries()
    {
        ulong sum = 0;
        int count = 0;
        foreach (KeyValuePair<uint, ulong> entry in _map.Entries)
        {
            sum += entry.Value;
            count++;
        }

        return count == Entries ? sum : throw new InvalidOperationException($"Read {count} of {Entries} entries.");
    }
}

/// <summary>
/// Issue 5: installing 64 inner maps into an <c>ARRAY_OF_MAPS</c>: one typed <c>UpdateBatch</c>
/// (<c>BPF_MAP_UPDATE_BATCH</c>: one RCU grace period) against 64 typed <c>Update</c> calls
/// (one grace period each). Every invocation swaps all 64 slots between two sets of inner maps,
/// so that each update really replaces a map.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class NativeOuterBatchBenchmarks
{
    public const int Slots = 64;

    private BpfRuntime _runtime = null!;
    private CounterSlots _outer;
    private SlotCounters[][] _sets = [];
    private uint[] _keys = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _runtime = Libbpf.CreateNativeRuntime();
        _outer = CounterSlots.Create(_runtime);
        _sets = [.. Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, Slots).Select(_ => SlotCounters.Create(_runtime)).ToArray())];
        _keys = [.. Enumerable.Range(0, Slots).Select(i => (uint)i)];
        _outer.UpdateBatch(_keys, _sets[1]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _outer.Dispose();
        foreach (SlotCounters inner in _sets.SelectMany(set => set))
        {
            inner.Dispose();
        }

        _runtime.Dispose();
    }

    private SlotCounters[] NextSet() => _sets[_next++ & 1];

    [Benchmark(Baseline = true)]
    public void Single_updates()
    {
        SlotCounters[] set = NextSet();
        for (int i = 0; i < Slots; i++)
        {
            _outer.Update(_keys[i], set[i]);
        }
    }

    [Benchmark]
    public void UpdateBatch()
    {
        _outer.UpdateBatch(_keys, NextSet());
    }
}
