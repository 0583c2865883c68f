using System.Collections.Generic;

namespace MapGen;

/// <summary>The kernel's rules that the runtime applies on both backends.</summary>
internal static class BpfMapRules
{
    /// <summary>Flags that an fd carries but the map does not (<c>bpf_map_flags_retain_permanent</c>).</summary>
    public const BpfMapFlags FdOnlyFlags = BpfMapFlags.RdOnly | BpfMapFlags.WrOnly;

    public static bool IsOuter(BpfMapType type) => type is BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps;

    public static bool IsPerCpu(BpfMapType type) =>
        type is BpfMapType.PerCpuArray or BpfMapType.PerCpuHash or BpfMapType.LruPerCpuHash or BpfMapType.PerCpuCgroupStorage;

    /// <summary>Flags the kernel sets on a map of this type by itself.</summary>
    public static BpfMapFlags KernelAddedFlags(BpfMapType type) =>
        type is BpfMapType.DevMap or BpfMapType.DevMapHash ? BpfMapFlags.RdOnlyProg : BpfMapFlags.None;


    /// <summary>The bytes user space reads or writes for one element value.</summary>
    public static int UserValueSize(BpfMapType type, uint valueSize, int possibleCpus) =>
        IsPerCpu(type) ? checked((int)RoundUp8(valueSize) * possibleCpus) : checked((int)valueSize);

    public static uint RoundUp8(uint size) => (size + 7) & ~7U;

    /// <summary>
    /// The max entries the kernel keeps for a map created with <paramref name="maxEntries"/>: an
    /// LRU hash with <see cref="BpfMapFlags.NoCommonLru"/> gets the same number of elements on
    /// every CPU's list (<c>htab_map_alloc</c>: <c>roundup(max_entries, num_possible_cpus())</c>,
    /// rounded down instead when that overflows <c>u32</c>). Other maps keep what they were given.
    /// </summary>
    public static uint KernelMaxEntries(BpfMapType type, BpfMapFlags flags, uint maxEntries, int possibleCpus)
    {
        if (type is not (BpfMapType.LruHash or BpfMapType.LruPerCpuHash) || (flags & BpfMapFlags.NoCommonLru) == 0 || possibleCpus <= 0)
        {
            return maxEntries;
        }

        uint cpus = (uint)possibleCpus;
        uint rounded = unchecked((maxEntries + cpus - 1) / cpus * cpus);
        return rounded < maxEntries ? maxEntries / cpus * cpus : rounded;
    }

    /// <param name="expected">The definition.</param>
    /// <param name="actual">What the kernel reports about the map.</param>
    /// <param name="compareMaxEntries">Whether max entries count (not for inner maps the kernel lets differ).</param>
    /// <param name="possibleCpus">
    /// The runtime's possible CPUs, with which the kernel rounds the max entries of some maps
    /// (<see cref="KernelMaxEntries"/>); 0 when unknown: the max entries are compared as given.
    /// </param>
    public static IReadOnlyList<BpfMapFieldMismatch> FindMismatches(BpfMapSpec expected, BpfMapInfo actual, bool compareMaxEntries, int possibleCpus = 0)
    {
        List<BpfMapFieldMismatch>? mismatches = null;
        void Add(string field, string e, string a) => (mismatches ??= new()).Add(new BpfMapFieldMismatch(field, e, a));

        if (expected.Type != actual.Type)
        {
            Add(nameof(BpfMapInfo.Type), expected.Type.ToString(), actual.Type.ToString());
        }

        if (expected.KeySize != actual.KeySize)
        {
            Add(nameof(BpfMapInfo.KeySize), Invariant(expected.KeySize), Invariant(actual.KeySize));
        }

        if (expected.ValueSize != actual.ValueSize)
        {
            Add(nameof(BpfMapInfo.ValueSize), Invariant(expected.ValueSize), Invariant(actual.ValueSize));
        }

        uint expectedMaxEntries = KernelMaxEntries(expected.Type, expected.Flags, expected.MaxEntries, possibleCpus);
        if (compareMaxEntries && expectedMaxEntries != actual.MaxEntries)
        {
            string shown = expectedMaxEntries == expected.MaxEntries
                ? Invariant(expected.MaxEntries)
                : $"{Invariant(expectedMaxEntries)} ({Invariant(expected.MaxEntries)} rounded by the kernel for {possibleCpus} possible CPUs)";
            Add(nameof(BpfMapInfo.MaxEntries), shown, Invariant(actual.MaxEntries));
        }

        BpfMapFlags ignored = FdOnlyFlags | KernelAddedFlags(expected.Type);
        BpfMapFlags expectedFlags = expected.Flags & ~ignored;
        BpfMapFlags actualFlags = actual.Flags & ~ignored;
        if (expectedFlags != actualFlags)
        {
            Add(nameof(BpfMapInfo.Flags), expectedFlags.ToString(), actualFlags.ToString());
        }

        return mismatches is null ? System.Array.Empty<BpfMapFieldMismatch>() : mismatches;
    }

    private static string Invariant(uint value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
