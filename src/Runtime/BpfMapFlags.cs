// Compiled into the runtime (public) and linked into the generator and analyzers (internal).
using System;

namespace MapGen;

/// <summary>
/// The kernel's <c>BPF_F_*</c> map creation flags (<c>map_flags</c>), with the kernel's values.
/// Which flags a map type accepts is the kernel's per-type create mask; the analyzers check it.
/// </summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "The kernel's name (BPF_F_*, update flags); fixed by the spec.")]
#if MAPGEN_ROSLYN
internal
#else
public
#endif
enum BpfMapFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary><c>BPF_F_NO_PREALLOC</c>: allocate hash elements on demand.</summary>
    NoPrealloc = 1U << 0,
    /// <summary><c>BPF_F_NO_COMMON_LRU</c>: one LRU list per CPU instead of a shared one.</summary>
    NoCommonLru = 1U << 1,
    /// <summary><c>BPF_F_NUMA_NODE</c>: <c>numa_node</c> is valid.</summary>
    NumaNode = 1U << 2,
    /// <summary><c>BPF_F_RDONLY</c>: the fd is read-only for user space (fd-only, not a map property).</summary>
    RdOnly = 1U << 3,
    /// <summary><c>BPF_F_WRONLY</c>: the fd is write-only for user space (fd-only, not a map property).</summary>
    WrOnly = 1U << 4,
    /// <summary><c>BPF_F_STACK_BUILD_ID</c>: stack traces store build ids.</summary>
    StackBuildId = 1U << 5,
    /// <summary><c>BPF_F_ZERO_SEED</c>: zero the hash seed (tests only).</summary>
    ZeroSeed = 1U << 6,
    /// <summary><c>BPF_F_RDONLY_PROG</c>: read-only for BPF programs.</summary>
    RdOnlyProg = 1U << 7,
    /// <summary><c>BPF_F_WRONLY_PROG</c>: write-only for BPF programs.</summary>
    WrOnlyProg = 1U << 8,
    /// <summary><c>BPF_F_CLONE</c>: clone socket storage on socket clone.</summary>
    Clone = 1U << 9,
    /// <summary><c>BPF_F_MMAPABLE</c>: the array can be memory-mapped.</summary>
    Mmapable = 1U << 10,
    /// <summary><c>BPF_F_PRESERVE_ELEMS</c>: keep perf event array elements after the fd closes.</summary>
    PreserveElems = 1U << 11,
    /// <summary><c>BPF_F_INNER_MAP</c>: an array inner template whose slots may hold arrays of other sizes.</summary>
    InnerMap = 1U << 12,
    /// <summary><c>BPF_F_LINK</c>: struct_ops map usable as a link.</summary>
    Link = 1U << 13,
    /// <summary><c>BPF_F_PATH_FD</c>: <c>BPF_OBJ_PIN</c>/<c>GET</c> path relative to a directory fd.</summary>
    PathFd = 1U << 14,
    /// <summary><c>BPF_F_VTYPE_BTF_OBJ_FD</c>: the value type id is in a module BTF.</summary>
    VTypeBtfObjFd = 1U << 15,
    /// <summary><c>BPF_F_TOKEN_FD</c>: a BPF token fd is given.</summary>
    TokenFd = 1U << 16,
    /// <summary><c>BPF_F_SEGV_ON_FAULT</c>: arena faults raise SIGSEGV in user space.</summary>
    SegvOnFault = 1U << 17,
    /// <summary><c>BPF_F_NO_USER_CONV</c>: arena pointers are not converted.</summary>
    NoUserConv = 1U << 18,
}
