using System;
using System.IO;
using System.Text;
using System.Text.Unicode;

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
