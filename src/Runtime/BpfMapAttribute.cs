using System;

namespace MapGen;

/// <summary>
/// Declares an eBPF map. Put it on a <c>partial struct</c>; the MapGen source generator
/// completes the struct with the typed API for the map type and its <c>Spec</c>.
/// </summary>
/// <example>
/// <code>
/// [BpfMap(BpfMapType.Hash, MaxEntries = 65536, Key = typeof(FlowKey), Value = typeof(FlowStats))]
/// public partial struct FlowTable;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
public sealed class BpfMapAttribute : Attribute
{
    /// <summary>Declares a map of the given kernel map type.</summary>
    /// <param name="type">The kernel map type (<c>BPF_MAP_TYPE_*</c>).</param>
    public BpfMapAttribute(BpfMapType type) => Type = type;

    /// <summary>The kernel map type.</summary>
    public BpfMapType Type { get; }

    /// <summary>The kernel's <c>max_entries</c>. Most map types need at least one.</summary>
    public uint MaxEntries { get; set; }

    /// <summary>
    /// The key type: an unmanaged type with a C layout. Optional where the kernel fixes it
    /// (a <c>uint</c> index for array-like maps).
    /// </summary>
    public Type? Key { get; set; }

    /// <summary>
    /// The value type: an unmanaged type with a C layout. Optional for <c>DevMap</c> and
    /// <c>DevMapHash</c> (a <c>uint</c> ifindex); never given for outer maps, whose values are
    /// the inner maps named by <see cref="InnerMapAttribute"/>.
    /// </summary>
    public Type? Value { get; set; }

    /// <summary>The kernel's creation flags (<c>map_flags</c>).</summary>
    public BpfMapFlags Flags { get; set; }

    /// <summary>
    /// The kernel object name, BTF variable and C identifier: <c>[A-Za-z_][A-Za-z0-9_]*</c>, at
    /// most 15 characters. Defaults to the struct name in snake_case, cut to 15 characters.
    /// </summary>
    public string? Name { get; set; }
}
