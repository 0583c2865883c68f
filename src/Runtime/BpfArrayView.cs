using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace MapGen;

/// <summary>
/// The values of a <see cref="BpfMapType.Array"/> map created with <see cref="BpfMapFlags.Mmapable"/>,
/// mapped into the process: reading or writing an element is a memory access, not a system call,
/// and BPF programs see the writes at once (native runtime: the kernel's own pages; emulated: the
/// emulated array's storage). The kernel keeps values <see cref="Stride"/> bytes apart, their size
/// rounded up to 8; where the value size is a multiple of 8 the generated <c>CreateView()</c>
/// returns a <see cref="BpfContiguousArrayView{T}"/>, whose values are also one <see cref="Span{T}"/>.
/// </summary>
/// <remarks>
/// <para>
/// A view holds a lease on the mapping: disposing the map's handle while a view is alive leaves
/// the memory mapped until the view is disposed too. Dispose views when done; element access on a
/// disposed view throws <see cref="ObjectDisposedException"/>. A span or reference taken from a
/// view is valid only while the view is: it does not keep the view alive. Element access checks
/// the view once, without a lock (that is what makes it a memory access): dispose a view only
/// when no other thread is using it, as with any memory one frees.
/// </para>
/// <para>
/// Accesses are plain memory accesses, not atomic with respect to BPF programs or other threads,
/// exactly as on the kernel's mapping: use <see cref="Interlocked"/> or <see cref="Volatile"/> on
/// the element references where that matters.
/// </para>
/// </remarks>
/// <typeparam name="T">The value type, laid out as the kernel stores it.</typeparam>
public unsafe class BpfArrayView<T> : IDisposable
    where T : unmanaged
{
    private readonly byte* _address;
    private MappedValues? _lease;

    private protected BpfArrayView(MappedValues lease, int length, string mapName)
    {
        _lease = lease;
        _address = lease.Address;
        Length = length;
        MapName = mapName;
        Stride = (int)BpfMapRules.RoundUp8((uint)sizeof(T));
    }

    /// <summary>The number of values: the map's <c>max_entries</c>.</summary>
    public int Length { get; }

    /// <summary>The bytes from one value to the next: the value size rounded up to 8.</summary>
    public int Stride { get; }

    /// <summary>The name of the map the values belong to.</summary>
    public string MapName { get; }

    /// <summary>Whether the view has been disposed.</summary>
    public bool IsDisposed => Volatile.Read(ref _lease) is null;

    /// <summary>The value at <paramref name="index"/>, in place.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not below <see cref="Length"/>.</exception>
    /// <exception cref="ObjectDisposedException">The view is disposed.</exception>
    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_lease is null)
            {
                ThrowDisposed();
            }

            if ((uint)index >= (uint)Length)
            {
                ThrowIndex(index);
            }

            return ref Unsafe.AsRef<T>(_address + ((nint)index * Stride));
        }
    }

    /// <summary>Copies the values into <paramref name="destination"/>, which must hold <see cref="Length"/> of them.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Length"/>.</exception>
    public void CopyTo(Span<T> destination)
    {
        ThrowIfDisposed();
        if (destination.Length < Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values; the view of map '{MapName}' has {Length}.", nameof(destination));
        }

        for (int i = 0; i < Length; i++)
        {
            destination[i] = Unsafe.AsRef<T>(_address + ((nint)i * Stride));
        }
    }

    /// <summary>Ends this view's lease on the mapping; the memory is unmapped when no view and no handle hold it. Idempotent.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _lease, null)?.Release();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Length} values of map '{MapName}', {Stride} bytes apart{(IsDisposed ? " (disposed)" : "")}";

    /// <summary>The first value, for <see cref="BpfContiguousArrayView{T}.Span"/>.</summary>
    private protected byte* Address => _address;

    private protected void ThrowIfDisposed()
    {
        if (_lease is null)
        {
            ThrowDisposed();
        }
    }

    internal static BpfArrayView<T> Create(MappedValues lease, int length, string mapName) =>
        sizeof(T) % 8 == 0 ? new BpfContiguousArrayView<T>(lease, length, mapName) : new BpfArrayView<T>(lease, length, mapName);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowDisposed() =>
        throw new ObjectDisposedException(nameof(BpfArrayView<T>), $"The view of map '{MapName}' is disposed.");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowIndex(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"Map '{MapName}' has {Length} values (indexes 0 to {Length - 1}).");
}

/// <summary>
/// A <see cref="BpfArrayView{T}"/> whose value size is a multiple of 8, so that the kernel's values
/// lie end to end: they are also one <see cref="Span{T}"/>.
/// </summary>
/// <typeparam name="T">The value type, laid out as the kernel stores it.</typeparam>
public sealed unsafe class BpfContiguousArrayView<T> : BpfArrayView<T>
    where T : unmanaged
{
    internal BpfContiguousArrayView(MappedValues lease, int length, string mapName)
        : base(lease, length, mapName)
    {
    }

    /// <summary>
    /// Every value, in place. Valid while the view is: a span does not keep the view alive, so keep
    /// the view (undisposed) for as long as the span is used.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The view is disposed.</exception>
    public Span<T> Span
    {
        get
        {
            ThrowIfDisposed();
            return new Span<T>(Address, Length);
        }
    }
}
