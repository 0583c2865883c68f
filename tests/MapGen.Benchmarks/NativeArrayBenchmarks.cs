using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using static MapGen.BpfMapType;

namespace MapGen.Benchmarks;

/// <summary>A mappable array of counters: its values can be read and written in place.</summary>
[BpfMap(BpfMapType.Array, MaxEntries = NativeArrayViewBenchmarks.Elements, Value = typeof(ulong), Flags = BpfMapFlags.Mmapable)]
public partial struct MappedCounters;

/// <summary>A 65,536-entry hash for the data-map batches.</summary>
[BpfMap(Hash, MaxEntries = NativeDataBatchBenchmarks.Entries, Key = typeof(uint), Value = typeof(ulong))]
public partial struct BatchHash;

/// <summary>
/// Issue 7: every element of a 4,096-element <c>BPF_F_MMAPABLE</c> array read and written through
/// the typed view (<c>CreateView()</c>: memory accesses on the kernel's pages) against the typed
/// <c>Lookup</c> / <c>Update</c> (one <c>bpf(2)</c> call per element), in one run. Per element.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class NativeArrayViewBenchmarks
{
    public const int Elements = 4096;

    private BpfRuntime _runtime = null!;
    private MappedCounters _map;
    private BpfContiguousArrayView<ulong> _view = null!;

    [GlobalSetup]
    public void Setup()
    {
        _runtime = Libbpf.CreateNativeRuntime();
        _map = MappedCounters.Create(_runtime);
        _view = _map.CreateView();
        for (uint i = 0; i < Elements; i++)
        {
            _map.Update(i, i);
        }

        if (Lookup_system_call() != View_indexer() || View_indexer() != View_span())
        {
            throw new InvalidOperationException("The reads disagree.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _view.Dispose();
        _map.Dispose();
        _runtime.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Elements), BenchmarkCategory("Read")]
    public ulong Lookup_system_call()
    {
        ulong sum = 0;
        for (uint i = 0; i < Elements; i++)
        {
            sum += _map.Lookup(i);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Elements), BenchmarkCategory("Read")]
    public ulong View_indexer()
    {
        BpfContiguousArrayView<ulong> view = _view;
        ulong sum = 0;
        for (int i = 0; i < Elements; i++)
        {
            sum += view[i];
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Elements), BenchmarkCategory("Read")]
    public ulong View_span()
    {
        ulong sum = 0;
        foreach (ulong value in _view.Span)
        {
            sum += value;
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Elements), BenchmarkCategory("Write")]
    public void Update_system_call()
    {
        for (uint i = 0; i < Elements; i++)
        {
            _map.Update(i, i);
        }
    }

    [Benchmark(OperationsPerInvoke = Elements), BenchmarkCategory("Write")]
    public void View_indexer_write()
    {
        BpfContiguousArrayView<ulong> view = _view;
        for (int i = 0; i < Elements; i++)
        {
            view[i] = (ulong)i;
        }
    }
}

/// <summary>
/// Issue 5: writing, deleting and draining 65,536 elements of a hash with the typed batches
/// (<c>UpdateBatch</c>, <c>DeleteBatch</c>, <c>Drain</c>: a system call per 64 KiB chunk) against
/// the same work one element at a time. Every invocation fills the map and empties it again.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class NativeDataBatchBenchmarks
{
    public const int Entries = 65536;

    private BpfRuntime _runtime = null!;
    private BatchHash _map;
    private uint[] _keys = [];
    private ulong[] _values = [];

    [GlobalSetup]
    public void Setup()
    {
        _runtime = Libbpf.CreateNativeRuntime();
        _map = BatchHash.Create(_runtime);
        _keys = [.. Enumerable.Range(0, Entries).Select(i => (uint)i * 2654435761u)];
        _values = [.. Enumerable.Range(0, Entries).Select(i => (ulong)i)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _map.Dispose();
        _runtime.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Update and delete")]
    public void Single_updates_and_deletes()
    {
        for (int i = 0; i < Entries; i++)
        {
            _map.Update(_keys[i], _values[i]);
        }

        for (int i = 0; i < Entries; i++)
        {
            _map.Delete(_keys[i]);
        }
    }

    [Benchmark, BenchmarkCategory("Update and delete")]
    public void UpdateBatch_and_DeleteBatch()
    {
        _map.UpdateBatch(_keys, _values);
        if (_map.DeleteBatch(_keys) != Entries)
        {
            throw new InvalidOperationException("Not every key was deleted.");
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Empty into memory")]
    public int Entries_then_single_deletes()
    {
        _map.UpdateBatch(_keys, _values);
        var taken = new List<KeyValuePair<uint, ulong>>(Entries);
        taken.AddRange(_map.Entries);
        foreach (KeyValuePair<uint, ulong> entry in taken)
        {
            _map.Delete(entry.Key);
        }

        return taken.Count;
    }

    [Benchmark, BenchmarkCategory("Empty into memory")]
    public int UpdateBatch_then_Drain()
    {
        _map.UpdateBatch(_keys, _values);
        return _map.Drain().Length;
    }
}
