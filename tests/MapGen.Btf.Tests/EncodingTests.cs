using System.Buffers.Binary;

namespace MapGen.Btf.Tests;

/// <summary>The encoder's own rules: fallbacks for older kernels, LoadBtf's errors, spec checks, the C it writes.</summary>
public sealed class EncodingTests
{
    [Fact]
    public void Without_ENUM64_and_FLOAT_the_blob_uses_neither_nor_signed_enums_and_loads()
    {
        byte[] btf = BpfMapSpec.EncodeBtf([LabelsByColor.Spec, Connections.Spec, Latencies.Spec], new BtfEncodingOptions(Enum64: false, Float: false));
        List<(int Kind, bool KindFlag)> kinds = Kinds(btf);
        Assert.DoesNotContain(kinds, k => k.Kind is 16 or 19);
        Assert.DoesNotContain(kinds, k => k.Kind == 6 && k.KindFlag);
        Assert.Contains(kinds, k => k.Kind == 6);

        byte[] full = LabelsByColor.Spec.ToBtf();
        Assert.Contains(Kinds(full), k => k.Kind == 19 && k.KindFlag);
        Assert.Contains(Kinds(full), k => k.Kind == 6 && k.KindFlag);

        using BpfRuntime rt = Toolchain.NativeRuntime();
        using BpfBtf loaded = rt.LoadBtf(btf);
    }

    [Fact]
    public void A_refused_blob_throws_with_the_kernels_log()
    {
        byte[] btf = FlowTable.Spec.ToBtf();
        // Point the first type's name past the string section.
        BinaryPrimitives.WriteUInt32LittleEndian(btf.AsSpan(24), 0xFFFF);
        using BpfRuntime rt = Toolchain.NativeRuntime();
        BpfException e = Assert.Throws<BpfException>(() => rt.LoadBtf(btf));
        Assert.Equal(BpfErrno.EINVAL, e.Errno);
        Assert.Contains("name_off", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_emulated_runtime_has_no_BTF_objects()
    {
        using BpfRuntime rt = BpfRuntime.CreateEmulated();
        NotSupportedException e = Assert.Throws<NotSupportedException>(() => rt.LoadBtf(FlowTable.Spec.ToBtf()));
        Assert.Contains("CreateNative", e.Message, StringComparison.Ordinal);
        using BpfMap map = rt.CreateMap(FlowTable.Spec);
        Assert.Equal(0U, map.Info.BtfId);
    }

    [Fact]
    public void Key_and_value_types_must_have_the_declared_sizes()
    {
        Assert.Throws<ArgumentException>(() => new BpfMapSpec("m", BpfMapType.Hash, 8, 4, 1) { KeyType = BtfType.U32 });
        Assert.Throws<ArgumentException>(() => new BpfMapSpec("o", BpfMapType.ArrayOfMaps, 4, 4, 1, innerMap: TxPorts.Spec) { ValueType = BtfType.U32 });
        var spec = new BpfMapSpec("m", BpfMapType.Hash, 4, 8, 1) { KeyType = BtfType.S32, ValueType = BtfType.U64 };
        Assert.Equal(spec, spec.WithName("n").WithName("m"));
        Assert.NotEqual(spec, new BpfMapSpec("m", BpfMapType.Hash, 4, 8, 1) { KeyType = BtfType.U32, ValueType = BtfType.U64 });
    }

    [Fact]
    public void Generated_specs_carry_the_C_layout()
    {
        var key = Assert.IsType<BtfStruct>(FlowTable.Spec.KeyType);
        Assert.Equal(["SrcIp", "DstIp", "SrcPort", "DstPort", "Proto"], key.Members.Select(m => m.Name));
        Assert.Equal([0U, 4U, 8U, 10U, 12U], key.Members.Select(m => m.Offset));
        Assert.Equal(16U, key.Size);
        Assert.Equal(BtfType.U32, TxPorts.Spec.ValueType);
        Assert.Null(TxPortTables.Spec.ValueType);
        var neighbour = Assert.IsType<BtfStruct>(Neighbours.Spec.ValueType);
        var history = Assert.IsType<BtfArray>(neighbour.Members.Single(m => m.Name == "History").Type);
        Assert.Equal(3U, history.Count);
        Assert.Equal(new BtfArray(BtfType.U8, 6), history.Element);
        var huge = Assert.IsType<BtfEnum>(Assert.IsType<BtfStruct>(LabelsByColor.Spec.ValueType).Members.Single(m => m.Name == "Huge").Type);
        Assert.True(huge.IsSigned);
        Assert.Equal(8U, huge.Size);
        Assert.Equal(long.MinValue, huge.Values[0].Value);
    }

    [Fact]
    public void Names_that_clash_in_C_are_made_unique_and_keywords_escaped()
    {
        var a = new BtfStruct("Key", 4, [new BtfMember("int", 0, BtfType.U32)]);
        var b = new BtfStruct("Key", 8, [new BtfMember("x", 0, BtfType.U64)]);
        var one = new BpfMapSpec("one", BpfMapType.Hash, 4, 8, 1) { KeyType = a, ValueType = b };
        string c = one.ToCDeclaration();
        Assert.Contains("struct Key {\n\t__u32 int_;\n};", c, StringComparison.Ordinal);
        Assert.Contains("struct Key_2 {", c, StringComparison.Ordinal);
        Assert.Contains("__type(value, struct Key_2);", c, StringComparison.Ordinal);
    }

    private static List<(int Kind, bool KindFlag)> Kinds(byte[] btf)
    {
        var kinds = new List<(int, bool)>();
        int typeLength = BinaryPrimitives.ReadInt32LittleEndian(btf.AsSpan(12));
        ReadOnlySpan<byte> types = btf.AsSpan(24, typeLength);
        int i = 0;
        while (i < types.Length)
        {
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(types[(i + 4)..]);
            int kind = (int)((info >> 24) & 0x1F);
            int vlen = (int)(info & 0xFFFF);
            kinds.Add((kind, (info >> 31) != 0));
            i += 12 + kind switch
            {
                1 or 14 => 4,
                3 => 12,
                4 or 5 or 15 => 12 * vlen,
                6 => 8 * vlen,
                19 => 12 * vlen,
                _ => 0,
            };
        }

        return kinds;
    }
}
