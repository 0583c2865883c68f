using System;
using System.Runtime.CompilerServices;

namespace MapGen.Emulation;

/// <summary>
/// The hash of emulated hash tables whose seed is random (every hash-like map created without
/// <see cref="BpfMapFlags.ZeroSeed"/>): a 128-bit multiply folded to 64 bits per 8-byte word of
/// the key (the "mum" step of wyhash), keyed by a random 64-bit seed per map.
/// </summary>
/// <remarks>
/// The kernel seeds such a map's <c>jhash</c> with <c>get_random_u32()</c>, so which bucket a key
/// lands in, and the order <c>get_next_key</c> walks, is random per map and nothing may depend on
/// it. Reproducing <c>jhash</c> only matters with <see cref="BpfMapFlags.ZeroSeed"/>, whose bucket
/// order is deterministic and which the emulated runtime walks exactly as Linux does (see
/// <see cref="Jhash"/>). For the others this hash gives the same guarantees (a per-map random
/// bucket order, keys spread evenly over the buckets) at a fraction of the cost: one
/// multiplication for a 4- or 8-byte key and two for a 16-byte key, against the 40-odd dependent
/// steps of <c>jhash2</c>. All keys of a map have the same length, so the tail of a key whose
/// length is not a multiple of 8 is read zero-padded without making two keys equal.
/// </remarks>
internal static class SeededHash
{
    private const ulong K0 = 0xa0761d6478bd642f;
    private const ulong K1 = 0xe7037ed1a0b428db;

    /// <summary>Hashes the <paramref name="length"/> bytes at <paramref name="key"/>; a constant length folds to a few instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash(ref byte key, int length, ulong seed)
    {
        switch (length)
        {
            case 4:
                return Hash32(Unsafe.ReadUnaligned<uint>(ref key), seed);
            case 8:
                return Hash64(Unsafe.ReadUnaligned<ulong>(ref key), seed);
            case 16:
                return Hash128(Unsafe.ReadUnaligned<ulong>(ref key), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref key, 8)), seed);
            default:
                return HashAny(ref key, length, seed);
        }
    }

    /// <summary>
    /// A 4-byte key: multiply-shift (Dietzfelbinger et al.) with a random odd multiplier. Bits
    /// 32 and up of the product depend on every bit of the key; one multiplication is all.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash32(uint key, ulong seed) => (uint)((key * (seed | 1)) >> 32);

    /// <summary>An 8-byte key (native-endian, as its bytes read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash64(ulong key, ulong seed) => (uint)Mum(key ^ seed, K0);

    /// <summary>A 16-byte key as its two native-endian words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash128(ulong low, ulong high, ulong seed) => (uint)Mum(Mum(low ^ seed, K0) ^ high, K1);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static uint HashAny(ref byte key, int length, ulong seed)
    {
        ulong h = seed;
        int i = 0;
        for (; i + sizeof(ulong) <= length; i += sizeof(ulong))
        {
            h = Mum(h ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref key, i)), K0);
        }

        if (i < length)
        {
            ulong tail = 0;
            for (int j = length - 1; j >= i; j--)
            {
                tail = (tail << 8) | Unsafe.Add(ref key, j);
            }

            h = Mum(h ^ tail, K1);
        }

        return (uint)(h ^ (h >> 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mum(ulong a, ulong b)
    {
        ulong high = Math.BigMul(a, b, out ulong low);
        return high ^ low;
    }
}
