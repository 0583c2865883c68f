using System;
using System.Collections.Generic;
using System.Linq;
using MapGen.Btf;

namespace MapGen;

/// <summary>
/// The definition of a map: what <c>BPF_MAP_CREATE</c> needs, and what a pinned or foreign map
/// is checked against. Generated structs expose theirs as <c>Spec</c>.
/// </summary>
public sealed class BpfMapSpec : IEquatable<BpfMapSpec>
{
    /// <summary>Creates a definition.</summary>
    /// <param name="name">The kernel object name: a C identifier of at most 15 characters.</param>
    /// <param name="type">The kernel map type.</param>
    /// <param name="keySize">The key size in bytes (0 only for map types without keys).</param>
    /// <param name="valueSize">The value size in bytes; 4 for outer maps.</param>
    /// <param name="maxEntries">The kernel's <c>max_entries</c>.</param>
    /// <param name="flags">The creation flags.</param>
    /// <param name="innerMap">The inner map's definition, for outer maps only.</param>
    /// <exception cref="ArgumentException">The name is not a valid map name, or an inner map is given for a map that is not an outer map (or missing for one that is).</exception>
    public BpfMapSpec(string name, BpfMapType type, uint keySize, uint valueSize, uint maxEntries,
        BpfMapFlags flags = BpfMapFlags.None, BpfMapSpec? innerMap = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValidName(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid map name: use a C identifier ([A-Za-z_][A-Za-z0-9_]*) of at most {MaxNameLength} characters.",
                nameof(name));
        }

        bool isOuter = type is BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps;
        if (isOuter && innerMap is null)
        {
            throw new ArgumentException($"The outer map '{name}' needs the definition of its inner map.", nameof(innerMap));
        }

        if (!isOuter && innerMap is not null)
        {
            throw new ArgumentException($"'{name}' is a {type} map, not an outer map: it cannot have an inner map.", nameof(innerMap));
        }

