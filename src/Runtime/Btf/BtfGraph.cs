using System;
using System.Collections.Generic;
using System.Globalization;

namespace MapGen.Btf;

/// <summary>
/// What the encoder may use: <c>ENUM64</c> and signed enums (Linux 6.0) and <c>FLOAT</c> (5.13).
/// Without them 8-byte enums become a typedef of a 64-bit integer, enums lose their sign, and
/// floats become unsigned integers of their size.
/// </summary>
internal readonly record struct BtfEncodingOptions(bool Enum64, bool Float)
{
    public static BtfEncodingOptions Full => new(Enum64: true, Float: true);
}

/// <summary>A list compared by its elements.</summary>
internal sealed class ValueList<T> : IEquatable<ValueList<T>>
{
    public ValueList(T[] items) => Items = items;

    public T[] Items { get; }

    public bool Equals(ValueList<T>? other) => other is not null && Items.AsSpan().SequenceEqual(other.Items);

    public override bool Equals(object? obj) => Equals(obj as ValueList<T>);

    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (T item in Items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }
}

// The types as they are written to BTF and C, after naming (unique, no C keywords), enumerator
// prefixes and the packing C needs. Records compare by value, which deduplicates them.
internal abstract record Node;

internal sealed record IntNode(string Name, uint Size, BtfIntEncoding Encoding) : Node;

internal sealed record FloatNode(string Name, uint Size) : Node;

internal sealed record TypedefNode(string Name, Node Target, bool FromHeader) : Node;

internal sealed record PtrNode(Node Target) : Node;

internal sealed record ArrayNode(Node Element, uint Count) : Node;

internal sealed record EnumValueNode(string Name, long Value);

internal sealed record EnumNode(string Name, uint Size, bool Signed, ValueList<EnumValueNode> Values) : Node;

internal sealed record MemberNode(string Name, uint Offset, Node Type);

/// <summary>A struct; <paramref name="Pack"/> is 0 for C's natural layout, else the <c>#pragma pack</c> that gives it.</summary>
internal sealed record StructNode(string? Name, uint Size, ValueList<MemberNode> Members, int Pack) : Node;

internal sealed record VarNode(string Name, Node Type) : Node;

/// <summary>
/// Lowers map definitions and their key/value types to the nodes that BTF and C are written from:
/// the libbpf map definition struct of each map (as clang encodes <c>__uint</c>, <c>__type</c> and
/// <c>__array</c>), unique C names, and the packing that makes C lay each struct out as declared.
/// </summary>
internal sealed class BtfGraph
{
    private static readonly HashSet<string> CKeywords = new(StringComparer.Ordinal)
    {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
        "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
        "_Bool", "_Complex", "_Imaginary", "_Alignas", "_Alignof", "_Atomic", "_Generic", "_Noreturn",
        "_Static_assert", "_Thread_local", "bool", "true", "false", "asm", "typeof", "alignas", "alignof",
        "constexpr", "nullptr", "static_assert", "thread_local", "SEC",
    };

    private static readonly IntNode Int = new("int", 4, BtfIntEncoding.Signed);

    private readonly BtfEncodingOptions _options;
    private readonly Dictionary<BtfType, Node> _lowered = [];
    private readonly Dictionary<string, object> _tags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object> _ordinary = new(StringComparer.Ordinal);
    private readonly Dictionary<BpfMapSpec, StructNode> _innerDefinitions = [];

    public BtfGraph(BtfEncodingOptions options) => _options = options;

    /// <summary>The index type of every array, as clang names it.</summary>
    public static IntNode ArraySizeType { get; } = new("__ARRAY_SIZE_TYPE__", 4, BtfIntEncoding.None);

    /// <summary>The map variables, in order.</summary>
    public List<VarNode> Maps { get; } = [];

    /// <summary>Named inner definitions, in the order they were first needed.</summary>
    public List<StructNode> InnerDefinitions { get; } = [];

    /// <summary>Reserves the map names first, so that types never take them.</summary>
    public void ReserveMapNames(IEnumerable<BpfMapSpec> specs)
    {
        foreach (BpfMapSpec spec in specs)
        {
            if (_ordinary.TryGetValue(spec.Name, out object? owner) && !owner.Equals(spec))
            {
                throw new ArgumentException($"Two maps are named '{spec.Name}'; BTF variables and C identifiers must differ.", nameof(specs));
            }

            _ordinary[spec.Name] = spec;
        }
    }

    /// <summary>Adds a map variable: of an anonymous definition struct, or of the named one outer maps point to.</summary>
    public VarNode AddMap(BpfMapSpec spec, bool asInnerDefinition)
    {
        var variable = new VarNode(spec.Name, asInnerDefinition ? InnerDefinition(spec) : Definition(spec, name: null));
        Maps.Add(variable);
        return variable;
    }

