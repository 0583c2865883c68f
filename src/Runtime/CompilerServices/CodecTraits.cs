using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MapGen.CompilerServices;

/// <summary>What the typed fast paths may assume about a codec, found out once per type.</summary>
internal static class CodecTraits<T, TCodec>
    where TCodec : IBpfCodec<T>
{
    /// <summary>
    /// Whether <typeparamref name="TCodec"/> writes a value as its own bytes: the codec's size is
    /// the type's, and writing gives back exactly the bytes of the value (no padding cleared, no
    /// byte reordered). Generated codecs do for key types without padding. The typed lookup then
    /// hashes and compares the caller's key where it lies instead of encoding a copy first.
    /// </summary>
    /// <remarks>
    /// A static readonly field: the JIT compiles its value in as a constant, so the test costs
    /// nothing. Found out by writing values made of distinct byte patterns: a codec that clears
    /// a byte, moves one or reorders them fails on one of them.
    /// </remarks>
    public static readonly bool WritesOwnBytes = Probe(write: true);

    /// <summary>
    /// Whether <typeparamref name="TCodec"/> reads a value from its own bytes (the inverse of
    /// <see cref="WritesOwnBytes"/>): a typed native lookup then lets the kernel write the value
    /// straight into the result.
    /// </summary>
    public static readonly bool ReadsOwnBytes = Probe(write: false);

    private static bool Probe(bool write)
    {
        int size = Unsafe.SizeOf<T>();
        if (TCodec.Size != size || RuntimeHelpers.IsReferenceOrContainsReferences<T>() || size > 1024)
        {
            return false;
        }

        byte[] pattern = new byte[size];
        byte[] written = new byte[size];
        try
        {
            for (int round = 0; round < 4; round++)
            {
                for (int i = 0; i < size; i++)
                {
                    pattern[i] = round switch
                    {
                        0 => 0xFF,
                        1 => (byte)(i * 37 + 11),
                        2 => (byte)(0xA5 ^ (i * 101)),
                        _ => 0x00,
                    };
                }

                Array.Fill(written, (byte)(round == 3 ? 0xFF : 0x00));
                if (write)
                {
                    T value = Unsafe.ReadUnaligned<T>(ref pattern[0]);
                    TCodec.Write(written, in value);
                }
                else
                {
                    T value = TCodec.Read(pattern);
                    Unsafe.WriteUnaligned(ref written[0], value);
                }

                if (!written.AsSpan().SequenceEqual(pattern))
                {
                    return false;
                }
            }

            return true;
        }
#pragma warning disable CA1031 // A codec that throws on a made-up value is simply not one to trust here.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }
}
