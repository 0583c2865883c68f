using System;
using MapGen.Emulation;

namespace MapGen;

/// <summary>
/// A kernel to run maps in: the emulated in-process kernel (<see cref="CreateEmulated"/>, the
/// default: no privileges, any OS) or, on Linux, the real one through <c>bpf(2)</c>.
/// </summary>
public abstract class BpfRuntime : IDisposable
{
    private int _disposed;

    private protected BpfRuntime()
    {
    }

    /// <summary>Creates an emulated runtime: an in-process model of the kernel's maps.</summary>
    /// <param name="options">Possible CPUs and network interfaces; defaults to the machine's CPUs and <c>lo</c> (ifindex 1).</param>
    public static BpfRuntime CreateEmulated(EmulatedRuntimeOptions? options = null) =>
        new EmulatedRuntime(options ?? new EmulatedRuntimeOptions());

    /// <summary>
    /// Creates a runtime over the kernel's maps through the Linux <c>bpf(2)</c> system call.
    /// </summary>
    /// <remarks>
    /// Needs Linux 5.10 or later and <c>CAP_BPF</c>; <c>CAP_SYS_ADMIN</c> for
    /// <see cref="OpenById"/> and typed lookups in outer maps (both open maps by ID), and
    /// <c>CAP_NET_ADMIN</c> for <see cref="BpfMapType.DevMap"/>. Root has them all. Kernel
    /// features newer than 5.10 (batch operations, mmapable arrays, <c>ENUM64</c>) are probed
    /// once, not assumed: where batches are missing, MapGen falls back to one call per element.
    /// </remarks>
    /// <exception cref="PlatformNotSupportedException">Not Linux, or an architecture whose <c>bpf(2)</c> number MapGen does not know.</exception>
    /// <exception cref="BpfException">
    /// The kernel has no <c>bpf(2)</c> (<see cref="BpfErrno.ENOSYS"/>), refuses it to this process
    /// (<see cref="BpfErrno.EPERM"/>: the message names the missing capabilities and how to grant
    /// them), or is older than 5.10.
    /// </exception>
    public static BpfRuntime CreateNative() => Native.NativeRuntime.Create();

    /// <summary>
    /// Whether <see cref="CreateNative"/> succeeds in this process: Linux 5.10 or later, and the
    /// kernel lets it create a map. Probed once (creating and closing a one-element array) and
    /// remembered.
    /// </summary>
    public static bool IsNativeSupported => Native.NativeSupport.IsSupported;

    /// <summary>The number of possible CPUs: per-CPU maps hold one value for each.</summary>
    public abstract int PossibleCpus { get; }

    /// <summary>Whether this is the emulated runtime.</summary>
    public abstract bool IsEmulated { get; }

    /// <summary>Whether this runtime has been disposed.</summary>
    public bool IsDisposed => System.Threading.Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Creates a map of <paramref name="spec"/>. For an outer map, a temporary inner template is
    /// created from <see cref="BpfMapSpec.InnerMap"/>, passed to the kernel and closed again.
    /// </summary>
    /// <exception cref="BpfException">The kernel refused the map.</exception>
    public BpfMap CreateMap(BpfMapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ThrowIfDisposed();
        BpfMapCreateOptions options = BpfMapCreateOptions.From(spec);
        if (spec.InnerMap is null)
        {
            return CreateOrThrow(options, spec);
        }

        using BpfMap template = CreateMap(spec.InnerMap);
        return CreateOrThrow(options with { InnerMapFd = template.Fd }, spec);
    }

    /// <summary>
    /// Loads raw BTF (<c>BPF_BTF_LOAD</c>), such as <see cref="BpfMapSpec.ToBtf()"/> returns, for
    /// <see cref="BpfMapCreateOptions.BtfFd"/>.
    /// </summary>
    /// <returns>An owned handle to the kernel's BTF object.</returns>
    /// <exception cref="BpfException">The kernel refused the BTF; the message holds the kernel's verifier log.</exception>
    /// <exception cref="NotSupportedException">The emulated runtime, which has no BTF objects: its maps are created without BTF.</exception>
    public BpfBtf LoadBtf(ReadOnlySpan<byte> btf)
    {
        ThrowIfDisposed();
        return LoadBtfCore(btf);
    }

    private protected abstract BpfBtf LoadBtfCore(ReadOnlySpan<byte> btf);

