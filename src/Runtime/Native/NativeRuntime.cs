using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using MapGen.Btf;

namespace MapGen.Native;

/// <summary>
/// The kernel's maps through <c>bpf(2)</c>. Stateless apart from the possible-CPU count: every map
/// is a kernel object reached through the fd its <see cref="NativeMap"/> owns.
/// </summary>
internal sealed class NativeRuntime : BpfRuntime
{
    private NativeRuntime(int possibleCpus)
    {
        PossibleCpus = possibleCpus;
    }

    /// <inheritdoc />
    public override int PossibleCpus { get; }

    /// <inheritdoc />
    public override bool IsEmulated => false;

    /// <summary>Creates the runtime, or throws the exception that says why this process cannot use bpf(2).</summary>
    public static NativeRuntime Create()
    {
        Exception? failure = NativeSupport.CreateFailure();
        if (failure is not null)
        {
            throw failure;
        }

        return new NativeRuntime(NativeSupport.PossibleCpus);
    }

    internal override BpfErrno UnlinkPin(string path) => BpfSyscall.Unlink(path);

    /// <summary>
    /// An <see cref="BpfErrno.EPERM"/> from <c>BPF_OBJ_PIN</c> means the directory is no bpffs
    /// directory (the kernel's <c>bpf_obj_do_pin</c>); say so only when <c>statfs</c> agrees.
    /// </summary>
    internal override string? PinHint(BpfErrno errno, string path) =>
        errno == BpfErrno.EPERM && Path.GetDirectoryName(path) is { Length: > 0 } directory && IsBpffs(directory) == true
            ? null
            : base.PinHint(errno, path);

