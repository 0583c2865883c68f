using System.Runtime.InteropServices;

// The members of `union bpf_attr` (include/uapi/linux/bpf.h) that MapGen uses, one struct per
// command, each with the kernel's offsets. The kernel copies min(size, sizeof(its union)) bytes and
// requires every byte after the command's last field to be zero (CHECK_ATTR) and every byte past
// its own union to be zero too (bpf_check_uarg_tail_zero). So each struct is created zeroed
// (`default`, padding included), carries the fields of newer kernels that MapGen leaves at zero,
// and is passed with its own size: an older kernel sees zeros where it has no field, a newer one
// sees zeros in its fields. Offsets are checked against the C header by the tests.
namespace MapGen.Native;

/// <summary>The <c>enum bpf_cmd</c> values MapGen issues.</summary>
internal enum BpfCommand
{
    MapCreate = 0,
    MapLookupElem = 1,
    MapUpdateElem = 2,
    MapDeleteElem = 3,
    MapGetNextKey = 4,
    ProgLoad = 5,
    ObjPin = 6,
    ObjGet = 7,
    MapGetFdById = 14,
    ObjGetInfoByFd = 15,
    BtfLoad = 18,
    MapLookupAndDeleteElem = 21,
    MapLookupBatch = 24,
    MapLookupAndDeleteBatch = 25,
    MapUpdateBatch = 26,
    MapDeleteBatch = 27,
}

/// <summary><c>BPF_MAP_CREATE</c> (Linux 6.18 layout: through <c>excl_prog_hash_size</c>).</summary>
[StructLayout(LayoutKind.Explicit, Size = 96)]
internal unsafe struct MapCreateAttr
{
    public const int NameLength = 16;

    [FieldOffset(0)] public uint MapType;
    [FieldOffset(4)] public uint KeySize;
    [FieldOffset(8)] public uint ValueSize;
    [FieldOffset(12)] public uint MaxEntries;
    [FieldOffset(16)] public uint MapFlags;
    [FieldOffset(20)] public uint InnerMapFd;
    [FieldOffset(24)] public uint NumaNode;
    [FieldOffset(28)] public fixed byte MapName[NameLength];
    [FieldOffset(44)] public uint MapIfIndex;
    [FieldOffset(48)] public uint BtfFd;
    [FieldOffset(52)] public uint BtfKeyTypeId;
    [FieldOffset(56)] public uint BtfValueTypeId;
    [FieldOffset(60)] public uint BtfVmlinuxValueTypeId;
    [FieldOffset(64)] public ulong MapExtra;
    [FieldOffset(72)] public int ValueTypeBtfObjFd;
    [FieldOffset(76)] public int MapTokenFd;
    [FieldOffset(80)] public ulong ExclProgHash;
    [FieldOffset(88)] public uint ExclProgHashSize;
}

/// <summary><c>BPF_MAP_LOOKUP_ELEM</c>, <c>UPDATE_ELEM</c>, <c>DELETE_ELEM</c>, <c>GET_NEXT_KEY</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct MapElemAttr
{
    [FieldOffset(0)] public uint MapFd;
    [FieldOffset(8)] public ulong Key;
    /// <summary><c>value</c>, or <c>next_key</c> for <c>GET_NEXT_KEY</c> (a union).</summary>
    [FieldOffset(16)] public ulong Value;
    [FieldOffset(24)] public ulong Flags;
}

/// <summary><c>BPF_MAP_*_BATCH</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 56)]
internal struct MapBatchAttr
{
    [FieldOffset(0)] public ulong InBatch;
    [FieldOffset(8)] public ulong OutBatch;
    [FieldOffset(16)] public ulong Keys;
    [FieldOffset(24)] public ulong Values;
    /// <summary>In: how many elements the buffers hold. Out: how many were processed.</summary>
    [FieldOffset(32)] public uint Count;
    [FieldOffset(36)] public uint MapFd;
    [FieldOffset(40)] public ulong ElemFlags;
    [FieldOffset(48)] public ulong Flags;
}

/// <summary><c>BPF_OBJ_PIN</c>, <c>BPF_OBJ_GET</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct ObjAttr
{
    [FieldOffset(0)] public ulong PathName;
    [FieldOffset(8)] public uint BpfFd;
    [FieldOffset(12)] public uint FileFlags;
    /// <summary><c>path_fd</c> (6.5), read only with <c>BPF_F_PATH_FD</c>.</summary>
    [FieldOffset(16)] public int PathFd;
}

/// <summary><c>BPF_MAP_GET_FD_BY_ID</c> (and the other <c>*_GET_FD_BY_ID</c> commands).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct GetIdAttr
{
    /// <summary><c>map_id</c> (a union with <c>start_id</c>, <c>prog_id</c>, …).</summary>
    [FieldOffset(0)] public uint Id;
    [FieldOffset(4)] public uint NextId;
    [FieldOffset(8)] public uint OpenFlags;
    /// <summary><c>fd_by_id_token_fd</c> (6.13).</summary>
    [FieldOffset(12)] public int TokenFd;
}

/// <summary><c>BPF_OBJ_GET_INFO_BY_FD</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct InfoAttr
{
    [FieldOffset(0)] public uint BpfFd;
    /// <summary>In: the size of the buffer. Out: how much the kernel filled.</summary>
    [FieldOffset(4)] public uint InfoLen;
    [FieldOffset(8)] public ulong Info;
}

/// <summary><c>BPF_BTF_LOAD</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal struct BtfLoadAttr
{
    [FieldOffset(0)] public ulong Btf;
    [FieldOffset(8)] public ulong BtfLogBuf;
    [FieldOffset(16)] public uint BtfSize;
    [FieldOffset(20)] public uint BtfLogSize;
    [FieldOffset(24)] public uint BtfLogLevel;
    [FieldOffset(28)] public uint BtfLogTrueSize;
    [FieldOffset(32)] public uint BtfFlags;
    [FieldOffset(36)] public int BtfTokenFd;
}

/// <summary><c>struct bpf_map_info</c> through <c>map_extra</c>; the kernel fills at most <c>info_len</c> bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 88)]
internal unsafe struct MapInfoStruct
{
    [FieldOffset(0)] public uint Type;
    [FieldOffset(4)] public uint Id;
    [FieldOffset(8)] public uint KeySize;
    [FieldOffset(12)] public uint ValueSize;
    [FieldOffset(16)] public uint MaxEntries;
    [FieldOffset(20)] public uint MapFlags;
    [FieldOffset(24)] public fixed byte Name[16];
    [FieldOffset(40)] public uint IfIndex;
    [FieldOffset(44)] public uint BtfVmlinuxValueTypeId;
    [FieldOffset(48)] public ulong NetnsDev;
    [FieldOffset(56)] public ulong NetnsIno;
    [FieldOffset(64)] public uint BtfId;
    [FieldOffset(68)] public uint BtfKeyTypeId;
    [FieldOffset(72)] public uint BtfValueTypeId;
    [FieldOffset(80)] public ulong MapExtra;
}
