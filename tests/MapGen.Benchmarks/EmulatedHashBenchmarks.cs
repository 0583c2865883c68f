using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using static MapGen.BpfMapType;

namespace MapGen.Benchmarks;

/// <summary>A 16-byte flow key with no padding, equatable as the IDE generates it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FlowKey16 : IEquatable<FlowKey16>
{
    public uint SrcIp;
    public uint DstIp;
    public ushort SrcPort;
    public ushort DstPort;
    public uint Proto;

    public readonly bool Equals(FlowKey16 other) =>
        SrcIp == other.SrcIp && DstIp == other.DstIp && SrcPort == other.SrcPort && DstPort == other.DstPort && Proto == other.Proto;

    public override readonly bool Equals(object? obj) => obj is FlowKey16 other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(SrcIp, DstIp, SrcPort, DstPort, Proto);

    public static bool operator ==(FlowKey16 left, FlowKey16 right) => left.Equals(right);

    public static bool operator !=(FlowKey16 left, FlowKey16 right) => !left.Equals(right);
}

/// <summary>A hash with <c>uint</c> keys: the default (random) seed, as most maps are declared.</summary>
[BpfMap(Hash, MaxEntries = EmulatedHashBenchmarks.Keys, Key = typeof(uint), Value = typeof(ulong))]
public partial struct UintHash;

/// <summary>A hash with 16-byte struct keys: the default (random) seed.</summary>
[BpfMap(Hash, MaxEntries = EmulatedHashBenchmarks.Keys, Key = typeof(FlowKey16), Value = typeof(ulong))]
public partial struct FlowHash;

/// <summary>The <c>uint</c> hash with <c>BPF_F_ZERO_SEED</c>: the kernel's jhash and bucket order.</summary>
[BpfMap(Hash, MaxEntries = EmulatedHashBenchmarks.Keys, Key = typeof(uint), Value = typeof(ulong), Flags = BpfMapFlags.ZeroSeed)]
public partial struct UintHashZeroSeed;

/// <summary>The 16-byte-key hash with <c>BPF_F_ZERO_SEED</c>.</summary>
[BpfMap(Hash, MaxEntries = EmulatedHashBenchmarks.Keys, Key = typeof(FlowKey16), Value = typeof(ulong), Flags = BpfMapFlags.ZeroSeed)]
public partial struct FlowHashZeroSeed;

