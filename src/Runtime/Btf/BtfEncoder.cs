using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace MapGen.Btf;

/// <summary>
/// Writes raw BTF (<c>struct btf_header</c>, type section, string section; little-endian, as on
/// every architecture MapGen runs on) from a <see cref="BtfGraph"/>: each distinct node once,
/// each string once, and the <c>.maps</c> DATASEC with the offsets and sizes libbpf fills in.
/// </summary>
internal sealed class BtfEncoder
{
    private const ushort Magic = 0xEB9F;
    private const int HeaderLength = 24;

    private const int KindInt = 1;
    private const int KindPtr = 2;
    private const int KindArray = 3;
    private const int KindStruct = 4;
    private const int KindEnum = 6;
    private const int KindTypedef = 8;
    private const int KindVar = 14;
    private const int KindDatasec = 15;
    private const int KindFloat = 16;
    private const int KindEnum64 = 19;

    /// <summary><c>BTF_VAR_GLOBAL_ALLOCATED</c>.</summary>
    private const uint LinkageGlobal = 1;

    private readonly Dictionary<Node, uint> _ids = [];
    private readonly Dictionary<string, uint> _strings = new(StringComparer.Ordinal) { [string.Empty] = 0 };
    private readonly ArrayBufferWriter<byte> _types = new(1024);
    private readonly ArrayBufferWriter<byte> _stringBytes = new(256);
    private uint _nextId = 1;

    public BtfEncoder() => _stringBytes.Write([(byte)0]);

    /// <summary>The id of <paramref name="node"/>, writing it (and what it refers to) first if new.</summary>
    public uint Add(Node node)
    {
        if (_ids.TryGetValue(node, out uint id))
        {
            return id;
        }

        // Children first: every reference then points back, and ids follow dependency order.
        switch (node)
        {
            case IntNode i:
                id = Type(i.Name, KindInt, 0, false, i.Size);
                U32(((uint)i.Encoding << 24) | (i.Size * 8));
                break;
            case FloatNode f:
                id = Type(f.Name, KindFloat, 0, false, f.Size);
                break;
            case TypedefNode t:
            {
                uint target = Add(t.Target);
                id = Type(t.Name, KindTypedef, 0, false, target);
                break;
            }

            case PtrNode p:
            {
                uint target = Add(p.Target);
                id = Type(null, KindPtr, 0, false, target);
                break;
            }

            case ArrayNode a:
            {
                uint element = Add(a.Element);
                uint index = Add(BtfGraph.ArraySizeType);
                id = Type(null, KindArray, 0, false, 0);
                U32(element);
                U32(index);
                U32(a.Count);
                break;
            }

            case EnumNode e:
            {
                int count = e.Values.Items.Length;
                id = Type(e.Name, e.Size == 8 ? KindEnum64 : KindEnum, count, e.Signed, e.Size);
                foreach (EnumValueNode value in e.Values.Items)
                {
                    U32(String(value.Name));
                    U32(unchecked((uint)value.Value));
                    if (e.Size == 8)
                    {
                        U32(unchecked((uint)(value.Value >> 32)));
                    }
                }

                break;
            }

            case StructNode s:
            {
                var memberTypes = new uint[s.Members.Items.Length];
                for (int m = 0; m < memberTypes.Length; m++)
                {
                    memberTypes[m] = Add(s.Members.Items[m].Type);
                }

                id = Type(s.Name, KindStruct, memberTypes.Length, false, s.Size);
                for (int m = 0; m < memberTypes.Length; m++)
                {
                    MemberNode member = s.Members.Items[m];
                    U32(String(member.Name));
                    U32(memberTypes[m]);
                    U32(member.Offset * 8);
                }

                break;
            }

            case VarNode v:
            {
                uint target = Add(v.Type);
                id = Type(v.Name, KindVar, 0, false, target);
                U32(LinkageGlobal);
                break;
            }

            default:
                throw new NotSupportedException($"Unknown BTF node {node.GetType().Name}.");
        }

        _ids[node] = id;
        return id;
    }

    /// <summary>
    /// The <c>.maps</c> DATASEC over <paramref name="variables"/>, laid out as the linker places
    /// them and libbpf's <c>btf_fixup_datasec</c> records it: each at the next 8-byte boundary,
    /// with its size; the section's size is where the last one ends.
    /// </summary>
    public void AddMapsSection(IReadOnlyList<VarNode> variables)
    {
        if (variables.Count == 0)
        {
            return;
        }

        var ids = new uint[variables.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = Add(variables[i]);
        }

        uint offset = 0;
        var placed = new (uint Offset, uint Size)[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            uint size = BtfGraph.SizeOf(variables[i].Type);
            offset = (offset + 7) & ~7U;
            placed[i] = (offset, size);
            offset += size;
        }

        Type(".maps", KindDatasec, ids.Length, false, offset);
        for (int i = 0; i < ids.Length; i++)
        {
            U32(ids[i]);
            U32(placed[i].Offset);
            U32(placed[i].Size);
        }
    }

    /// <summary>The finished BTF: header, types, strings.</summary>
    public byte[] ToArray()
    {
        int typeLength = _types.WrittenCount;
        int stringLength = _stringBytes.WrittenCount;
        var blob = new byte[HeaderLength + typeLength + stringLength];
        Span<byte> header = blob;
        BinaryPrimitives.WriteUInt16LittleEndian(header, Magic);
        header[2] = 1; // version
        header[3] = 0; // flags
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], HeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], 0); // type_off
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)typeLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)typeLength); // str_off
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)stringLength);
        _types.WrittenSpan.CopyTo(blob.AsSpan(HeaderLength));
        _stringBytes.WrittenSpan.CopyTo(blob.AsSpan(HeaderLength + typeLength));
        return blob;
    }

    /// <summary>Writes a <c>struct btf_type</c> and returns its id.</summary>
    private uint Type(string? name, int kind, int vlen, bool kindFlag, uint sizeOrType)
    {
        U32(name is null ? 0 : String(name));
        U32((kindFlag ? 1U << 31 : 0) | ((uint)kind << 24) | (uint)vlen);
        U32(sizeOrType);
        return _nextId++;
    }

    private uint String(string value)
    {
        if (!_strings.TryGetValue(value, out uint offset))
        {
            offset = (uint)_stringBytes.WrittenCount;
            _stringBytes.Write(Encoding.ASCII.GetBytes(value));
            _stringBytes.Write([(byte)0]);
            _strings[value] = offset;
        }

        return offset;
    }

    private void U32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        _types.Write(bytes);
    }
}
