using System;
using System.Collections.Generic;
using System.Linq;

namespace MapGen.Btf;

/// <summary>
/// The C layout of a key or value type, as BTF describes it: integers, floats, typedefs, enums,
/// arrays and structs. The generator computes these at compile time for every <c>[BpfMap]</c>
/// (<see cref="BpfMapSpec.KeyType"/>, <see cref="BpfMapSpec.ValueType"/>); they compare by value.
/// </summary>
/// <remarks>
/// The C# primitives map to the kernel's fixed-width typedefs: <see cref="U8"/> (<c>byte</c>),
/// <see cref="S8"/> (<c>sbyte</c>), <see cref="U16"/> (<c>ushort</c> and <c>char</c>, a UTF-16 code
/// unit), <see cref="S16"/>, <see cref="U32"/>, <see cref="S32"/>, <see cref="U64"/>,
/// <see cref="S64"/>, <see cref="Bool"/> (<c>_Bool</c>), <see cref="Float"/> and <see cref="Double"/>.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "The C type names float and double.")]
public abstract class BtfType : IEquatable<BtfType>
{
    private protected BtfType(string? name, bool identifier = true)
    {
        if (name is not null && identifier && !IsIdentifier(name))
        {
            throw new ArgumentException($"'{name}' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*).", nameof(name));
        }

        Name = name;
    }

    /// <summary>The C name (of the struct, enum, typedef or integer); null for arrays.</summary>
    public string? Name { get; }

    /// <summary>The size in bytes.</summary>
    public abstract uint Size { get; }

    /// <summary><c>__u8</c>: C# <c>byte</c>.</summary>
    public static BtfTypedef U8 { get; } = new("__u8", new BtfInt("unsigned char", 1, BtfIntEncoding.None));

    /// <summary><c>__s8</c>: C# <c>sbyte</c>.</summary>
    public static BtfTypedef S8 { get; } = new("__s8", new BtfInt("signed char", 1, BtfIntEncoding.Signed));

    /// <summary><c>__u16</c>: C# <c>ushort</c>, and <c>char</c> (a UTF-16 code unit; C has no 2-byte character type).</summary>
    public static BtfTypedef U16 { get; } = new("__u16", new BtfInt("unsigned short", 2, BtfIntEncoding.None));

    /// <summary><c>__s16</c>: C# <c>short</c>.</summary>
    public static BtfTypedef S16 { get; } = new("__s16", new BtfInt("short", 2, BtfIntEncoding.Signed));

    /// <summary><c>__u32</c>: C# <c>uint</c>.</summary>
    public static BtfTypedef U32 { get; } = new("__u32", new BtfInt("unsigned int", 4, BtfIntEncoding.None));

    /// <summary><c>__s32</c>: C# <c>int</c>.</summary>
    public static BtfTypedef S32 { get; } = new("__s32", new BtfInt("int", 4, BtfIntEncoding.Signed));

    /// <summary><c>__u64</c>: C# <c>ulong</c>.</summary>
    public static BtfTypedef U64 { get; } = new("__u64", new BtfInt("unsigned long long", 8, BtfIntEncoding.None));

    /// <summary><c>__s64</c>: C# <c>long</c>.</summary>
    public static BtfTypedef S64 { get; } = new("__s64", new BtfInt("long long", 8, BtfIntEncoding.Signed));

    /// <summary><c>_Bool</c>: C# <c>bool</c> (one byte, 0 or 1).</summary>
    public static BtfInt Bool { get; } = new("_Bool", 1, BtfIntEncoding.Bool);

    /// <summary><c>float</c>: C# <c>float</c> (<c>BTF_KIND_FLOAT</c>).</summary>
    public static BtfFloat Float { get; } = new("float", 4);

    /// <summary><c>double</c>: C# <c>double</c> (<c>BTF_KIND_FLOAT</c>).</summary>
    public static BtfFloat Double { get; } = new("double", 8);

