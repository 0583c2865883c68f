using System;
using MapGen.Native;

namespace MapGen;

/// <summary>
/// A BTF object loaded into the kernel (<see cref="BpfRuntime.LoadBtf"/>): its fd goes into
/// <see cref="BpfMapCreateOptions.BtfFd"/>. The kernel keeps the object while a map created with
/// it lives, so this handle may be disposed right after creating maps.
/// </summary>
public sealed class BpfBtf : IDisposable
{
    private readonly SafeBpfHandle _handle;

    internal BpfBtf(SafeBpfHandle handle) => _handle = handle;

    /// <summary>The BTF object's file descriptor.</summary>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    public int Fd
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.Fd;
        }
    }

    /// <summary>Closes the fd.</summary>
    public void Dispose() => _handle.Dispose();
}
