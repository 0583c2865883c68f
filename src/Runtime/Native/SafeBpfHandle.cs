using Microsoft.Win32.SafeHandles;

namespace MapGen.Native;

/// <summary>
/// A file descriptor of a BPF object, closed with <c>close(2)</c> when released. The reference
/// count of <see cref="System.Runtime.InteropServices.SafeHandle"/> (taken around every system
/// call) keeps a concurrent <c>Dispose</c> from closing, and the kernel from reusing, an fd that
/// a call on another thread is still using.
/// </summary>
internal sealed class SafeBpfHandle : SafeHandleMinusOneIsInvalid
{
    /// <summary>Creates an invalid handle (used by the marshaller and for failures).</summary>
    public SafeBpfHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of <paramref name="fd"/>.</summary>
    public SafeBpfHandle(int fd)
        : base(ownsHandle: true)
    {
        SetHandle(fd);
    }

    /// <summary>The fd number. Only meaningful while a reference is held (or the handle is known open).</summary>
    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;
}
