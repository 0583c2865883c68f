namespace MapGen.Generator.Model;

/// <summary>A byte range of a key or value that no field covers: written as zeros.</summary>
internal readonly record struct ByteRange(int Offset, int Length);

/// <summary>How a key or value type is written to and read from the kernel's bytes.</summary>
/// <param name="FullyQualifiedType">The C# type, <c>global::</c>-qualified.</param>
/// <param name="Size">Its C size, which the generator verified equals its .NET size.</param>
/// <param name="Padding">The bytes no field covers, cleared on every write.</param>
/// <param name="CType">Its C and BTF description.</param>
internal sealed record CodecModel(string FullyQualifiedType, int Size, EquatableArray<ByteRange> Padding, CTypeModel CType);

/// <summary>
/// Everything the emitter needs for one valid map declaration. Value data only: no symbols,
/// syntax or locations, so the pipeline caches it.
/// </summary>
internal sealed record MapModel(
    HierarchyInfo Hierarchy,
    string MapName,
    BpfMapType MapType,
    MapApiKind Api,
    uint KeySize,
    uint ValueSize,
    uint MaxEntries,
    BpfMapFlags Flags,
    CodecModel? Key,
    CodecModel? Value,
    string? InnerMapType,
    bool HasDelete,
    bool HasDrain,
    bool HasMmapView,
    bool CanCreateWithOtherMaxEntries,
    string MemberAccessibility)
{
    /// <summary>The key's C and BTF description; null for map types without a key.</summary>
    public CTypeModel? KeyType { get; init; }

    /// <summary>The value's C and BTF description; null for map types without a value and for outer maps (whose value is an inner map fd).</summary>
    public CTypeModel? ValueType { get; init; }
}