    /// <summary>Whether <paramref name="directory"/> is on a bpf filesystem; null when <c>statfs</c> cannot tell (it does not exist, say).</summary>
    private static unsafe bool? IsBpffs(string directory)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(directory + "\0");
        byte* buffer = stackalloc byte[256];
        fixed (byte* p = utf8)
        {
            return LibC.Statfs(p, buffer) == 0 ? *(long*)buffer == LibC.BpfFsMagic : null;
        }
    }

    /// <summary>The verifier log's size when a load fails: enough for the kernel's BTF messages.</summary>
    private const int BtfLogSize = 64 * 1024;

    /// <summary>The key/value BTF of each spec, encoded once (a spec is immutable).</summary>
    private static readonly ConditionalWeakTable<BpfMapSpec, KeyValueBtf> s_keyValueBtf = [];

    private sealed record KeyValueBtf(byte[]? Btf, uint KeyTypeId, uint ValueTypeId);

    private protected override BpfBtf LoadBtfCore(ReadOnlySpan<byte> btf)
    {
        BpfErrno errno = BpfSyscall.BtfLoad(btf, out SafeBpfHandle? handle);
        if (errno == BpfErrno.None)
        {
            return new BpfBtf(handle!);
        }

        // Load again with a log, for the kernel's reason (the log costs only on failure).
        byte[] log = new byte[BtfLogSize];
        BpfErrno again = BpfSyscall.BtfLoad(btf, log, out handle);
        if (again == BpfErrno.None)
        {
            return new BpfBtf(handle!);
        }

        int end = Array.IndexOf(log, (byte)0);
        string text = Encoding.UTF8.GetString(log, 0, end < 0 ? log.Length : end).Trim();
        throw new BpfException(again, $"The kernel refused the BTF ({btf.Length} bytes) with {again}{(text.Length == 0 ? "." : ":\n" + text)}");
    }

    /// <summary>
    /// Creates a data map with its key/value BTF, so that tools such as <c>bpftool map dump</c>
    /// print its entries field by field. Map types whose kernel code refuses BTF ids (SPEC §4),
    /// and maps whose BTF the kernel does not take, are created without it: BTF is a description,
    /// and the map works the same without.
    /// </summary>
    private protected override BpfErrno TryCreateMapCore(BpfMapCreateOptions options, BpfMapSpec spec, out BpfMap? map)
    {
        KeyValueBtf btf = s_keyValueBtf.GetValue(spec, static s => Encode(s));
        if (btf.Btf is null || options.BtfFd != 0)
        {
            return TryCreateMapCore(options, out map);
        }

        if (BpfSyscall.BtfLoad(btf.Btf, out SafeBpfHandle? handle) != BpfErrno.None)
        {
            return TryCreateMapCore(options, out map);
        }

        using (handle)
        {
            // The map takes its own reference on the BTF object: the fd can close right after.
            return TryCreateMapCore(options with { BtfFd = handle!.Fd, BtfKeyTypeId = btf.KeyTypeId, BtfValueTypeId = btf.ValueTypeId }, out map);
        }
    }

    private static KeyValueBtf Encode(BpfMapSpec spec)
    {
        if (!TakesBtfIds(spec))
        {
            return new KeyValueBtf(null, 0, 0);
        }

        var options = new BtfEncodingOptions(Enum64: KernelFeatures.Enum64, Float: KernelFeatures.Float);
        (byte[] Btf, uint KeyTypeId, uint ValueTypeId)? encoded = spec.EncodeKeyValueBtf(options);
        return encoded is { } e ? new KeyValueBtf(e.Btf, e.KeyTypeId, e.ValueTypeId) : new KeyValueBtf(null, 0, 0);
    }

    /// <summary>
    /// Whether the kernel takes key/value BTF ids for maps of <paramref name="spec"/>. Most types
    /// other than the plain data maps answer <c>ENOTSUPP</c> (<c>map_check_no_btf</c>: DevMap,
    /// DevMapHash, CpuMap, XskMap, SockMap, SockHash, PerfEventArray, CgroupArray, ProgArray,
    /// outer maps, …); arrays want an <c>int</c> of 32 bits as key, and LPM tries a struct.
    /// </summary>
    internal static bool TakesBtfIds(BpfMapSpec spec)
    {
        if (spec.ValueType is null || (spec.KeySize != 0 && spec.KeyType is null))
        {
            return false;
        }

        switch (spec.Type)
        {
            case BpfMapType.Hash:
            case BpfMapType.PerCpuHash:
            case BpfMapType.LruHash:
            case BpfMapType.LruPerCpuHash:
                return true;
            case BpfMapType.Array:
            case BpfMapType.PerCpuArray:
                return Resolve(spec.KeyType) is BtfInt { Size: 4 };
            case BpfMapType.LpmTrie:
                return Resolve(spec.KeyType) is BtfStruct;
            default:
                return false;
        }
    }

    private static BtfType? Resolve(BtfType? type)
    {
        while (type is BtfTypedef typedef)
        {
            type = typedef.Type;
        }

        return type;
    }

    private protected override unsafe BpfErrno TryCreateMapCore(BpfMapCreateOptions options, out BpfMap? map)
    {
        MapCreateAttr attr = default;
        attr.MapType = (uint)options.Type;
        attr.KeySize = options.KeySize;
        attr.ValueSize = options.ValueSize;
        attr.MaxEntries = options.MaxEntries;
        attr.MapFlags = (uint)options.Flags;
        attr.InnerMapFd = (uint)options.InnerMapFd;
        attr.NumaNode = options.NumaNode;
        attr.BtfFd = (uint)options.BtfFd;
        attr.BtfKeyTypeId = options.BtfKeyTypeId;
        attr.BtfValueTypeId = options.BtfValueTypeId;
        if (!string.IsNullOrEmpty(options.Name))
        {
            // The raw path applies no rule: a name of 16 bytes or more fills map_name without its
            // NUL and other characters reach the kernel as they are, which refuses them (EINVAL).
            // What does not fit is cut off, not an exception: the kernel gives the answer.
            Span<byte> name = new(attr.MapName, MapCreateAttr.NameLength);
            Utf8.FromUtf16(options.Name, name, out _, out _);
        }

        BpfErrno errno = BpfSyscall.MapCreate(ref attr, out SafeBpfHandle? handle);
        if (errno != BpfErrno.None)
        {
            map = null;
            return errno;
        }

        return Wrap(handle!, owned: true, out map);
    }

    private protected override BpfErrno TryOpenPinnedCore(string path, out BpfMap? map)
    {
        BpfErrno errno = BpfSyscall.ObjGet(path, out SafeBpfHandle? handle);
        if (errno != BpfErrno.None)
        {
            map = null;
            return errno;
        }

        // BPF_OBJ_GET opens programs and links as readily as maps, and BPF_OBJ_GET_INFO_BY_FD
        // would then fill our bpf_map_info with another struct. The fd's anon inode says which it is.
        if (!IsMapFd(handle!.Fd))
        {
            handle.Dispose();
            map = null;
            return BpfErrno.EINVAL;
        }

        return Wrap(handle, owned: true, out map);
    }

    /// <summary>A duplicate of <paramref name="fd"/>, checked to be a map as <see cref="TryOpenPinnedCore"/> checks pinned objects.</summary>
    private protected override BpfErrno TryOpenByFdCore(int fd, out BpfMap? map)
    {
        map = null;
        BpfErrno errno = BpfSyscall.Duplicate(fd, out SafeBpfHandle? handle);
        if (errno != BpfErrno.None)
        {
            return errno;
        }

        if (!IsMapFd(handle!.Fd))
        {
            handle.Dispose();
            return BpfErrno.EINVAL;
        }

        // BPF_OBJ_GET_INFO_BY_FD answers EINVAL for any fd that is no BPF object (a file, a socket).
        return Wrap(handle, owned: true, out map);
    }

    private protected override BpfErrno TryOpenByIdCore(uint id, bool owned, out BpfMap? map)
    {
        BpfErrno errno = BpfSyscall.MapGetFdById(id, out SafeBpfHandle? handle);
        if (errno != BpfErrno.None)
        {
            map = null;
            return errno;
        }

        return Wrap(handle!, owned, out map);
    }

    private protected override void DisposeCore()
    {
        // Maps are kernel objects owned by their handles, which close themselves; nothing else is held.
    }

    /// <summary>Wraps a new fd with the map's info, read once: a map's properties never change.</summary>
    internal BpfErrno Wrap(SafeBpfHandle handle, bool owned, out BpfMap? map)
    {
        BpfErrno errno = BpfSyscall.MapInfo(handle.Fd, out MapInfoStruct info);
        if (errno != BpfErrno.None)
        {
            handle.Dispose();
            map = null;
            return errno;
        }

        map = new NativeMap(this, handle, ToInfo(in info), owned);
        return BpfErrno.None;
    }

    internal static unsafe BpfMapInfo ToInfo(in MapInfoStruct info)
    {
        string name;
        fixed (byte* n = info.Name)
        {
            var bytes = new ReadOnlySpan<byte>(n, 16);
            int end = bytes.IndexOf((byte)0);
            name = Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
        }

        return new BpfMapInfo
        {
            Type = (BpfMapType)info.Type,
            Id = info.Id,
            KeySize = info.KeySize,
            ValueSize = info.ValueSize,
            MaxEntries = info.MaxEntries,
            Flags = (BpfMapFlags)info.MapFlags,
            Name = name,
            BtfId = info.BtfId,
            BtfKeyTypeId = info.BtfKeyTypeId,
            BtfValueTypeId = info.BtfValueTypeId,
        };
    }

    /// <summary>
    /// Whether <paramref name="fd"/> is a map: its <c>/proc/self/fd</c> link reads
    /// <c>anon_inode:bpf-map</c> (programs read <c>bpf-prog</c>, links <c>bpf_link</c>). Without
    /// procfs the fd is taken for a map, as libbpf does.
    /// </summary>
    private static bool IsMapFd(int fd)
    {
        string? target;
        try
        {
            target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }

        return target is null || !target.StartsWith("anon_inode:", StringComparison.Ordinal)
            || string.Equals(target, "anon_inode:bpf-map", StringComparison.Ordinal);
    }
}