        Name = name;
        Type = type;
        KeySize = keySize;
        ValueSize = valueSize;
        MaxEntries = maxEntries;
        Flags = flags;
        InnerMap = innerMap;
    }

    /// <summary>The longest name the kernel keeps (<c>BPF_OBJ_NAME_LEN</c> less the terminating NUL).</summary>
    public const int MaxNameLength = 15;

    /// <summary>The kernel object name.</summary>
    public string Name { get; }

    /// <summary>The kernel map type.</summary>
    public BpfMapType Type { get; }

    /// <summary>The key size in bytes.</summary>
    public uint KeySize { get; }

    /// <summary>The value size in bytes, as the kernel sees it (for per-CPU maps: one CPU's value).</summary>
    public uint ValueSize { get; }

    /// <summary>The kernel's <c>max_entries</c>.</summary>
    public uint MaxEntries { get; }

    /// <summary>The creation flags.</summary>
    public BpfMapFlags Flags { get; }

    /// <summary>The inner map's definition for outer maps; otherwise <see langword="null"/>.</summary>
    public BpfMapSpec? InnerMap { get; }

    /// <summary>
    /// The key's C layout as BTF describes it (generated specs always carry it; for array-like
    /// maps whose key was omitted it is <see cref="BtfType.U32"/>); null when unknown or when the
    /// map type has no key. <see cref="ToBtf()"/> then encodes only the size.
    /// </summary>
    /// <exception cref="ArgumentException">Its size is not <see cref="KeySize"/>.</exception>
    public BtfType? KeyType
    {
        get => _keyType;
        init => _keyType = CheckType(value, KeySize, "key");
    }

    /// <summary>
    /// The value's C layout as BTF describes it; null when unknown, when the map type has no
    /// value, and for outer maps (whose value is the inner map's fd, a <c>__u32</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Its size is not <see cref="ValueSize"/>, or the map is an outer map.</exception>
    public BtfType? ValueType
    {
        get => _valueType;
        init => _valueType = IsOuterMap && value is not null
            ? throw new ArgumentException($"The value of the outer map '{Name}' is its inner map; it has no value type.", nameof(value))
            : CheckType(value, ValueSize, "value");
    }

    private readonly BtfType? _keyType;
    private readonly BtfType? _valueType;

    /// <summary>Whether this is an outer map (<see cref="BpfMapType.ArrayOfMaps"/> or <see cref="BpfMapType.HashOfMaps"/>).</summary>
    public bool IsOuterMap => InnerMap is not null;

    /// <summary>
    /// Whether a map of this definition, used as an inner map, lets the maps in an outer map's slots
    /// have other <c>max_entries</c> than the template: true for every type but
    /// <see cref="BpfMapType.Array"/> (unless created with <see cref="BpfMapFlags.InnerMap"/>),
    /// <see cref="BpfMapType.PerCpuArray"/> and <see cref="BpfMapType.XskMap"/>.
    /// </summary>
    public bool AllowsOtherMaxEntriesAsInnerMap => MapTypeTraits.InnerMaxEntriesMayDiffer(Type, Flags);

    /// <summary>Returns this definition with another <c>max_entries</c>.</summary>
    public BpfMapSpec WithMaxEntries(uint maxEntries) =>
        maxEntries == MaxEntries ? this : new BpfMapSpec(Name, Type, KeySize, ValueSize, maxEntries, Flags, InnerMap) { KeyType = KeyType, ValueType = ValueType };

    /// <summary>Returns this definition with another name.</summary>
    public BpfMapSpec WithName(string name) =>
        string.Equals(name, Name, StringComparison.Ordinal) ? this : new BpfMapSpec(name, Type, KeySize, ValueSize, MaxEntries, Flags, InnerMap) { KeyType = KeyType, ValueType = ValueType };

    /// <summary>
    /// The raw BTF (<c>struct btf_header</c>, types, strings) of this map as clang encodes the
    /// equivalent libbpf declaration (<see cref="ToCDeclaration()"/>): a global variable named
    /// <see cref="Name"/> in DATASEC <c>.maps</c>, of an anonymous struct with <c>__uint(type)</c>,
    /// <c>__uint(max_entries)</c>, <c>__uint(map_flags)</c> (when not 0), <c>__type(key)</c> and
    /// <c>__type(value)</c> (or <c>key_size</c>/<c>value_size</c> where the type is unknown) and,
    /// for outer maps, <c>__array(values, struct inner_def)</c>. The DATASEC's offsets and sizes
    /// are filled in as libbpf does, so <c>BPF_BTF_LOAD</c> accepts the blob as it is.
    /// </summary>
    public byte[] ToBtf() => ToBtf([this]);

    /// <summary>The raw BTF of several maps (see <see cref="ToBtf()"/>), types and strings shared.</summary>
    /// <exception cref="ArgumentException">Two maps have the same name.</exception>
    public static byte[] ToBtf(IEnumerable<BpfMapSpec> specs) => EncodeBtf(specs, BtfEncodingOptions.Full);

    /// <summary>
    /// A self-contained C source declaring this map for libbpf: the includes, the key and value
    /// types, the inner definition of an outer map, and the map in <c>SEC(".maps")</c>. Compiled
    /// on its own by <c>clang -g -O2 -target bpf -c</c>, it yields the same map BTF as
    /// <see cref="ToBtf()"/>.
    /// </summary>
    public string ToCDeclaration() => ToCDeclaration([this]);

    /// <summary>A self-contained C source declaring several maps (see <see cref="ToCDeclaration()"/>).</summary>
    /// <exception cref="ArgumentException">Two maps have the same name.</exception>
    public static string ToCDeclaration(IEnumerable<BpfMapSpec> specs)
    {
        BpfMapSpec[] list = CheckSpecs(specs);
        BtfGraph graph = Graph(list, BtfEncodingOptions.Full);
        string title = list.Length == 1 ? $"The map '{list[0].Name}', written by MapGen." : $"The maps {string.Join(", ", list.Select(s => "'" + s.Name + "'"))}, written by MapGen.";
        return CDeclarationWriter.Write(graph, title);
    }

    internal static byte[] EncodeBtf(IEnumerable<BpfMapSpec> specs, BtfEncodingOptions options)
    {
        BtfGraph graph = Graph(CheckSpecs(specs), options);
        var encoder = new BtfEncoder();
        encoder.AddMapsSection(graph.Maps);
        return encoder.ToArray();
    }

    /// <summary>
    /// BTF holding only the key and value types, and their type ids (0 where the type is
    /// unknown): what <c>BPF_MAP_CREATE</c> takes in <c>btf_fd</c>, <c>btf_key_type_id</c> and
    /// <c>btf_value_type_id</c>. Null when there is no value type to describe.
    /// </summary>
    internal (byte[] Btf, uint KeyTypeId, uint ValueTypeId)? EncodeKeyValueBtf(BtfEncodingOptions options)
    {
        if (ValueType is null)
        {
            return null;
        }

        var graph = new BtfGraph(options);
        var encoder = new BtfEncoder();
        uint key = KeyType is null ? 0 : encoder.Add(graph.Lower(KeyType));
        uint value = encoder.Add(graph.Lower(ValueType));
        return (encoder.ToArray(), key, value);
    }

    private static BpfMapSpec[] CheckSpecs(IEnumerable<BpfMapSpec> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        BpfMapSpec[] list = specs.ToArray();
        foreach (BpfMapSpec spec in list)
        {
            ArgumentNullException.ThrowIfNull(spec, nameof(specs));
        }

        return list;
    }

    /// <summary>
    /// The maps as variables: each outer map's inner map is a variable too, of the named
    /// definition struct its <c>__array(values, …)</c> points to (as <c>tx_ports</c> in the
    /// classic example), placed before the first outer map that needs it. Clang emits the key and
    /// value types of a definition reached only through <c>values</c> as forward declarations,
    /// which libbpf cannot size; the inner variable makes them complete.
    /// </summary>
    private static BtfGraph Graph(BpfMapSpec[] specs, BtfEncodingOptions options)
    {
        var ordered = new List<BpfMapSpec>(specs.Length + 1);
        var inners = new HashSet<BpfMapSpec>();
        foreach (BpfMapSpec spec in specs)
        {
            if (spec.InnerMap is { } inner && inners.Add(inner) && !specs.Contains(inner))
            {
                ordered.Add(inner);
            }

            if (!ordered.Contains(spec))
            {
                ordered.Add(spec);
            }
        }

        var graph = new BtfGraph(options);
        graph.ReserveMapNames(ordered);
        foreach (BpfMapSpec spec in ordered)
        {
            graph.AddMap(spec, asInnerDefinition: inners.Contains(spec));
        }

        return graph;
    }

    private static BtfType? CheckType(BtfType? type, uint size, string role) =>
        type is null || type.Size == size
            ? type
            : throw new ArgumentException($"The {role} type {type} has {type.Size} bytes, but the {role} size is {size}.", role == "key" ? nameof(KeyType) : nameof(ValueType));

    /// <summary>Whether <paramref name="name"/> is a valid map name: a C identifier of at most 15 characters.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = c == '_' || char.IsAsciiLetter(c) || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Compares an existing map with this definition the way <c>Open</c>, <c>OpenOrCreate</c> and
    /// <c>FromMap</c> do: type, key size, value size, max entries and flags, leaving out the flags
    /// the kernel adds itself and the fd-only ones. The name is not compared.
    /// </summary>
    /// <param name="actual">What the kernel reports about the map.</param>
    /// <param name="possibleCpus">
    /// The runtime's possible CPUs (<see cref="BpfRuntime.PossibleCpus"/>): the kernel rounds the
    /// max entries of LRU maps with <see cref="BpfMapFlags.NoCommonLru"/> up to a multiple of them.
    /// 0 compares max entries as declared.
    /// </param>
    /// <returns>Every field that differs; empty when the map matches.</returns>
    public IReadOnlyList<BpfMapFieldMismatch> FindMismatches(BpfMapInfo actual, int possibleCpus = 0) =>
        BpfMapRules.FindMismatches(this, actual, compareMaxEntries: true, possibleCpus);

    /// <summary>
    /// Compares a map found in, or about to be put into, a slot of an outer map with this inner
    /// definition, by the kernel's rule: type, key size, value size and flags must be equal;
    /// max entries only where <see cref="AllowsOtherMaxEntriesAsInnerMap"/> is false.
    /// </summary>
    /// <returns>Every field that differs; empty when the kernel would accept the map.</returns>
    public IReadOnlyList<BpfMapFieldMismatch> FindInnerMapMismatches(BpfMapInfo actual) =>
        BpfMapRules.FindMismatches(this, actual, compareMaxEntries: !AllowsOtherMaxEntriesAsInnerMap);

    /// <inheritdoc />
    public bool Equals(BpfMapSpec? other) =>
        other is not null
        && string.Equals(Name, other.Name, StringComparison.Ordinal)
        && Type == other.Type && KeySize == other.KeySize && ValueSize == other.ValueSize
        && MaxEntries == other.MaxEntries && Flags == other.Flags
        && Equals(InnerMap, other.InnerMap)
        && Equals(KeyType, other.KeyType) && Equals(ValueType, other.ValueType);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as BpfMapSpec);

    /// <inheritdoc />
    public override int GetHashCode() =>
        HashCode.Combine(StringComparer.Ordinal.GetHashCode(Name), Type, KeySize, ValueSize, MaxEntries, Flags, InnerMap);

    /// <inheritdoc />
    public override string ToString() =>
        InnerMap is null
            ? $"{Name}: {Type}, key {KeySize} B, value {ValueSize} B, max {MaxEntries}, flags {Flags}"
            : $"{Name}: {Type}, key {KeySize} B, max {MaxEntries}, flags {Flags}, inner ({InnerMap})";
}
