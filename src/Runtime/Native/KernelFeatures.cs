using System;
using System.Threading;

namespace MapGen.Native;

/// <summary>
/// Kernel features newer than the 5.10 floor (or that a distribution may have left out), each
/// probed once per process on first use and remembered: the kernel does not change under a
/// running process. A probe creates a throw-away object and looks at the kernel's answer.
/// </summary>
internal static class KernelFeatures
{
    private const int Unknown = 0;
    private const int Yes = 1;
    private const int No = 2;

    /// <summary>Map types tracked for per-type batch support; higher numbers are probed on every use.</summary>
    private const int TrackedMapTypes = 64;

    private static int s_batchCommands;
    private static int s_innerMapFlag;
    private static int s_mmapable;
    private static int s_enum64;
    private static int s_float;
    private static readonly int[] s_lookupBatchByType = new int[TrackedMapTypes];

    /// <summary>
    /// Whether the kernel knows the <c>BPF_MAP_*_BATCH</c> commands (Linux 5.6). Older kernels
    /// answer an unknown command with <c>EINVAL</c>, which cannot be told from a refused batch;
    /// so this is probed once on a hash map with attributes every kernel accepts.
    /// </summary>
    public static bool BatchCommands => Get(ref s_batchCommands, ProbeBatchCommands);

    /// <summary><c>BPF_F_INNER_MAP</c> (Linux 5.10): array inner maps whose slots may hold arrays of other sizes.</summary>
    public static bool InnerMapFlag => InnerMapFlagProbe == true;

    /// <summary><see cref="InnerMapFlag"/>, or null when the probe could not tell (the probe map itself was refused).</summary>
    public static bool? InnerMapFlagProbe => GetState(ref s_innerMapFlag, static () => ProbeArrayFlags(BpfMapFlags.InnerMap));

    /// <summary><c>BPF_F_MMAPABLE</c> arrays (Linux 5.5).</summary>
    public static bool Mmapable => Get(ref s_mmapable, static () => ProbeArrayFlags(BpfMapFlags.Mmapable));

    /// <summary><c>BTF_KIND_ENUM64</c> (Linux 6.0): 64-bit enums in BTF.</summary>
    public static bool Enum64 => Get(ref s_enum64, ProbeEnum64);

    /// <summary><c>BTF_KIND_FLOAT</c> (Linux 5.13): floating-point types in BTF.</summary>
    public static bool Float => Get(ref s_float, static () => ProbeBtf(FloatBtf));

    /// <summary>Whether <c>BPF_MAP_LOOKUP_BATCH</c> may be tried on maps of <paramref name="type"/>: not yet refused for it.</summary>
    public static bool MayLookupBatch(BpfMapType type) => BatchCommands && !IsRefused(s_lookupBatchByType, type);

    /// <summary>Remembers that the kernel has no lookup batch for <paramref name="type"/> (it answered <c>ENOTSUPP</c>).</summary>
    public static void RefuseLookupBatch(BpfMapType type) => Refuse(s_lookupBatchByType, type);

    /// <summary>
    /// Whether <paramref name="errno"/> from a batch command means "no batch for this map type":
    /// the kernel answers <c>ENOTSUPP</c> when the type has no such operation, and some paths
    /// give <c>EOPNOTSUPP</c>.
    /// </summary>
    public static bool MeansNoBatch(BpfErrno errno) => errno is BpfErrno.ENOTSUPP or BpfErrno.EOPNOTSUPP;

    private static bool IsRefused(int[] table, BpfMapType type) =>
        (uint)type < TrackedMapTypes && Volatile.Read(ref table[(int)type]) == No;

    private static void Refuse(int[] table, BpfMapType type)
    {
        if ((uint)type < TrackedMapTypes)
        {
            Volatile.Write(ref table[(int)type], No);
        }
    }

    private static bool Get(ref int state, Func<bool?> probe) => GetState(ref state, probe) == true;

    private static bool? GetState(ref int state, Func<bool?> probe)
    {
        int value = Volatile.Read(ref state);
        if (value == Unknown)
        {
            // Two threads may probe at once; both get the same answer, so no lock is needed.
            bool? answer = probe();
            if (answer is null)
            {
                // The probe itself failed (no permission, out of memory or fds): nothing to remember.
                return null;
            }

            value = answer.Value ? Yes : No;
            Volatile.Write(ref state, value);
        }

        return value == Yes;
    }

