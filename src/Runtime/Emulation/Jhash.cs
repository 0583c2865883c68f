using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MapGen.Emulation;

/// <summary>
/// The kernel's <c>jhash</c>/<c>jhash2</c> (<c>include/linux/jhash.h</c>), as <c>htab_map_hash</c>
/// uses them. With the same seed (0 for <see cref="BpfMapFlags.ZeroSeed"/>) and the same number
/// of buckets, the emulated hash maps put keys into the kernel's buckets, so that
/// <c>get_next_key</c> walks them in the kernel's order.
/// </summary>
internal static class Jhash
{
    private const uint InitVal = 0xdeadbeef;

    /// <summary><c>htab_map_hash</c>: <c>jhash2</c> over 32-bit words when the key length is a multiple of 4, else <c>jhash</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint HashKey(ReadOnlySpan<byte> key, uint seed) => HashKey(ref MemoryMarshal.GetReference(key), key.Length, seed);

    /// <summary>
    /// <see cref="HashKey(ReadOnlySpan{byte}, uint)"/> over the <paramref name="length"/> bytes at
    /// <paramref name="key"/>. Keys of one to four words (4, 8, 12, 16 bytes), the common sizes,
    /// are hashed inline, so that a constant length compiles to straight-line code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint HashKey(ref byte key, int length, uint seed)
    {
        uint init = InitVal + (uint)length + seed;
        uint a = init, b = init, c = init;
        switch (length)
        {
            case 4:
                a += Word(ref key, 0);
                return Final(a, b, c);
            case 8:
                b += Word(ref key, 1);
                a += Word(ref key, 0);
                return Final(a, b, c);
            case 12:
                c += Word(ref key, 2);
                b += Word(ref key, 1);
                a += Word(ref key, 0);
                return Final(a, b, c);
            case 16:
                a += Word(ref key, 0);
                b += Word(ref key, 1);
                c += Word(ref key, 2);
                Mix(ref a, ref b, ref c);
                a += Word(ref key, 3);
                return Final(a, b, c);
            default:
                ReadOnlySpan<byte> span = MemoryMarshal.CreateReadOnlySpan(ref key, length);
                return (length & 3) == 0 ? Hash2(span, seed) : Hash(span, seed);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Word(ref byte key, int index) => Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref key, index * sizeof(uint)));

    /// <summary><c>jhash2</c>: the key as native-endian 32-bit words.</summary>
    public static uint Hash2(ReadOnlySpan<byte> key, uint seed)
    {
        ReadOnlySpan<uint> k = MemoryMarshal.Cast<byte, uint>(key);
        int length = k.Length;
        uint a, b, c;
        a = b = c = InitVal + ((uint)length << 2) + seed;
        int i = 0;
        while (length > 3)
        {
            a += k[i];
            b += k[i + 1];
            c += k[i + 2];
            Mix(ref a, ref b, ref c);
            length -= 3;
            i += 3;
        }

        switch (length)
        {
            case 3:
                c += k[i + 2];
                b += k[i + 1];
                a += k[i];
                return Final(a, b, c);
            case 2:
                b += k[i + 1];
                a += k[i];
                return Final(a, b, c);
            case 1:
                a += k[i];
                return Final(a, b, c);
            default:
                return c;
        }
    }

    /// <summary><c>jhash</c>: any byte length; whole 12-byte blocks as native words, the tail byte by byte.</summary>
    public static uint Hash(ReadOnlySpan<byte> key, uint seed)
    {
        int length = key.Length;
        uint a, b, c;
        a = b = c = InitVal + (uint)length + seed;
        int i = 0;
        while (length > 12)
        {
            a += MemoryMarshal.Read<uint>(key[i..]);
            b += MemoryMarshal.Read<uint>(key[(i + 4)..]);
            c += MemoryMarshal.Read<uint>(key[(i + 8)..]);
            Mix(ref a, ref b, ref c);
            length -= 12;
            i += 12;
        }

        if (length == 0)
        {
            return c;
        }

        ReadOnlySpan<byte> tail = key[i..];
        for (int j = length - 1; j >= 0; j--)
        {
            uint v = (uint)tail[j] << (8 * (j & 3));
            switch (j >> 2)
            {
                case 0: a += v; break;
                case 1: b += v; break;
                default: c += v; break;
            }
        }

        return Final(a, b, c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mix(ref uint a, ref uint b, ref uint c)
    {
        a -= c; a ^= BitOperations.RotateLeft(c, 4); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 6); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 8); b += a;
        a -= c; a ^= BitOperations.RotateLeft(c, 16); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 19); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 4); b += a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Final(uint a, uint b, uint c)
    {
        c ^= b; c -= BitOperations.RotateLeft(b, 14);
        a ^= c; a -= BitOperations.RotateLeft(c, 11);
        b ^= a; b -= BitOperations.RotateLeft(a, 25);
        c ^= b; c -= BitOperations.RotateLeft(b, 16);
        a ^= c; a -= BitOperations.RotateLeft(c, 4);
        b ^= a; b -= BitOperations.RotateLeft(a, 14);
        c ^= b; c -= BitOperations.RotateLeft(b, 24);
        return c;
    }
}
