namespace MapGen;

/// <summary>
/// Linux error numbers, as returned by <c>bpf(2)</c> and reproduced by the emulated runtime.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Linux names.")]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1069", Justification = "Linux aliases share numbers.")]
public enum BpfErrno
{
    /// <summary>Success.</summary>
    None = 0,
    /// <summary>Operation not permitted (a capability is missing).</summary>
    EPERM = 1,
    /// <summary>No such file, element or map.</summary>
    ENOENT = 2,
    /// <summary>No such process.</summary>
    ESRCH = 3,
    /// <summary>Interrupted system call.</summary>
    EINTR = 4,
    /// <summary>I/O error.</summary>
    EIO = 5,
    /// <summary>No such device or address.</summary>
    ENXIO = 6,
    /// <summary>Argument list too long: for maps, the map is full or the index is out of range.</summary>
    E2BIG = 7,
    /// <summary>Bad file descriptor.</summary>
    EBADF = 9,
    /// <summary>Try again.</summary>
    EAGAIN = 11,
    /// <summary>Out of memory.</summary>
    ENOMEM = 12,
    /// <summary>Permission denied.</summary>
    EACCES = 13,
    /// <summary>Bad address.</summary>
    EFAULT = 14,
    /// <summary>Device or resource busy.</summary>
    EBUSY = 16,
    /// <summary>The element or path exists.</summary>
    EEXIST = 17,
    /// <summary>Cross-device link.</summary>
    EXDEV = 18,
    /// <summary>No such device.</summary>
    ENODEV = 19,
    /// <summary>Not a directory.</summary>
    ENOTDIR = 20,
    /// <summary>Is a directory.</summary>
    EISDIR = 21,
    /// <summary>Invalid argument.</summary>
    EINVAL = 22,
    /// <summary>Too many open files in the system.</summary>
    ENFILE = 23,
    /// <summary>Too many open files in the process.</summary>
    EMFILE = 24,
    /// <summary>No space left on device.</summary>
    ENOSPC = 28,
    /// <summary>Read-only file system.</summary>
    EROFS = 30,
    /// <summary>Result out of range.</summary>
    ERANGE = 34,
    /// <summary>Resource deadlock would occur.</summary>
    EDEADLK = 35,
    /// <summary>File name too long.</summary>
    ENAMETOOLONG = 36,
    /// <summary>Function not implemented (the kernel has no <c>bpf(2)</c> or not this command).</summary>
    ENOSYS = 38,
    /// <summary>Too many symbolic links.</summary>
    ELOOP = 40,
    /// <summary>Operation not supported on transport endpoint.</summary>
    EOPNOTSUPP = 95,
    /// <summary>Operation not supported (kernel-internal <c>ENOTSUPP</c>, which <c>bpf(2)</c> leaks to user space).</summary>
    ENOTSUPP = 524,
}
