namespace MapGen.Generator.Model;

/// <summary>What a key or value type is in C.</summary>
internal enum CTypeKind
{
    /// <summary>A C# primitive: <see cref="CTypeModel.Name"/> names the runtime's <c>BtfType</c> property (<c>U32</c>, <c>Bool</c>, …).</summary>
    Primitive,

    /// <summary>An enum: <see cref="CTypeModel.Values"/> holds its members, <see cref="CTypeModel.Signed"/> its underlying type's signedness.</summary>
    Enum,

    /// <summary>A struct: <see cref="CTypeModel.Members"/> holds its fields in offset order.</summary>
    Struct,

    /// <summary>A C array <c>T name[N]</c> (a fixed buffer or an <c>[InlineArray]</c>): <see cref="CTypeModel.Element"/> times <see cref="CTypeModel.Count"/>.</summary>
    Array,
}

/// <summary>
/// The C (and BTF) description of a key or value type, computed from the symbols at compile time.
/// Value data only, compared structurally, so the pipeline caches it.
/// </summary>
internal sealed record CTypeModel(
    CTypeKind Kind,
    string Name,
    int Size,
    bool Signed,
    CTypeModel? Element,
    int Count,
    EquatableArray<CMemberModel> Members,
    EquatableArray<CEnumValueModel> Values)
{
    public static CTypeModel Primitive(string name, int size) =>
        new(CTypeKind.Primitive, name, size, false, null, 0, EquatableArray<CMemberModel>.Empty, EquatableArray<CEnumValueModel>.Empty);

    public static CTypeModel Array(CTypeModel element, int count) =>
        new(CTypeKind.Array, string.Empty, element.Size * count, false, element, count, EquatableArray<CMemberModel>.Empty, EquatableArray<CEnumValueModel>.Empty);

    public static CTypeModel Struct(string name, int size, EquatableArray<CMemberModel> members) =>
        new(CTypeKind.Struct, name, size, false, null, 0, members, EquatableArray<CEnumValueModel>.Empty);

    public static CTypeModel Enum(string name, int size, bool signed, EquatableArray<CEnumValueModel> values) =>
        new(CTypeKind.Enum, name, size, signed, null, 0, EquatableArray<CMemberModel>.Empty, values);
}

/// <summary>A struct member: its C name, byte offset and type.</summary>
internal sealed record CMemberModel(string Name, int Offset, CTypeModel Type);

/// <summary>An enum member: its C# name and value (the underlying integer's bits, sign-extended to 64).</summary>
internal readonly record struct CEnumValueModel(string Name, long Value);