    /// <summary>The node of a key or value type.</summary>
    public Node Lower(BtfType type)
    {
        if (_lowered.TryGetValue(type, out Node? node))
        {
            return node;
        }

        node = type switch
        {
            BtfInt i => new IntNode(i.Name!, i.Size, i.Encoding),
            BtfFloat f when _options.Float => new FloatNode(f.Name!, f.Size),
            BtfFloat f => new IntNode(f.Name!, f.Size, BtfIntEncoding.None),
            BtfTypedef t => LowerTypedef(t),
            BtfArray a => new ArrayNode(Lower(a.Element), a.Count),
            BtfEnum e => LowerEnum(e),
            BtfStruct s => LowerStruct(s),
            _ => throw new NotSupportedException($"Unknown BTF type {type.GetType().Name}."),
        };
        _lowered[type] = node;
        return node;
    }

    public static uint SizeOf(Node node) => node switch
    {
        IntNode i => i.Size,
        FloatNode f => f.Size,
        TypedefNode t => SizeOf(t.Target),
        PtrNode => 8,
        ArrayNode a => SizeOf(a.Element) * a.Count,
        EnumNode e => e.Size,
        StructNode s => s.Size,
        _ => 0,
    };

    /// <summary>The alignment C gives the type on the BPF target (64-bit, natural alignment).</summary>
    public static uint AlignOf(Node node) => node switch
    {
        IntNode i => i.Size,
        FloatNode f => f.Size,
        TypedefNode t => AlignOf(t.Target),
        PtrNode => 8,
        ArrayNode a => AlignOf(a.Element),
        EnumNode e => e.Size,
        StructNode s => StructAlign(s.Members.Items, s.Pack),
        _ => 1,
    };

    private static uint StructAlign(MemberNode[] members, int pack)
    {
        uint align = 1;
        foreach (MemberNode m in members)
        {
            align = Math.Max(align, pack == 0 ? AlignOf(m.Type) : Math.Min(AlignOf(m.Type), (uint)pack));
        }

        return align;
    }

    private TypedefNode LowerTypedef(BtfTypedef typedef)
    {
        bool fromHeader = typedef.Equals(BtfType.U8) || typedef.Equals(BtfType.S8) || typedef.Equals(BtfType.U16)
            || typedef.Equals(BtfType.S16) || typedef.Equals(BtfType.U32) || typedef.Equals(BtfType.S32)
            || typedef.Equals(BtfType.U64) || typedef.Equals(BtfType.S64);
        Node target = Lower(typedef.Type);
        string name = fromHeader ? typedef.Name! : Claim(_ordinary, typedef.Name!, typedef);
        return new TypedefNode(name, target, fromHeader);
    }

    private Node LowerEnum(BtfEnum type)
    {
        if (type.Size == 8 && !_options.Enum64)
        {
            // No ENUM64 (before Linux 6.0): the enum's name on a 64-bit integer of its signedness.
            var integer = new IntNode(type.IsSigned ? "long long" : "unsigned long long", 8, type.IsSigned ? BtfIntEncoding.Signed : BtfIntEncoding.None);
            return new TypedefNode(Claim(_ordinary, type.Name!, type), integer, FromHeader: false);
        }

        string name = Claim(_tags, type.Name!, type);
        var values = new EnumValueNode[type.Values.Count];
        for (int i = 0; i < values.Length; i++)
        {
            BtfEnumValue value = type.Values[i];
            values[i] = new EnumValueNode(Claim(_ordinary, name + "_" + value.Name, (type, i)), value.Value);
        }

        // Before 6.0 the kernel refuses the kind flag that marks a signed enum: such kernels have no ENUM64 either.
        return new EnumNode(name, type.Size, type.IsSigned && _options.Enum64, new ValueList<EnumValueNode>(values));
    }

