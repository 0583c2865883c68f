// Compiled into MapGen.Runtime.Tests and MapGen.Native.Tests (see their project files), so that the
// same test bodies run on the emulated and on the native runtime through the generated API.
namespace MapGen.Testing;

/// <summary>An inner map: <c>u32</c> keys, each owned by one writer thread, to <c>u64</c> values.</summary>
[BpfMap(BpfMapType.Hash, MaxEntries = 64, Key = typeof(uint), Value = typeof(ulong), Name = "shared_counters")]
internal partial struct SharedCounters;

/// <summary>Tenant id to that tenant's <see cref="SharedCounters"/>.</summary>
[BpfMap(BpfMapType.HashOfMaps, MaxEntries = 16, Key = typeof(uint), Name = "shared_tenants")]
[InnerMap(typeof(SharedCounters))]
internal partial struct SharedTenants;

/// <summary>Typed maps the way generated code makes them.</summary>
internal static class TypedMaps
{
    /// <summary>Wraps a raw handle without the check of <c>FromMap</c>: a map that does not fit the declaration, for the checks that must catch it.</summary>
    public static T WrapUnchecked<T>(BpfMap map)
        where T : struct, IBpfMap<T> => T.Wrap(map);
}
