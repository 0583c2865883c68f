using System;
using System.Collections.Generic;

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

    /// <summary>Whether this is an outer map (<see cref="BpfMapType.ArrayOfMaps"/> or <see cref="BpfMapType.HashOfMaps"/>).</summary>
    public bool IsOuterMap => InnerMap is not null;

    /// <summary>
    /// Whether a map of this definition, used as an inner map, lets the maps in an outer map's slots
    /// have other <c>max_entries</c> than the template: true for every type but
    /// <see cref="BpfMapType.Array"/> (unless created with <see cref="BpfMapFlags.InnerMap"/>) and
    /// <see cref="BpfMapType.XskMap"/>.
    /// </summary>
    public bool AllowsOtherMaxEntriesAsInnerMap => MapTypeTraits.InnerMaxEntriesMayDiffer(Type, Flags);

    /// <summary>Returns this definition with another <c>max_entries</c>.</summary>
    public BpfMapSpec WithMaxEntries(uint maxEntries) =>
        maxEntries == MaxEntries ? this : new BpfMapSpec(Name, Type, KeySize, ValueSize, maxEntries, Flags, InnerMap);

    /// <summary>Returns this definition with another name.</summary>
    public BpfMapSpec WithName(string name) =>
        string.Equals(name, Name, StringComparison.Ordinal) ? this : new BpfMapSpec(name, Type, KeySize, ValueSize, MaxEntries, Flags, InnerMap);

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
    /// <returns>Every field that differs; empty when the map matches.</returns>
    public IReadOnlyList<BpfMapFieldMismatch> FindMismatches(BpfMapInfo actual) =>
        BpfMapRules.FindMismatches(this, actual, compareMaxEntries: true);

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
        && Equals(InnerMap, other.InnerMap);

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
