using System;
using System.ComponentModel;

namespace MapGen.CompilerServices;

/// <summary>
/// Converts a key or value type to and from the kernel's bytes. The generator emits one per
/// declared key and value type, from the C layout it computes at compile time.
/// </summary>
/// <typeparam name="T">The key or value type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IBpfCodec<T>
{
    /// <summary>The C size of <typeparamref name="T"/> in bytes.</summary>
    static abstract int Size { get; }

    /// <summary>Writes <paramref name="value"/> field by field, with zeroed padding, into exactly <see cref="Size"/> bytes.</summary>
    static abstract void Write(Span<byte> destination, in T value);

    /// <summary>Reads a value from exactly <see cref="Size"/> bytes.</summary>
    static abstract T Read(ReadOnlySpan<byte> source);
}
