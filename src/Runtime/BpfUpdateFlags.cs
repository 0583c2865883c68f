using System;

namespace MapGen;

/// <summary>
/// The kernel's element update flags (<c>BPF_ANY</c>, <c>BPF_NOEXIST</c>, <c>BPF_EXIST</c>,
/// <c>BPF_F_LOCK</c>), with the kernel's values.
/// </summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "The kernel's name (BPF_F_*, update flags); fixed by the spec.")]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1008", Justification = "The kernel names 0 BPF_ANY.")]
public enum BpfUpdateFlags : ulong
{
    /// <summary><c>BPF_ANY</c>: create a new element or update an existing one.</summary>
    Any = 0,
    /// <summary><c>BPF_NOEXIST</c>: create a new element only; <see cref="BpfErrno.EEXIST"/> if it exists.</summary>
    NoExist = 1,
    /// <summary><c>BPF_EXIST</c>: update an existing element only; <see cref="BpfErrno.ENOENT"/> if it is absent.</summary>
    Exist = 2,
    /// <summary><c>BPF_F_LOCK</c>: take the value's <c>bpf_spin_lock</c> (only for values that have one).</summary>
    Lock = 4,
}