/// <summary>
/// Issue 4: typed <c>Hash</c> lookup and update on the emulated runtime against
/// <see cref="ConcurrentDictionary{TKey, TValue}"/> on the same 1,024 keys (random, distinct,
/// the same set for both), cycling through all of them in each invocation. Every key is present;
/// every update replaces a value. One category per operation and key kind, with the dictionary
/// as its baseline, so that the Ratio column is the ratio the target is about.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class EmulatedHashBenchmarks
{
    public const int Keys = 1024;

    private uint[] _uintKeys = [];
    private FlowKey16[] _flowKeys = [];
    private ConcurrentDictionary<uint, ulong> _uintDictionary = null!;
    private ConcurrentDictionary<FlowKey16, ulong> _flowDictionary = null!;
    private BpfRuntime _runtime = null!;
    private UintHash _uintMap;
    private FlowHash _flowMap;
    private UintHashZeroSeed _uintMapZeroSeed;
    private FlowHashZeroSeed _flowMapZeroSeed;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261125);
        var uints = new HashSet<uint>();
        while (uints.Count < Keys)
        {
            uints.Add((uint)random.Next());
        }

        var flows = new HashSet<FlowKey16>();
        while (flows.Count < Keys)
        {
            flows.Add(new FlowKey16
            {
                SrcIp = (uint)random.Next(),
                DstIp = (uint)random.Next(),
                SrcPort = (ushort)random.Next(1024, 65536),
                DstPort = (ushort)random.Next(1, 1024),
                Proto = random.Next(2) == 0 ? 6u : 17u,
            });
        }

        _uintKeys = [.. uints];
        _flowKeys = [.. flows];
        _uintDictionary = new ConcurrentDictionary<uint, ulong>();
        _flowDictionary = new ConcurrentDictionary<FlowKey16, ulong>();
        _runtime = BpfRuntime.CreateEmulated();
        _uintMap = UintHash.Create(_runtime);
        _flowMap = FlowHash.Create(_runtime);
        _uintMapZeroSeed = UintHashZeroSeed.Create(_runtime);
        _flowMapZeroSeed = FlowHashZeroSeed.Create(_runtime);
        for (int i = 0; i < Keys; i++)
        {
            _uintDictionary[_uintKeys[i]] = (ulong)i;
            _flowDictionary[_flowKeys[i]] = (ulong)i;
            _uintMap.Update(_uintKeys[i], (ulong)i);
            _flowMap.Update(_flowKeys[i], (ulong)i);
            _uintMapZeroSeed.Update(_uintKeys[i], (ulong)i);
            _flowMapZeroSeed.Update(_flowKeys[i], (ulong)i);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _uintMap.Dispose();
        _flowMap.Dispose();
        _uintMapZeroSeed.Dispose();
        _flowMapZeroSeed.Dispose();
        _runtime.Dispose();
    }

    // ---- uint keys: lookup ----

    [Benchmark(Baseline = true, OperationsPerInvoke = Keys), BenchmarkCategory("Lookup uint")]
    public ulong Dictionary_TryGetValue_uint()
    {
        ulong sum = 0;
        foreach (uint key in _uintKeys)
        {
            _uintDictionary.TryGetValue(key, out ulong value);
            sum += value;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Keys), BenchmarkCategory("Lookup uint")]
    public ulong Typed_TryLookup_uint()
    {
        ulong sum = 0;
        foreach (uint key in _uintKeys)
        {
            _uintMap.TryLookup(key, out ulong value);
            sum += value;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Keys), BenchmarkCategory("Lookup uint")]
    public ulong Typed_TryLookup_uint_ZeroSeed()
    {
        ulong sum = 0;
        foreach (uint key in _uintKeys)
        {
            _uintMapZeroSeed.TryLookup(key, out ulong value);
            sum += value;
        }

        return sum;
    }

    // ---- uint keys: update ----

    [Benchmark(Baseline = true, OperationsPerInvoke = Keys), BenchmarkCategory("Update uint")]
    public void Dictionary_Set_uint()
    {
        uint[] keys = _uintKeys;
        for (int i = 0; i < keys.Length; i++)
        {
            _uintDictionary[keys[i]] = (ulong)i;
        }
    }

    [Benchmark(OperationsPerInvoke = Keys), BenchmarkCategory("Update uint")]
    public void Typed_Update_uint()
    {
        uint[] keys = _uintKeys;
        for (int i = 0; i < keys.Length; i++)
        {
            _uintMap.Update(keys[i], (ulong)i);
        }
    }

    [Benchmark(OperationsPerInvoke = Keys), BenchmarkCategory("Update uint")]
    public void Typed_Update_uint_ZeroSeed()
    {
        uint[] keys = _uintKeys;
        for (int i = 0; i < keys.Length; i++)
        {
            _uintMapZeroSeed.Update(keys[i], (ulong)i);
        }
    }

    // ---- 16-byte struct keys: lookup ----

    [Benchmark(Baseline = true, OperationsPerInvoke = Keys), BenchmarkCategory("Lookup struct16")]
    public ulong Dictionary_TryGetValue_struct16()
    {
        ulong sum = 0;
        foreach (FlowKey16 key in _flowKeys)
        {
            _flowDictionary.TryGetValue(key, out ulong value);
            sum += value;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Keys), BenchmarkCategory("Lookup struct16")]
    public ulong Typed_TryLookup_struct16()
    {
        ulong sum = 0;
        foreach (FlowKey16 key in _flowKeys)
        {
            _flowMap.TryLookup(key, out ulong value);
            sum += value;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Keys), BenchmarkCategory("Lookup struct16")]
    public ulong Typed_TryLookup_struct16_ZeroSeed()
    {
        ulong sum = 0;
        foreach (FlowKey16 key in _flowKeys)
        {
            _flowMapZeroSeed.TryLookup(key, out ulong value);
            sum += value;
        }

        return sum;
    }

    // ---- 16-byte struct keys: update ----

    [Benchmark(Baseline = true, OperationsPerInvoke = Keys), BenchmarkCategory("Update struct16")]
    public void Dictionary_Set_struct16()
    {
        FlowKey16[] keys = _flowKeys;
        for (int i = 0; i < keys.Length; i++)
        {
            _flowDictionary[keys[i]] = (ulong)i;
        }
    }

    [Benchmark(OperationsPerInvoke = Keys), BenchmarkCategory("Update struct16")]
    public void Typed_Update_struct16()
    {
        FlowKey16[] keys = _flowKeys;
        for (int i = 0; i < keys.Length; i++)
        {
            _flowMap.Update(keys[i], (ulong)i);
        }
    }

    [Benchmark(OperationsPerInvoke = Keys), BenchmarkCategory("Update struct16")]
    public void Typed_Update_struct16_ZeroSeed()
    {
        FlowKey16[] keys = _flowKeys;
        for (int i = 0; i < keys.Length; i++)
        {
            _flowMapZeroSeed.Update(keys[i], (ulong)i);
        }
    }
}
