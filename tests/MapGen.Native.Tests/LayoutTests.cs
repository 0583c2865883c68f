using System.Runtime.InteropServices;
using System.Text;

namespace MapGen.Native.Tests;

/// <summary>
/// The attribute structs against the kernel's C header: a C program compiled here prints
/// <c>offsetof</c> of every field, which must equal the C# offset. Fields newer than the installed
/// header are left out of the comparison (the header, not the kernel, decides what C can see).
/// </summary>
public sealed class LayoutTests
{
    private const string Header = "/usr/include/linux/bpf.h";

    private static readonly (Type Struct, string Field, string C, string Member)[] Fields =
    [
        (typeof(MapCreateAttr), nameof(MapCreateAttr.MapType), "union bpf_attr", "map_type"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.KeySize), "union bpf_attr", "key_size"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.ValueSize), "union bpf_attr", "value_size"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.MaxEntries), "union bpf_attr", "max_entries"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.MapFlags), "union bpf_attr", "map_flags"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.InnerMapFd), "union bpf_attr", "inner_map_fd"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.NumaNode), "union bpf_attr", "numa_node"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.MapName), "union bpf_attr", "map_name"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.MapIfIndex), "union bpf_attr", "map_ifindex"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.BtfFd), "union bpf_attr", "btf_fd"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.BtfKeyTypeId), "union bpf_attr", "btf_key_type_id"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.BtfValueTypeId), "union bpf_attr", "btf_value_type_id"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.BtfVmlinuxValueTypeId), "union bpf_attr", "btf_vmlinux_value_type_id"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.MapExtra), "union bpf_attr", "map_extra"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.ValueTypeBtfObjFd), "union bpf_attr", "value_type_btf_obj_fd"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.MapTokenFd), "union bpf_attr", "map_token_fd"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.ExclProgHash), "union bpf_attr", "excl_prog_hash"),
        (typeof(MapCreateAttr), nameof(MapCreateAttr.ExclProgHashSize), "union bpf_attr", "excl_prog_hash_size"),
        (typeof(MapElemAttr), nameof(MapElemAttr.MapFd), "union bpf_attr", "map_fd"),
        (typeof(MapElemAttr), nameof(MapElemAttr.Key), "union bpf_attr", "key"),
        (typeof(MapElemAttr), nameof(MapElemAttr.Value), "union bpf_attr", "value"),
        (typeof(MapElemAttr), nameof(MapElemAttr.Value), "union bpf_attr", "next_key"),
        (typeof(MapElemAttr), nameof(MapElemAttr.Flags), "union bpf_attr", "flags"),
        (typeof(MapBatchAttr), nameof(MapBatchAttr.InBatch), "union bpf_attr", "batch.in_batch"),
        (typeof(MapBatchAttr), nameof(MapBatchAttr.OutBatch), "union bpf_attr", "batch.out_batch"),
        (typeof(MapBatchAttr), nameof(MapBatchAttr.Keys), "union bpf_attr", "batch.keys"),
        (typeof(MapBatchAttr), nameof(MapBatchAttr.Values), "union bpf_attr", "batch.values"),
        (typeof(MapBatchAttr), nameof(MapBatchAttr.Count), "union bpf_attr", "batch.count"),
        (typeof(MapBatchAttr), nameof(MapBatchAttr.MapFd), "union bpf_attr", "batch.map_fd"),
        (typeof(MapBatchAttr), nameof(MapBatchAttr.ElemFlags), "union bpf_attr", "batch.elem_flags"),
        (typeof(MapBatchAttr), nameof(MapBatchAttr.Flags), "union bpf_attr", "batch.flags"),
        (typeof(ObjAttr), nameof(ObjAttr.PathName), "union bpf_attr", "pathname"),
        (typeof(ObjAttr), nameof(ObjAttr.BpfFd), "union bpf_attr", "bpf_fd"),
        (typeof(ObjAttr), nameof(ObjAttr.FileFlags), "union bpf_attr", "file_flags"),
        (typeof(ObjAttr), nameof(ObjAttr.PathFd), "union bpf_attr", "path_fd"),
        (typeof(GetIdAttr), nameof(GetIdAttr.Id), "union bpf_attr", "map_id"),
        (typeof(GetIdAttr), nameof(GetIdAttr.NextId), "union bpf_attr", "next_id"),
        (typeof(GetIdAttr), nameof(GetIdAttr.OpenFlags), "union bpf_attr", "open_flags"),
        (typeof(GetIdAttr), nameof(GetIdAttr.TokenFd), "union bpf_attr", "fd_by_id_token_fd"),
        (typeof(InfoAttr), nameof(InfoAttr.BpfFd), "union bpf_attr", "info.bpf_fd"),
        (typeof(InfoAttr), nameof(InfoAttr.InfoLen), "union bpf_attr", "info.info_len"),
        (typeof(InfoAttr), nameof(InfoAttr.Info), "union bpf_attr", "info.info"),
        (typeof(BtfLoadAttr), nameof(BtfLoadAttr.Btf), "union bpf_attr", "btf"),
        (typeof(BtfLoadAttr), nameof(BtfLoadAttr.BtfLogBuf), "union bpf_attr", "btf_log_buf"),
        (typeof(BtfLoadAttr), nameof(BtfLoadAttr.BtfSize), "union bpf_attr", "btf_size"),
        (typeof(BtfLoadAttr), nameof(BtfLoadAttr.BtfLogSize), "union bpf_attr", "btf_log_size"),
        (typeof(BtfLoadAttr), nameof(BtfLoadAttr.BtfLogLevel), "union bpf_attr", "btf_log_level"),
        (typeof(BtfLoadAttr), nameof(BtfLoadAttr.BtfLogTrueSize), "union bpf_attr", "btf_log_true_size"),
        (typeof(BtfLoadAttr), nameof(BtfLoadAttr.BtfFlags), "union bpf_attr", "btf_flags"),
        (typeof(BtfLoadAttr), nameof(BtfLoadAttr.BtfTokenFd), "union bpf_attr", "btf_token_fd"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.Type), "struct bpf_map_info", "type"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.Id), "struct bpf_map_info", "id"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.KeySize), "struct bpf_map_info", "key_size"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.ValueSize), "struct bpf_map_info", "value_size"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.MaxEntries), "struct bpf_map_info", "max_entries"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.MapFlags), "struct bpf_map_info", "map_flags"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.Name), "struct bpf_map_info", "name"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.IfIndex), "struct bpf_map_info", "ifindex"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.BtfVmlinuxValueTypeId), "struct bpf_map_info", "btf_vmlinux_value_type_id"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.NetnsDev), "struct bpf_map_info", "netns_dev"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.NetnsIno), "struct bpf_map_info", "netns_ino"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.BtfId), "struct bpf_map_info", "btf_id"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.BtfKeyTypeId), "struct bpf_map_info", "btf_key_type_id"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.BtfValueTypeId), "struct bpf_map_info", "btf_value_type_id"),
        (typeof(MapInfoStruct), nameof(MapInfoStruct.MapExtra), "struct bpf_map_info", "map_extra"),
    ];

    [Fact]
    public void Attribute_structs_have_the_offsets_of_the_C_header()
    {
        string clang = Kernel.RequireTool("clang-19");
        Kernel.RequireFile(Header, "linux-libc-dev");

        string header = File.ReadAllText(Header);
        var checkedFields = Fields.Where(f => HeaderHas(header, f.Member)).ToArray();
        Assert.True(checkedFields.Length >= 50, $"Only {checkedFields.Length} fields found in {Header}.");

        var source = new StringBuilder("#include <stdio.h>\n#include <linux/bpf.h>\n#define OFF(t, m) ((unsigned long)&((t *)0)->m)\nint main(void) {\n");
        foreach (var f in checkedFields)
        {
            source.Append(System.Globalization.CultureInfo.InvariantCulture, $"    printf(\"%lu\\n\", OFF({f.C}, {f.Member}));\n");
        }

        source.Append("    return 0;\n}\n");
        string dir = Directory.CreateTempSubdirectory("mapgen-layout-").FullName;
        try
        {
            string c = Path.Combine(dir, "layout.c");
            string exe = Path.Combine(dir, "layout");
            File.WriteAllText(c, source.ToString());
            Kernel.Run(clang, "-o", exe, c);
            string[] offsets = Kernel.Run(exe).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(checkedFields.Length, offsets.Length);
            for (int i = 0; i < checkedFields.Length; i++)
            {
                var f = checkedFields[i];
                int expected = int.Parse(offsets[i], System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(expected == (int)Marshal.OffsetOf(f.Struct, f.Field),
                    $"{f.Struct.Name}.{f.Field}: C# offset {Marshal.OffsetOf(f.Struct, f.Field)}, C offset of {f.C}.{f.Member} is {expected}.");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public unsafe void Every_attribute_struct_ends_after_its_last_field()
    {
        // Sizes are the kernel's offsetofend of each command's last field (Linux 6.18), rounded to 8.
        Assert.Equal(96, sizeof(MapCreateAttr));
        Assert.Equal(32, sizeof(MapElemAttr));
        Assert.Equal(56, sizeof(MapBatchAttr));
        Assert.Equal(24, sizeof(ObjAttr));
        Assert.Equal(16, sizeof(GetIdAttr));
        Assert.Equal(16, sizeof(InfoAttr));
        Assert.Equal(40, sizeof(BtfLoadAttr));
        Assert.Equal(88, sizeof(MapInfoStruct));
    }

    private static bool HeaderHas(string header, string member)
    {
        string name = member[(member.LastIndexOf('.') + 1)..];
        return System.Text.RegularExpressions.Regex.IsMatch(header, $@"\b{name}\s*(\[[^\]]*\])?\s*;");
    }
}
