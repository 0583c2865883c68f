namespace MapGen.Generator.Model;

/// <summary>A byte range of a key or value that no field covers: written as zeros.</summary>
internal readonly record struct ByteRange(int Offset, int Length);

/// <summary>How a key or value type is written to and read from the kernel's bytes.</summary>
/// <param name="FullyQualifiedType">The C# type, <c>global::</c>-qualified.</param>
/// <param name="Size">Its C size, which the generator verified equals its .NET size.</param>
/// <param name="Padding">The bytes no field covers, cleared on every write.</param>
internal sealed record CodecModel(string FullyQualifiedType, int Size, EquatableArray<ByteRange> Padding);

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
    bool CanCreateWithOtherMaxEntries,
    string MemberAccessibility);