    private static unsafe bool? ProbeBatchCommands()
    {
        MapCreateAttr create = default;
        create.MapType = (uint)BpfMapType.Hash;
        create.KeySize = 4;
        create.ValueSize = 4;
        create.MaxEntries = 1;
        BpfErrno errno = BpfSyscall.MapCreate(ref create, out SafeBpfHandle? handle);
        if (errno != BpfErrno.None)
        {
            return null;
        }

        using (handle)
        {
            byte* keys = stackalloc byte[4];
            byte* values = stackalloc byte[4];
            byte* outBatch = stackalloc byte[8];
            MapBatchAttr batch = default;
            batch.MapFd = (uint)handle!.Fd;
            batch.Keys = (ulong)keys;
            batch.Values = (ulong)values;
            batch.OutBatch = (ulong)outBatch;
            batch.Count = 1;
            // An empty hash answers ENOENT (nothing more to read) where batches exist.
            errno = BpfSyscall.Batch(BpfCommand.MapLookupBatch, ref batch);
            return errno is BpfErrno.None or BpfErrno.ENOENT;
        }
    }

    private static bool? ProbeArrayFlags(BpfMapFlags flags)
    {
        MapCreateAttr create = default;
        create.MapType = (uint)BpfMapType.Array;
        create.KeySize = 4;
        create.ValueSize = 4;
        create.MaxEntries = 1;
        create.MapFlags = (uint)flags;
        BpfErrno errno = BpfSyscall.MapCreate(ref create, out SafeBpfHandle? handle);
        handle?.Dispose();
        return errno switch
        {
            BpfErrno.None => true,
            BpfErrno.EINVAL => false,
            _ => null,
        };
    }

    private static bool? ProbeEnum64() => ProbeBtf(Enum64Btf);

    private static bool? ProbeBtf(ReadOnlySpan<byte> btf)
    {
        BpfErrno errno = BpfSyscall.BtfLoad(btf, out SafeBpfHandle? handle);
        handle?.Dispose();
        return errno switch
        {
            BpfErrno.None => true,
            BpfErrno.EINVAL => false,
            _ => null,
        };
    }

    /// <summary>
    /// The smallest BTF with an <c>ENUM64</c>: <c>enum e : 8 bytes { v = 1 }</c>. Header (24 bytes),
    /// one type (12 bytes + one 12-byte <c>btf_enum64</c>), strings <c>"\0e\0v\0"</c>.
    /// </summary>
    private static ReadOnlySpan<byte> Enum64Btf =>
    [
        // struct btf_header: magic 0xeB9F, version 1, flags 0, hdr_len 24,
        // type_off 0, type_len 24, str_off 24, str_len 5 (all little-endian u32).
        0x9F, 0xEB, 0x01, 0x00, 24, 0, 0, 0,
        0, 0, 0, 0, 24, 0, 0, 0,
        24, 0, 0, 0, 5, 0, 0, 0,
        // struct btf_type: name_off 1 ("e"), info = kind 19 (ENUM64) << 24 | vlen 1, size 8.
        1, 0, 0, 0, 1, 0, 0, 19,
        8, 0, 0, 0,
        // struct btf_enum64: name_off 3 ("v"), val_lo32 1, val_hi32 0.
        3, 0, 0, 0, 1, 0, 0, 0,
        0, 0, 0, 0,
        // Strings.
        0, (byte)'e', 0, (byte)'v', 0,
    ];

    /// <summary>The smallest BTF with a <c>FLOAT</c>: <c>float</c> of 4 bytes. Header, one 12-byte type, strings <c>"\0float\0"</c>.</summary>
    private static ReadOnlySpan<byte> FloatBtf =>
    [
        0x9F, 0xEB, 0x01, 0x00, 24, 0, 0, 0,
        0, 0, 0, 0, 12, 0, 0, 0,
        12, 0, 0, 0, 7, 0, 0, 0,
        // struct btf_type: name_off 1 ("float"), info = kind 16 (FLOAT) << 24, size 4.
        1, 0, 0, 0, 0, 0, 0, 16,
        4, 0, 0, 0,
        0, (byte)'f', (byte)'l', (byte)'o', (byte)'a', (byte)'t', 0,
    ];
}