    /// <summary>Whether <paramref name="name"/> is a C identifier, as BTF names must be.</summary>
    public static bool IsIdentifier(string? name)
    {
        if (string.IsNullOrEmpty(name) || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (c != '_' && !char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public abstract bool Equals(BtfType? other);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as BtfType);

    /// <inheritdoc />
    public abstract override int GetHashCode();

    /// <summary>The C spelling of the type (<c>struct FlowKey</c>, <c>__u32[4]</c>).</summary>
    public abstract override string ToString();
}

/// <summary>The encoding of a <see cref="BtfInt"/> (<c>BTF_INT_SIGNED</c>, <c>BTF_INT_BOOL</c>).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "BTF's names (BTF_INT_SIGNED, BTF_INT_CHAR).")]
public enum BtfIntEncoding
{
    /// <summary>Unsigned.</summary>
    None = 0,

    /// <summary><c>BTF_INT_SIGNED</c>.</summary>
    Signed = 1,

    /// <summary><c>BTF_INT_CHAR</c>.</summary>
    Char = 2,

    /// <summary><c>BTF_INT_BOOL</c>.</summary>
    Bool = 4,
}

/// <summary>A C integer (<c>BTF_KIND_INT</c>) of 1, 2, 4, 8 or 16 bytes.</summary>
public sealed class BtfInt : BtfType
{
    /// <summary>Creates an integer type.</summary>
    public BtfInt(string name, uint size, BtfIntEncoding encoding)
        : base(name ?? throw new ArgumentNullException(nameof(name)), identifier: false)
    {
        // Integer names are C spellings with spaces ("unsigned int"), not identifiers.
        if (size is not (1 or 2 or 4 or 8 or 16))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A BTF integer has 1, 2, 4, 8 or 16 bytes.");
        }

        Size = size;
        Encoding = encoding;
    }

    /// <inheritdoc />
    public override uint Size { get; }

    /// <summary>Signed, unsigned, char or bool.</summary>
    public BtfIntEncoding Encoding { get; }

    /// <inheritdoc />
    public override bool Equals(BtfType? other) =>
        other is BtfInt o && o.Name == Name && o.Size == Size && o.Encoding == Encoding;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Size, Encoding);

    /// <inheritdoc />
    public override string ToString() => Name!;
}

/// <summary>A C floating-point type (<c>BTF_KIND_FLOAT</c>): <c>float</c> or <c>double</c>.</summary>
public sealed class BtfFloat : BtfType
{
    /// <summary>Creates a floating-point type.</summary>
    public BtfFloat(string name, uint size)
        : base(name)
    {
        if (size is not (2 or 4 or 8 or 12 or 16))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A BTF float has 2, 4, 8, 12 or 16 bytes.");
        }

        Size = size;
    }

    /// <inheritdoc />
    public override uint Size { get; }

    /// <inheritdoc />
    public override bool Equals(BtfType? other) => other is BtfFloat o && o.Name == Name && o.Size == Size;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Size);

    /// <inheritdoc />
    public override string ToString() => Name!;
}

/// <summary>A C typedef (<c>BTF_KIND_TYPEDEF</c>), such as <c>__u32</c>.</summary>
public sealed class BtfTypedef : BtfType
{
    /// <summary>Creates a typedef of <paramref name="type"/>.</summary>
    public BtfTypedef(string name, BtfType type)
        : base(name ?? throw new ArgumentNullException(nameof(name)))
    {
        ArgumentNullException.ThrowIfNull(type);
        Type = type;
    }

    /// <summary>The type it names.</summary>
    public BtfType Type { get; }

    /// <inheritdoc />
    public override uint Size => Type.Size;

    /// <inheritdoc />
    public override bool Equals(BtfType? other) => other is BtfTypedef o && o.Name == Name && o.Type.Equals(Type);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Type);

    /// <inheritdoc />
    public override string ToString() => Name!;
}

/// <summary>One member of a <see cref="BtfEnum"/>: its name and value (the underlying integer's bits, sign-extended to 64).</summary>
public readonly record struct BtfEnumValue(string Name, long Value);

/// <summary>
/// A C enum with a fixed underlying type (<c>BTF_KIND_ENUM</c>, or <c>BTF_KIND_ENUM64</c> for
/// 8-byte enums), signed or not as the underlying type is.
/// </summary>
/// <remarks>
/// C enumerators share one scope, so in C and in BTF each is prefixed with its enum's name:
/// member <c>Red</c> of <c>Color</c> is <c>Color_Red</c>.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "BTF's kind name (BTF_KIND_ENUM).")]
public sealed class BtfEnum : BtfType
{
    private readonly BtfEnumValue[] _values;

    /// <summary>Creates an enum.</summary>
    /// <param name="name">The enum's name.</param>
    /// <param name="size">The underlying type's size: 1, 2, 4 or 8 bytes.</param>
    /// <param name="isSigned">Whether the underlying type is signed.</param>
    /// <param name="values">The members; at least one (C declares no empty enum).</param>
    public BtfEnum(string name, uint size, bool isSigned, IEnumerable<BtfEnumValue> values)
        : base(name ?? throw new ArgumentNullException(nameof(name)))
    {
        ArgumentNullException.ThrowIfNull(values);
        if (size is not (1 or 2 or 4 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "An enum's underlying type has 1, 2, 4 or 8 bytes.");
        }

        _values = values.ToArray();
        if (_values.Length == 0)
        {
            throw new ArgumentException($"The enum '{name}' has no members; C cannot declare an empty enum.", nameof(values));
        }

        foreach (BtfEnumValue value in _values)
        {
            if (!IsIdentifier(value.Name))
            {
                throw new ArgumentException($"The member '{value.Name}' of '{name}' is not a C identifier.", nameof(values));
            }
        }

        Size = size;
        IsSigned = isSigned;
    }

