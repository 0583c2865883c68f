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

    public static IReadOnlyList<BpfMapFieldMismatch> FindMismatches(BpfMapSpec expected, BpfMapInfo actual, bool compareMaxEntries)
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

        if (compareMaxEntries && expected.MaxEntries != actual.MaxEntries)
        {
            Add(nameof(BpfMapInfo.MaxEntries), Invariant(expected.MaxEntries), Invariant(actual.MaxEntries));
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
