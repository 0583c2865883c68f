using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace MapGen.Btf;

/// <summary>
/// Writes the C a libbpf user would write for the maps of a <see cref="BtfGraph"/>: the key and
/// value types (enums with their fixed underlying type, structs with the packing their layout
/// needs), the inner definitions, and each map as a BTF-defined map in <c>SEC(".maps")</c>.
/// Compiled by clang, it encodes the same BTF as <see cref="BtfEncoder"/> writes.
/// </summary>
internal sealed class CDeclarationWriter
{
    private readonly StringBuilder _out = new();
    private readonly HashSet<Node> _written = [];

    public static string Write(BtfGraph graph, string title)
    {
        var writer = new CDeclarationWriter();
        StringBuilder o = writer._out;
        o.Append("// ").Append(title).Append('\n');
        o.Append("// Compile: clang -g -O2 -target bpf -c (Debian: add -I/usr/include/$(gcc -print-multiarch)).\n");
        o.Append("#include <linux/bpf.h>\n");
        o.Append("#include <bpf/bpf_helpers.h>\n");
        foreach (VarNode map in graph.Maps)
        {
            var definition = (StructNode)map.Type;
            foreach (MemberNode member in definition.Members.Items)
            {
                writer.DefineDependencies(member.Type);
            }

            // A named definition (an inner map's) is declared with its variable, as in the classic example.
            writer._written.Add(definition);
            o.Append('\n');
            writer.WriteDefinitionBody(definition, definition.Name is null ? "struct" : "struct " + definition.Name);
            o.Append(' ').Append(map.Name).Append(" SEC(\".maps\");\n");
        }

        return o.ToString();
    }

    /// <summary>Defines, before their first use, the types that <paramref name="node"/> refers to.</summary>
    private void DefineDependencies(Node node)
    {
        switch (node)
        {
            case TypedefNode t:
                DefineDependencies(t.Target);
                if (!t.FromHeader && _written.Add(t))
                {
                    _out.Append('\n').Append("typedef ").Append(Declare(t.Target, t.Name)).Append(";\n");
                }

                break;
            case PtrNode p:
                DefineDependencies(p.Target);
                break;
            case ArrayNode a:
                DefineDependencies(a.Element);
                break;
            case EnumNode e when _written.Add(e):
                WriteEnum(e);
                break;
            case StructNode s when _written.Add(s):
                foreach (MemberNode member in s.Members.Items)
                {
                    DefineDependencies(member.Type);
                }

                if (s.Name is not null)
                {
                    _out.Append('\n');
                    if (IsMapDefinition(s))
                    {
                        WriteDefinitionBody(s, "struct " + s.Name);
                        _out.Append(";\n");
                    }
                    else
                    {
                        WriteStruct(s);
                    }
                }

                break;
        }
    }

    private static bool IsMapDefinition(StructNode s) => s.Members.Items.Length > 0 && s.Members.Items[0].Name == "type" && s.Members.Items[0].Type is PtrNode;

    private void WriteEnum(EnumNode e)
    {
        string underlying = e.Size switch
        {
            1 => e.Signed ? "signed char" : "unsigned char",
            2 => e.Signed ? "short" : "unsigned short",
            4 => e.Signed ? "int" : "unsigned int",
            _ => e.Signed ? "long long" : "unsigned long long",
        };
        // A fixed underlying type (C23, and a clang extension before): the enum has exactly this
        // size and signedness. Spelled without typedefs, which clang-19 would encode as a 4-byte enum.
        _out.Append('\n').Append("enum ").Append(e.Name).Append(" : ").Append(underlying).Append(" {\n");
        foreach (EnumValueNode value in e.Values.Items)
        {
            _out.Append('\t').Append(value.Name).Append(" = ").Append(EnumLiteral(value.Value, e.Size, e.Signed)).Append(",\n");
        }

        _out.Append("};\n");
    }

    private static string EnumLiteral(long value, uint size, bool signed)
    {
        if (signed)
        {
            if (value == long.MinValue)
            {
                return "(-9223372036854775807LL - 1)";
            }

            return value.ToString(CultureInfo.InvariantCulture) + (size == 8 ? "LL" : string.Empty);
        }

        ulong bits = size == 8 ? unchecked((ulong)value) : unchecked((ulong)value) & ((1UL << (int)(size * 8)) - 1);
        return bits.ToString(CultureInfo.InvariantCulture) + (size == 8 ? "ULL" : "U");
    }

    private void WriteStruct(StructNode s)
    {
        bool pragma = s.Pack != 0;
        if (pragma)
        {
            _out.Append("#pragma pack(push, ").Append(s.Pack.ToString(CultureInfo.InvariantCulture)).Append(")\n");
        }

        _out.Append("struct ").Append(s.Name).Append(" {\n");
        foreach (MemberNode member in s.Members.Items)
        {
            _out.Append('\t').Append(Declare(member.Type, member.Name)).Append(";\n");
        }

        _out.Append("};\n");
        if (pragma)
        {
            _out.Append("#pragma pack(pop)\n");
        }
    }

    /// <summary>A libbpf definition body: <c>__uint</c>, <c>__type</c> and <c>__array</c> lines.</summary>
    private void WriteDefinitionBody(StructNode definition, string head)
    {
        _out.Append(head).Append(" {\n");
        foreach (MemberNode member in definition.Members.Items)
        {
            _out.Append('\t');
            switch (member.Type)
            {
                case PtrNode { Target: ArrayNode { Element: IntNode { Name: "int" }, Count: uint value } }:
                    _out.Append("__uint(").Append(member.Name).Append(", ").Append(value.ToString(CultureInfo.InvariantCulture)).Append(");");
                    _out.Append(Comment(member.Name, value));
                    break;
                case PtrNode p:
                    _out.Append("__type(").Append(member.Name).Append(", ").Append(Declare(p.Target, string.Empty)).Append(");");
                    break;
                case ArrayNode { Element: PtrNode { Target: StructNode inner } }:
                    _out.Append("__array(").Append(member.Name).Append(", struct ").Append(inner.Name).Append(");");
                    break;
                default:
                    throw new InvalidOperationException($"Unexpected map definition member '{member.Name}'.");
            }

            _out.Append('\n');
        }

        _out.Append('}');
    }

    private static string Comment(string member, uint value) => member switch
    {
        "type" => $" /* BpfMapType.{(BpfMapType)value} */",
        "map_flags" => $" /* {(BpfMapFlags)value} */",
        _ => string.Empty,
    };

    /// <summary>A C declaration of <paramref name="name"/> (empty: an abstract declarator, for <c>__type</c>) with type <paramref name="node"/>.</summary>
    private static string Declare(Node node, string name)
    {
        var suffix = new StringBuilder();
        while (node is ArrayNode array)
        {
            suffix.Append('[').Append(array.Count.ToString(CultureInfo.InvariantCulture)).Append(']');
            node = array.Element;
        }

        string type = node switch
        {
            IntNode i => i.Name,
            FloatNode f => f.Name,
            TypedefNode t => t.Name,
            EnumNode e => "enum " + e.Name,
            StructNode s => "struct " + s.Name,
            _ => throw new InvalidOperationException($"No C spelling for {node.GetType().Name}."),
        };
        if (name.Length == 0)
        {
            return suffix.Length == 0 ? type : type + " " + suffix;
        }

        return type + " " + name + suffix;
    }
}