    /// <inheritdoc />
    public override uint Size { get; }

    /// <summary>Whether the underlying type is signed.</summary>
    public bool IsSigned { get; }

    /// <summary>The members, in declaration order.</summary>
    public IReadOnlyList<BtfEnumValue> Values => _values;

    /// <inheritdoc />
    public override bool Equals(BtfType? other) =>
        other is BtfEnum o && o.Name == Name && o.Size == Size && o.IsSigned == IsSigned && o._values.AsSpan().SequenceEqual(_values);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Size, IsSigned, _values.Length);

    /// <inheritdoc />
    public override string ToString() => "enum " + Name;
}

/// <summary>A C array <c>T[N]</c> (<c>BTF_KIND_ARRAY</c>): fixed buffers and <c>[InlineArray]</c> structs.</summary>
public sealed class BtfArray : BtfType
{
    /// <summary>Creates an array of <paramref name="count"/> <paramref name="element"/>s.</summary>
    public BtfArray(BtfType element, uint count)
        : base(null)
    {
        ArgumentNullException.ThrowIfNull(element);
        if (count == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "A key or value array has at least one element.");
        }

        Element = element;
        Count = count;
    }

    /// <summary>The element type.</summary>
    public BtfType Element { get; }

    /// <summary>The number of elements.</summary>
    public uint Count { get; }

    /// <inheritdoc />
    public override uint Size => checked(Element.Size * Count);

    /// <inheritdoc />
    public override bool Equals(BtfType? other) => other is BtfArray o && o.Count == Count && o.Element.Equals(Element);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Element, Count);

    /// <inheritdoc />
    public override string ToString() => $"{Element}[{Count}]";
}

/// <summary>A member of a <see cref="BtfStruct"/>: its name, byte offset and type.</summary>
public sealed record BtfMember
{
    /// <summary>Creates a member.</summary>
    public BtfMember(string name, uint offset, BtfType type)
    {
        if (!BtfType.IsIdentifier(name))
        {
            throw new ArgumentException($"'{name}' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*).", nameof(name));
        }

        ArgumentNullException.ThrowIfNull(type);
        Name = name;
        Offset = offset;
        Type = type;
    }

    /// <summary>The member's name.</summary>
    public string Name { get; }

    /// <summary>The byte offset in the struct (BTF stores it in bits).</summary>
    public uint Offset { get; }

    /// <summary>The member's type.</summary>
    public BtfType Type { get; }
}

/// <summary>
/// A C struct (<c>BTF_KIND_STRUCT</c>) with its exact layout: members at their byte offsets, in
/// offset order and not overlapping, and the size including trailing padding.
/// </summary>
public sealed class BtfStruct : BtfType
{
    private readonly BtfMember[] _members;

    /// <summary>Creates a struct.</summary>
    /// <exception cref="ArgumentException">Members overlap, are out of offset order, or end past <paramref name="size"/>.</exception>
    public BtfStruct(string name, uint size, IEnumerable<BtfMember> members)
        : base(name ?? throw new ArgumentNullException(nameof(name)))
    {
        ArgumentNullException.ThrowIfNull(members);
        _members = members.ToArray();
        if (_members.Length == 0 || size == 0)
        {
            throw new ArgumentException($"The struct '{name}' has no members or no size.", nameof(members));
        }

        ulong end = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (BtfMember member in _members)
        {
            ArgumentNullException.ThrowIfNull(member, nameof(members));
            if (member.Offset < end)
            {
                throw new ArgumentException($"The member '{member.Name}' of '{name}' overlaps the one before it or is out of offset order.", nameof(members));
            }

            if (!names.Add(member.Name))
            {
                throw new ArgumentException($"The struct '{name}' has two members named '{member.Name}'.", nameof(members));
            }

            end = (ulong)member.Offset + member.Type.Size;
        }

        if (end > size)
        {
            throw new ArgumentException($"The members of '{name}' end at byte {end}, past its size {size}.", nameof(size));
        }

        Size = size;
    }

    /// <inheritdoc />
    public override uint Size { get; }

    /// <summary>The members, in offset order.</summary>
    public IReadOnlyList<BtfMember> Members => _members;

    /// <inheritdoc />
    public override bool Equals(BtfType? other) =>
        other is BtfStruct o && o.Name == Name && o.Size == Size && o._members.AsSpan().SequenceEqual(_members);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Size, _members.Length);

    /// <inheritdoc />
    public override string ToString() => "struct " + Name;
}
