using System;
using System.Threading;

namespace MapGen;

/// <summary>
/// The values of a <see cref="BpfMapFlags.Mmapable"/> array mapped into the process: native, an
/// <c>mmap</c> of the map's fd; emulated, the emulated array's own storage. The first value is at
/// the start, each at <c>round_up(value_size, 8)</c> bytes from the one before, as the kernel lays
/// them out.
/// </summary>
/// <remarks>
/// Reference counted, one reference per <see cref="BpfArrayView{T}"/> (the first is the creator's),
/// so the memory stays mapped until the last view lets go, whatever happens to the map's handle
/// meanwhile; then it is unmapped at once. There is deliberately no finalizer: a span taken from a
/// view does not keep the view reachable, so unmapping when the view is collected could pull memory
/// from under code still using the span. An undisposed view keeps its mapping until the process ends.
/// </remarks>
internal abstract unsafe class MappedValues
{
    private int _references = 1;

    protected MappedValues(byte* address, long length)
    {
        Address = address;
        Length = length;
    }

    /// <summary>A stand-in for a closed handle's mapping: it refuses new references.</summary>
    public static MappedValues Closed { get; } = new ClosedValues();

    /// <summary>The first value.</summary>
    public byte* Address { get; }

    /// <summary>The bytes mapped.</summary>
    public long Length { get; }

    /// <summary><paramref name="length"/> bytes of the mapping from <paramref name="offset"/>, valid while a reference is held.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the mapping.</exception>
    public Span<byte> Slice(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes {offset} to {offset + length} are outside the {Length} bytes mapped.");
        }

        return new Span<byte>(Address + offset, length);
    }

    /// <summary>Takes a reference; false once the last one is gone (the memory is unmapped or about to be).</summary>
    public bool TryAddReference()
    {
        int references = Volatile.Read(ref _references);
        while (references > 0)
        {
            int seen = Interlocked.CompareExchange(ref _references, references + 1, references);
            if (seen == references)
            {
                return true;
            }

            references = seen;
        }

        return false;
    }

    /// <summary>Drops a reference; the last one unmaps the memory.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Unmap();
        }
    }

    /// <summary>Gives the memory back; called once, after the last reference is gone.</summary>
    protected abstract void Unmap();

    private sealed class ClosedValues : MappedValues
    {
        public ClosedValues()
            : base(null, 0)
        {
            _references = 0;
        }

        protected override void Unmap()
        {
        }
    }
}