    private StructNode LowerStruct(BtfStruct type)
    {
        string name = Claim(_tags, type.Name!, type);
        var members = new List<MemberNode>(type.Members.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (BtfMember member in type.Members)
        {
            string memberName = CKeywords.Contains(member.Name) ? member.Name + "_" : member.Name;
            names.Add(memberName);
            members.Add(new MemberNode(memberName, member.Offset, Lower(member.Type)));
        }

        int? pack = FindPack(members, type.Size);
        if (pack is not null)
        {
            return new StructNode(name, type.Size, new ValueList<MemberNode>([.. members]), pack.Value);
        }

        // No packing lays the members out where they are: pack to 1 and fill each gap (and the
        // tail) with a named byte array, which BTF then lists as well, so that both agree.
        var padded = new List<MemberNode>(members.Count * 2);
        uint end = 0;
        foreach (MemberNode member in members)
        {
            if (member.Offset > end)
            {
                padded.Add(Pad(end, member.Offset - end, names));
            }

            padded.Add(member);
            end = member.Offset + SizeOf(member.Type);
        }

        if (type.Size > end)
        {
            padded.Add(Pad(end, type.Size - end, names));
        }

        return new StructNode(name, type.Size, new ValueList<MemberNode>([.. padded]), 1);
    }

    private MemberNode Pad(uint offset, uint length, HashSet<string> names)
    {
        string name = "__pad" + offset.ToString(CultureInfo.InvariantCulture);
        while (!names.Add(name))
        {
            name += "_";
        }

        return new MemberNode(name, offset, new ArrayNode(Lower(BtfType.U8), length));
    }

    /// <summary>The packing (0 for none, else 8, 4, 2 or 1) under which C places every member at its offset and gives the size; null when none does.</summary>
    private static int? FindPack(List<MemberNode> members, uint size)
    {
        foreach (int pack in (ReadOnlySpan<int>)[0, 8, 4, 2, 1])
        {
            uint offset = 0;
            uint align = 1;
            bool fits = true;
            foreach (MemberNode member in members)
            {
                uint a = pack == 0 ? AlignOf(member.Type) : Math.Min(AlignOf(member.Type), (uint)pack);
                offset = RoundUp(offset, a);
                if (offset != member.Offset)
                {
                    fits = false;
                    break;
                }

                offset += SizeOf(member.Type);
                align = Math.Max(align, a);
            }

            if (fits && RoundUp(offset, align) == size)
            {
                return pack;
            }
        }

        return null;
    }

    private static uint RoundUp(uint value, uint alignment) => (value + alignment - 1) / alignment * alignment;

    /// <summary>A unique C name for <paramref name="owner"/> in <paramref name="space"/>: keywords get a trailing underscore, names taken by other types a number.</summary>
    private static string Claim(Dictionary<string, object> space, string name, object owner)
    {
        string candidate = CKeywords.Contains(name) ? name + "_" : name;
        string baseName = candidate;
        for (int n = 2; ; n++)
        {
            if (!space.TryGetValue(candidate, out object? existing))
            {
                space[candidate] = owner;
                return candidate;
            }

            if (existing.Equals(owner))
            {
                return candidate;
            }

            candidate = baseName + "_" + n.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The libbpf definition struct of <paramref name="spec"/>, as clang encodes it.</summary>
    private StructNode Definition(BpfMapSpec spec, string? name)
    {
        var members = new List<MemberNode>(6);
        void Add(string member, Node type) => members.Add(new MemberNode(member, (uint)members.Count * 8, type));
        Node UInt(uint value) => new PtrNode(new ArrayNode(Int, value));

        Add("type", UInt((uint)spec.Type));
        Add("max_entries", UInt(spec.MaxEntries));
        if (spec.Flags != BpfMapFlags.None)
        {
            Add("map_flags", UInt((uint)spec.Flags));
        }

        if (spec.KeyType is not null)
        {
            Add("key", new PtrNode(Lower(spec.KeyType)));
        }
        else if (spec.KeySize != 0)
        {
            Add("key_size", UInt(spec.KeySize));
        }

        if (spec.InnerMap is not null)
        {
            // An outer map's value is the inner map's fd (its ID on lookup): __type(value, __u32).
            Add("value", new PtrNode(Lower(BtfType.U32)));
        }
        else if (spec.ValueType is not null)
        {
            Add("value", new PtrNode(Lower(spec.ValueType)));
        }
        else if (spec.ValueSize != 0)
        {
            Add("value_size", UInt(spec.ValueSize));
        }

        uint size = (uint)members.Count * 8;
        if (spec.InnerMap is not null)
        {
            // __array(values, struct inner_def): a flexible array of pointers, the last member.
            Add("values", new ArrayNode(new PtrNode(InnerDefinition(spec.InnerMap)), 0));
        }

        return new StructNode(name, size, new ValueList<MemberNode>([.. members]), 0);
    }

    private StructNode InnerDefinition(BpfMapSpec inner)
    {
        if (!_innerDefinitions.TryGetValue(inner, out StructNode? definition))
        {
            string name = Claim(_tags, inner.Name + "_def", inner);
            definition = Definition(inner, name);
            _innerDefinitions[inner] = definition;
            InnerDefinitions.Add(definition);
        }

        return definition;
    }
}