    /// <summary>
    /// Creates a map from raw <c>BPF_MAP_CREATE</c> attributes. No MapGen rule is applied; the
    /// kernel's answer is returned as it is.
    /// </summary>
    /// <returns><see cref="BpfErrno.None"/> and the new owned handle, or the kernel's error.</returns>
    public BpfErrno TryCreateMap(BpfMapCreateOptions options, out BpfMap? map)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfDisposed();
        return TryCreateMapCore(options, out map);
    }

    /// <summary>Opens the map pinned at <paramref name="path"/>.</summary>
    /// <exception cref="BpfException">Nothing is pinned there, or it is not a map.</exception>
    public BpfMap OpenPinned(string path)
    {
        BpfErrno errno = TryOpenPinned(path, out BpfMap? map);
        return errno == BpfErrno.None ? map! : throw new BpfException(errno, $"open pinned '{path}'", null);
    }

    /// <summary>Opens the map pinned at <paramref name="path"/>.</summary>
    /// <returns><see cref="BpfErrno.None"/> and an owned handle, or the error (<see cref="BpfErrno.ENOENT"/> when nothing is pinned there).</returns>
    public BpfErrno TryOpenPinned(string path, out BpfMap? map)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ThrowIfDisposed();
        return TryOpenPinnedCore(path, out map);
    }

    /// <summary>Opens the map with ID <paramref name="id"/> (native: needs <c>CAP_SYS_ADMIN</c>).</summary>
    /// <exception cref="BpfException">No map has that ID.</exception>
    public BpfMap OpenById(uint id)
    {
        BpfErrno errno = TryOpenById(id, out BpfMap? map);
        return errno == BpfErrno.None ? map! : throw new BpfException(errno, $"open map ID {id}", null);
    }

    /// <summary>Opens the map with ID <paramref name="id"/>.</summary>
    /// <returns><see cref="BpfErrno.None"/> and an owned handle, or the error (<see cref="BpfErrno.ENOENT"/> when no map has that ID).</returns>
    public BpfErrno TryOpenById(uint id, out BpfMap? map)
    {
        ThrowIfDisposed();
        return TryOpenByIdCore(id, owned: true, out map);
    }

    /// <summary>
    /// Opens a handle of your own to the map behind <paramref name="fd"/>: an fd this process got
    /// from elsewhere, such as a loader that created the map, systemd, or another process over a
    /// Unix socket. The handle is a duplicate (<c>F_DUPFD_CLOEXEC</c>): <paramref name="fd"/> stays
    /// the caller's to close.
    /// </summary>
    /// <exception cref="BpfException"><paramref name="fd"/> is not open (<see cref="BpfErrno.EBADF"/>) or is not a map (<see cref="BpfErrno.EINVAL"/>).</exception>
    public BpfMap OpenByFd(int fd)
    {
        BpfErrno errno = TryOpenByFd(fd, out BpfMap? map);
        return errno == BpfErrno.None ? map! : throw new BpfException(errno, $"open fd {fd}", null, errno switch
        {
            BpfErrno.EBADF => $"No file descriptor {fd} is open in this process.",
            BpfErrno.EINVAL => $"File descriptor {fd} is open but is not a BPF map (a program, link, BTF object or other file).",
            _ => null,
        });
    }

    /// <summary>Opens a handle of your own to the map behind <paramref name="fd"/>, which stays the caller's (see <see cref="OpenByFd"/>).</summary>
    /// <returns><see cref="BpfErrno.None"/> and an owned handle, <see cref="BpfErrno.EBADF"/> when no such fd is open, <see cref="BpfErrno.EINVAL"/> when it is not a map.</returns>
    public BpfErrno TryOpenByFd(int fd, out BpfMap? map)
    {
        ThrowIfDisposed();
        if (fd < 0)
        {
            map = null;
            return BpfErrno.EBADF;
        }

        return TryOpenByFdCore(fd, out map);
    }

    /// <summary>Opens a borrowed handle (one that only its owner closes) to the map with ID <paramref name="id"/>.</summary>
    internal BpfErrno TryOpenBorrowedById(uint id, out BpfMap? map)
    {
        ThrowIfDisposed();
        return TryOpenByIdCore(id, owned: false, out map);
    }

    /// <summary>Disposes the runtime. The emulated runtime's maps are gone with it.</summary>
    public void Dispose()
    {
        if (System.Threading.Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            DisposeCore();
        }

        GC.SuppressFinalize(this);
    }

    internal abstract BpfErrno UnlinkPin(string path);

    /// <summary>What to do about a pin at <paramref name="path"/> that failed with <paramref name="errno"/>; null when there is nothing to add.</summary>
    internal virtual string? PinHint(BpfErrno errno, string path) => errno switch
    {
        BpfErrno.EPERM => $"'{path}' is not in a bpf filesystem: pins live in bpffs (mount -t bpf bpf /sys/fs/bpf, and pin below it).",
        BpfErrno.ENOENT => $"The directory '{System.IO.Path.GetDirectoryName(path)}' does not exist: create it first (mkdir works in bpffs).",
        BpfErrno.EEXIST => $"Something is pinned at '{path}' already: unpin it first, or open it with OpenPinned.",
        _ => null,
    };

    private protected abstract BpfErrno TryCreateMapCore(BpfMapCreateOptions options, out BpfMap? map);

    private protected abstract BpfErrno TryOpenPinnedCore(string path, out BpfMap? map);

    private protected abstract BpfErrno TryOpenByIdCore(uint id, bool owned, out BpfMap? map);

    private protected abstract BpfErrno TryOpenByFdCore(int fd, out BpfMap? map);

    private protected abstract void DisposeCore();

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>Creates the map of <paramref name="spec"/> from <paramref name="options"/>; the native runtime adds the key/value BTF.</summary>
    private protected virtual BpfErrno TryCreateMapCore(BpfMapCreateOptions options, BpfMapSpec spec, out BpfMap? map) =>
        TryCreateMapCore(options, out map);

    private BpfMap CreateOrThrow(BpfMapCreateOptions options, BpfMapSpec spec)
    {
        BpfErrno errno = TryCreateMapCore(options, spec, out BpfMap? map);
        return errno == BpfErrno.None ? map! : throw new BpfException(errno, "create", spec.Name, CreateHint(errno, spec));
    }

    private static string? CreateHint(BpfErrno errno, BpfMapSpec spec) => errno switch
    {
        BpfErrno.EINVAL => $"The kernel refused the definition ({spec}); MapGen's analyzers report most such mistakes at compile time.",
        BpfErrno.ENOTSUPP when spec.InnerMap is not null => $"The kernel cannot use a {spec.InnerMap.Type} map as an inner map.",
        BpfErrno.EPERM => "Creating maps needs CAP_BPF (DevMap also CAP_NET_ADMIN).",
        _ => null,
    };
}
