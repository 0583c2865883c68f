using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace MapGen.Native;

/// <summary>
/// <c>bpf(2)</c>, one method per command. Attributes live on the stack and keys and values are
/// pinned where they are, so element operations allocate nothing. Every method returns the
/// kernel's errno (<see cref="BpfErrno.None"/> on success) and never throws for a kernel failure.
/// </summary>
internal static unsafe class BpfSyscall
{
    /// <summary>
    /// <c>__NR_bpf</c> of the process architecture, or -1 where MapGen does not know it. The
    /// number differs per architecture (the generic table of arm64 and riscv64 says 280).
    /// </summary>
    public static readonly nint SyscallNumber = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        Architecture.RiscV64 => 280,
        Architecture.LoongArch64 => 280,
        Architecture.X86 => 357,
        Architecture.Arm => 386,
        _ => -1,
    };

    /// <summary>Whether <see cref="SyscallNumber"/> is known for this architecture.</summary>
    public static bool IsArchitectureSupported => SyscallNumber >= 0;

    /// <summary>
    /// Test hook: told the command of every <c>bpf(2)</c> call, on the calling thread, just
    /// before the call; null in normal use, where it costs one static read and null check.
    /// </summary>
    internal static Action<BpfCommand>? CallObserver { get; set; }

    /// <summary>
    /// Issues <paramref name="command"/> with the <paramref name="size"/> bytes of attributes at
    /// <paramref name="attr"/>; <paramref name="result"/> is the kernel's non-negative result (an
    /// fd for commands that open one).
    /// </summary>
    public static BpfErrno Invoke(BpfCommand command, void* attr, int size, out int result)
    {
        CallObserver?.Invoke(command);
        nint r = LibC.Syscall(SyscallNumber, (nint)command, (nint)attr, size);
        if (r < 0)
        {
            result = -1;
            int errno = Marshal.GetLastPInvokeError();
            // A failing syscall always sets errno; 0 here would mean the libc wrapper misbehaved,
            // and reporting success for it would be worse than a generic I/O error.
            return errno == 0 ? BpfErrno.EIO : (BpfErrno)errno;
        }

        result = (int)r;
        return BpfErrno.None;
    }

    /// <summary>
    /// An element operation (<c>BPF_MAP_*_ELEM</c>) as lean as libbpf's: the attributes on the
    /// stack, one call, errno read only on failure.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BpfErrno InvokeElement(BpfCommand command, ref MapElemAttr attr)
    {
        CallObserver?.Invoke(command);
        nint r = LibC.SyscallNoLastError(SyscallNumber, (nint)command, (nint)Unsafe.AsPointer(ref attr), sizeof(MapElemAttr));
        if (r < 0)
        {
            int errno = Marshal.GetLastSystemError();
            return errno == 0 ? BpfErrno.EIO : (BpfErrno)errno;
        }

        return BpfErrno.None;
    }

    public static BpfErrno MapCreate(ref MapCreateAttr attr, out SafeBpfHandle? handle)
    {
        fixed (MapCreateAttr* a = &attr)
        {
            return Open(BpfCommand.MapCreate, a, sizeof(MapCreateAttr), out handle);
        }
    }

    public static BpfErrno Lookup(int fd, byte* key, byte* value)
    {
        MapElemAttr attr = default;
        attr.MapFd = (uint)fd;
        attr.Key = (ulong)key;
        attr.Value = (ulong)value;
        return Invoke(BpfCommand.MapLookupElem, &attr, sizeof(MapElemAttr), out _);
    }

    public static BpfErrno Update(int fd, byte* key, byte* value, ulong flags)
    {
        MapElemAttr attr = default;
        attr.MapFd = (uint)fd;
        attr.Key = (ulong)key;
        attr.Value = (ulong)value;
        attr.Flags = flags;
        return Invoke(BpfCommand.MapUpdateElem, &attr, sizeof(MapElemAttr), out _);
    }

    public static BpfErrno Delete(int fd, byte* key)
    {
        MapElemAttr attr = default;
        attr.MapFd = (uint)fd;
        attr.Key = (ulong)key;
        return Invoke(BpfCommand.MapDeleteElem, &attr, sizeof(MapElemAttr), out _);
    }

    /// <summary><c>BPF_MAP_GET_NEXT_KEY</c>: the key after <paramref name="key"/>, or the first key when it is null.</summary>
    public static BpfErrno GetNextKey(int fd, byte* key, byte* nextKey)
    {
        MapElemAttr attr = default;
        attr.MapFd = (uint)fd;
        attr.Key = (ulong)key;
        attr.Value = (ulong)nextKey;
        return Invoke(BpfCommand.MapGetNextKey, &attr, sizeof(MapElemAttr), out _);
    }

    /// <summary>One of the four <c>BPF_MAP_*_BATCH</c> commands; <c>attr.Count</c> is updated by the kernel.</summary>
    public static BpfErrno Batch(BpfCommand command, ref MapBatchAttr attr)
    {
        fixed (MapBatchAttr* a = &attr)
        {
            return Invoke(command, a, sizeof(MapBatchAttr), out _);
        }
    }

    /// <summary><c>BPF_OBJ_PIN</c>: pins <paramref name="fd"/> at <paramref name="path"/>.</summary>
    public static BpfErrno Pin(int fd, string path)
    {
        if (!TryEncodePath(path, out byte[]? bytes))
        {
            return BpfErrno.EINVAL;
        }

        fixed (byte* p = bytes)
        {
            ObjAttr attr = default;
            attr.PathName = (ulong)p;
            attr.BpfFd = (uint)fd;
            return Invoke(BpfCommand.ObjPin, &attr, sizeof(ObjAttr), out _);
        }
    }

    /// <summary><c>BPF_OBJ_GET</c>: opens the object pinned at <paramref name="path"/>, whatever its kind.</summary>
    public static BpfErrno ObjGet(string path, out SafeBpfHandle? handle)
    {
        if (!TryEncodePath(path, out byte[]? bytes))
        {
            handle = null;
            return BpfErrno.EINVAL;
        }

        fixed (byte* p = bytes)
        {
            ObjAttr attr = default;
            attr.PathName = (ulong)p;
            return Open(BpfCommand.ObjGet, &attr, sizeof(ObjAttr), out handle);
        }
    }

    /// <summary><c>unlink(2)</c> of a pin.</summary>
    public static BpfErrno Unlink(string path)
    {
        if (!TryEncodePath(path, out byte[]? bytes))
        {
            return BpfErrno.EINVAL;
        }

        fixed (byte* p = bytes)
        {
            return LibC.Unlink(p) == 0 ? BpfErrno.None : LastErrno();
        }
    }

    public static BpfErrno MapGetFdById(uint id, out SafeBpfHandle? handle)
    {
        GetIdAttr attr = default;
        attr.Id = id;
        return Open(BpfCommand.MapGetFdById, &attr, sizeof(GetIdAttr), out handle);
    }

    public static BpfErrno MapInfo(int fd, out MapInfoStruct info)
    {
        info = default;
        fixed (MapInfoStruct* i = &info)
        {
            InfoAttr attr = default;
            attr.BpfFd = (uint)fd;
            attr.InfoLen = (uint)sizeof(MapInfoStruct);
            attr.Info = (ulong)i;
            return Invoke(BpfCommand.ObjGetInfoByFd, &attr, sizeof(InfoAttr), out _);
        }
    }

    public static BpfErrno BtfLoad(ReadOnlySpan<byte> btf, out SafeBpfHandle? handle) => BtfLoad(btf, default, out handle);

    /// <summary><c>BPF_BTF_LOAD</c>, with the kernel's verifier log written to <paramref name="log"/> (level 1) when it is not empty.</summary>
    public static BpfErrno BtfLoad(ReadOnlySpan<byte> btf, Span<byte> log, out SafeBpfHandle? handle)
    {
        fixed (byte* b = btf)
        fixed (byte* l = log)
        {
            BtfLoadAttr attr = default;
            attr.Btf = (ulong)b;
            attr.BtfSize = (uint)btf.Length;
            if (!log.IsEmpty)
            {
                attr.BtfLogBuf = (ulong)l;
                attr.BtfLogSize = (uint)log.Length;
                attr.BtfLogLevel = 1;
            }

            return Open(BpfCommand.BtfLoad, &attr, sizeof(BtfLoadAttr), out handle);
        }
    }

    /// <summary>
    /// <c>fcntl(F_DUPFD_CLOEXEC)</c>: a new close-on-exec fd for the same open file (so the same
    /// map with the same access mode), without the <c>CAP_SYS_ADMIN</c> that opening by ID needs.
    /// </summary>
    public static BpfErrno Duplicate(int fd, out SafeBpfHandle? handle)
    {
        int duplicate = LibC.Fcntl(fd, LibC.F_DUPFD_CLOEXEC, FirstNonStandardFd);
        if (duplicate < 0)
        {
            handle = null;
            return LastErrno();
        }

        handle = new SafeBpfHandle(duplicate);
        return BpfErrno.None;
    }

    /// <summary>The lowest fd MapGen hands out: 0-2 are stdin, stdout and stderr.</summary>
    private const int FirstNonStandardFd = 3;

    /// <summary>
    /// Issues a command that returns a new fd and takes ownership of it. The kernel makes bpf fds
    /// close-on-exec itself. An fd below 3 (possible when the process closed stdin) is moved up:
    /// fd 0 would read as "no fd" in attributes such as <c>inner_map_fd</c>, and code writing to
    /// stdout must not reach a map.
    /// </summary>
    private static BpfErrno Open(BpfCommand command, void* attr, int size, out SafeBpfHandle? handle)
    {
        BpfErrno errno = Invoke(command, attr, size, out int fd);
        if (errno != BpfErrno.None)
        {
            handle = null;
            return errno;
        }

        if (fd < FirstNonStandardFd)
        {
            int moved = LibC.Fcntl(fd, LibC.F_DUPFD_CLOEXEC, FirstNonStandardFd);
            errno = moved < 0 ? LastErrno() : BpfErrno.None;
            LibC.Close(fd);
            if (moved < 0)
            {
                handle = null;
                return errno;
            }

            fd = moved;
        }

        handle = new SafeBpfHandle(fd);
        return BpfErrno.None;
    }

    private static BpfErrno LastErrno()
    {
        int errno = Marshal.GetLastPInvokeError();
        return errno == 0 ? BpfErrno.EIO : (BpfErrno)errno;
    }

    /// <summary>UTF-8 with a terminating NUL; false for a path with an embedded NUL, which C would cut short.</summary>
    private static bool TryEncodePath(string path, out byte[]? bytes)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            bytes = null;
            return false;
        }

        bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return true;
    }
}
