using System.Runtime.InteropServices;

namespace MapGen.Native;

/// <summary>
/// The few C library functions the native runtime needs, through source-generated P/Invoke (no
/// runtime marshalling stubs, so it works under Native AOT and trimming).
/// </summary>
/// <remarks>
/// <c>syscall(2)</c> and <c>fcntl(2)</c> are variadic in C. They are declared here with fixed
/// integer parameters, which is sound on the platforms MapGen supports: on x86-64 the only
/// difference for variadic callees is <c>%al</c> (the number of vector registers used), which
/// glibc's assembly <c>syscall</c> ignores and <c>fcntl</c> only uses to decide whether to spill
/// vector registers; on Linux arm64 variadic integer arguments travel in the same registers as
/// fixed ones.
/// </remarks>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    /// <summary><c>F_DUPFD_CLOEXEC</c>: duplicate to the lowest free fd at or above the argument, close-on-exec.</summary>
    public const int F_DUPFD_CLOEXEC = 1030;

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    public static partial nint Syscall(nint number, nint arg1, nint arg2, nint arg3);

    /// <summary>
    /// <c>syscall(2)</c> without the marshaller's errno bookkeeping (clearing errno before the
    /// call, saving it after): the hot element operations read errno with
    /// <see cref="Marshal.GetLastSystemError"/> only when the call failed, right after it, as the
    /// marshaller's own stub does (the runtime preserves errno across the return to managed code).
    /// </summary>
    [LibraryImport(Library, EntryPoint = "syscall")]
    public static partial nint SyscallNoLastError(nint number, nint arg1, nint arg2, nint arg3);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(Library, EntryPoint = "unlink", SetLastError = true)]
    public static partial int Unlink(byte* path);

    /// <summary><c>BPF_FS_MAGIC</c>: the <c>f_type</c> <c>statfs(2)</c> reports for a bpf filesystem.</summary>
    public const long BpfFsMagic = 0xCAFE4A11;

    /// <summary>
    /// <c>statfs(2)</c> into a buffer larger than <c>struct statfs</c> (120 bytes on the 64-bit
    /// architectures MapGen knows), whose first field, <c>f_type</c>, is a <c>long</c>.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "statfs", SetLastError = true)]
    public static partial int Statfs(byte* path, byte* buffer);

    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;

    /// <summary><c>MAP_FAILED</c>: what <c>mmap(2)</c> returns on failure.</summary>
    public static readonly void* MapFailed = (void*)-1;

    [LibraryImport(Library, EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Library, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);
}
