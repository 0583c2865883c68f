using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MapGen.CompilerServices;
using MapGen.Runtime.Tests.Support;

namespace MapGen.Runtime.Tests;

/// <summary>A 16-byte value whose halves must agree, so that a torn read shows.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Checked16
{
    public ulong Payload;
    public ulong Inverse;

    public static Checked16 Of(ulong payload) => new() { Payload = payload, Inverse = ~payload };

    public readonly bool IsWhole => Inverse == ~Payload;
}

internal readonly struct Checked16Codec : IBpfCodec<Checked16>
{
    public static int Size => 16;

    public static void Write(Span<byte> destination, in Checked16 value) => MemoryMarshal.Write(destination, in value);

    public static Checked16 Read(ReadOnlySpan<byte> source) => MemoryMarshal.Read<Checked16>(source);
}

/// <summary>A 72-byte value of nine equal words: too large to be copied by one instruction, so a torn read shows.</summary>
[InlineArray(9)]
internal struct Checked72
{
    private ulong _word;

    public static Checked72 Of(ulong payload)
    {
        Checked72 value = default;
        ((Span<ulong>)value).Fill(payload);
        return value;
    }

    public readonly ulong Payload => this[0];

    public readonly bool IsWhole
    {
        get
        {
            foreach (ulong word in (ReadOnlySpan<ulong>)this)
            {
                if (word != this[0])
                {
                    return false;
                }
            }

            return true;
        }
    }
}

internal readonly struct Checked72Codec : IBpfCodec<Checked72>
{
    public static int Size => 72;

    public static void Write(Span<byte> destination, in Checked72 value) => MemoryMarshal.Write(destination, in value);

    public static Checked72 Read(ReadOnlySpan<byte> source) => MemoryMarshal.Read<Checked72>(source);
}

/// <summary>A 16-byte key without padding: its codec writes it as its own bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Flow16
{
    public uint Src;
    public uint Dst;
    public ushort SrcPort;
    public ushort DstPort;
    public uint Proto;
}

internal readonly struct Flow16Codec : IBpfCodec<Flow16>
{
    public static int Size => 16;

    public static void Write(Span<byte> destination, in Flow16 value) => MemoryMarshal.Write(destination, in value);

    public static Flow16 Read(ReadOnlySpan<byte> source) => MemoryMarshal.Read<Flow16>(source);
}

/// <summary>A 16-byte key with 3 bytes of padding, which its codec clears, as generated codecs do.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Padded16
{
    public uint Src;
    public uint Dst;
    public ushort SrcPort;
    public ushort DstPort;
    public byte Proto;
}

internal readonly struct Padded16Codec : IBpfCodec<Padded16>
{
    public static int Size => 16;

    public static void Write(Span<byte> destination, in Padded16 value)
    {
        MemoryMarshal.Write(destination, in value);
        destination.Slice(13, 3).Clear();
    }

    public static Padded16 Read(ReadOnlySpan<byte> source) => MemoryMarshal.Read<Padded16>(source);
}

/// <summary>A 12-byte key: neither one, two nor four words.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Key12
{
    public uint A;
    public uint B;
    public uint C;
}

internal readonly struct Key12Codec : IBpfCodec<Key12>
{
    public static int Size => 12;

    public static void Write(Span<byte> destination, in Key12 value) => MemoryMarshal.Write(destination, in value);

    public static Key12 Read(ReadOnlySpan<byte> source) => MemoryMarshal.Read<Key12>(source);
}

/// <summary>A codec that writes a <c>u32</c> big-endian: its bytes are not the value's own.</summary>
internal readonly struct U32BigEndianCodec : IBpfCodec<uint>
{
    public static int Size => sizeof(uint);

    public static void Write(Span<byte> destination, in uint value) => BinaryPrimitives.WriteUInt32BigEndian(destination, value);

    public static uint Read(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt32BigEndian(source);
}

/// <summary>
/// The typed operations reach emulated hash tables directly (see <see cref="DataMapOperations.TryLookup"/>):
/// they must answer exactly as the checked path through the raw handle does, for every hash a
/// table may use, every key shape, every kind of fd and after disposal.
/// </summary>
public sealed class TypedFastPathTests : IDisposable
{
    private const string Name = "typed";
    private readonly BpfRuntime _rt = Kernel.Runtime();

    public void Dispose() => _rt.Dispose();

    public static TheoryData<BpfMapType, BpfMapFlags> HashMaps => new()
    {
        { BpfMapType.Hash, BpfMapFlags.None },
        { BpfMapType.Hash, BpfMapFlags.ZeroSeed },
        { BpfMapType.Hash, BpfMapFlags.NoPrealloc },
        { BpfMapType.LruHash, BpfMapFlags.None },
        { BpfMapType.LruHash, BpfMapFlags.ZeroSeed },
    };

    [Theory]
    [MemberData(nameof(HashMaps))]
    public void Typed_and_raw_operations_agree_on_every_key_shape(BpfMapType type, BpfMapFlags flags)
    {
        var random = new Random(42);
        Agree<uint, U32Codec>(type, flags, () => (uint)random.Next(64));
        Agree<uint, U32BigEndianCodec>(type, flags, () => (uint)random.Next(64));
        Agree<ulong, U64Codec>(type, flags, () => (ulong)random.Next(64) << 40 | (uint)random.Next(4));
        Agree<Flow16, Flow16Codec>(type, flags, () => new Flow16 { Src = (uint)random.Next(8), Dst = 7, SrcPort = (ushort)random.Next(8), Proto = 6 });
        Agree<Padded16, Padded16Codec>(type, flags, () => new Padded16 { Src = (uint)random.Next(8), SrcPort = (ushort)random.Next(8), Proto = 17 });
        Agree<Key12, Key12Codec>(type, flags, () => new Key12 { A = (uint)random.Next(8), C = (uint)random.Next(8) });
    }

    /// <summary>Random typed updates, lookups and deletes on one map, each checked against a raw lookup of the same map.</summary>
    private void Agree<TKey, TKeyCodec>(BpfMapType type, BpfMapFlags flags, Func<TKey> nextKey)
        where TKeyCodec : IBpfCodec<TKey>
    {
        // Room for every key, so that the LRU maps never evict.
        using BpfMap map = _rt.Create(type, (uint)TKeyCodec.Size, 16, 4096, flags);
        var expected = new Dictionary<string, ulong>();
        byte[] keyBytes = new byte[TKeyCodec.Size];
        byte[] raw = new byte[16];
        for (int i = 0; i < 2000; i++)
        {
            TKey key = nextKey();
            TKeyCodec.Write(keyBytes, in key);
            string id = Convert.ToHexString(keyBytes);
            switch (i % 4)
            {
                case 0 or 1:
                    DataMapOperations.Update<TKey, TKeyCodec, Checked16, Checked16Codec>(map, Name, in key, Checked16.Of((ulong)i), BpfUpdateFlags.Any);
                    expected[id] = (ulong)i;
                    break;
                case 2:
                    Assert.Equal(expected.Remove(id), DataMapOperations.Delete<TKey, TKeyCodec>(map, Name, in key));
                    break;
            }

            bool present = DataMapOperations.TryLookup<TKey, TKeyCodec, Checked16, Checked16Codec>(map, Name, in key, out Checked16 value);
            Assert.Equal(expected.TryGetValue(id, out ulong payload), present);
            Assert.Equal(present ? Checked16.Of(payload) : default, value);
            Assert.Equal(present ? BpfErrno.None : BpfErrno.ENOENT, map.TryLookup(keyBytes, raw));
            if (present)
            {
                Assert.Equal(payload, BinaryPrimitives.ReadUInt64LittleEndian(raw));
            }
        }

        Assert.Equal(expected.Count, map.Keys().Count);
    }

    private static BpfErrno UpdateErrno(BpfMap map, uint key, BpfUpdateFlags flags) =>
        Assert.Throws<BpfException>(() => DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, key, 1, flags)).Errno;

    [Fact]
    public void Typed_updates_refuse_with_the_kernels_errnos()
    {
        using BpfMap map = _rt.Create(BpfMapType.Hash, 4, 8, 2);
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 1, 10, BpfUpdateFlags.Any);
        Assert.Equal(BpfErrno.EEXIST, UpdateErrno(map, 1, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.ENOENT, UpdateErrno(map, 2, BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.EINVAL, UpdateErrno(map, 1, BpfUpdateFlags.Lock));
        Assert.Equal(BpfErrno.EINVAL, UpdateErrno(map, 1, (BpfUpdateFlags)8));
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 2, 20, BpfUpdateFlags.NoExist);
        Assert.Equal(BpfErrno.E2BIG, UpdateErrno(map, 3, BpfUpdateFlags.Any));
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 1, 11, BpfUpdateFlags.Exist);
        Assert.Equal(11ul, DataMapOperations.Lookup<uint, U32Codec, ulong, U64Codec>(map, Name, 1));
        Assert.Equal(20ul, DataMapOperations.Lookup<uint, U32Codec, ulong, U64Codec>(map, Name, 2));
    }

    [Fact]
    public void Typed_operations_through_read_only_and_write_only_fds_are_refused_as_raw_ones()
    {
        using BpfMap readOnly = _rt.Create(BpfMapType.Hash, 4, 8, 4, BpfMapFlags.RdOnly);
        Assert.False(DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(readOnly, Name, 1, out _));
        Assert.Equal(BpfErrno.EPERM, UpdateErrno(readOnly, 1, BpfUpdateFlags.Any));

        using BpfMap writeOnly = _rt.Create(BpfMapType.Hash, 4, 8, 4, BpfMapFlags.WrOnly);
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(writeOnly, Name, 1, 10, BpfUpdateFlags.Any);
        Assert.Equal(BpfErrno.EPERM, Assert.Throws<BpfException>(
            () => DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(writeOnly, Name, 1, out _)).Errno);
    }

    [Fact]
    public void Codecs_of_another_size_than_the_map_are_refused_as_by_the_raw_handle()
    {
        using BpfMap map = _rt.Create(BpfMapType.Hash, 8, 8, 4);
        Assert.Throws<ArgumentException>(() => DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(map, Name, 1, out _));
        Assert.Throws<ArgumentException>(() => DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 1, 1, BpfUpdateFlags.Any));
        Assert.Throws<ArgumentException>(() => DataMapOperations.TryLookup<ulong, U64Codec, uint, U32Codec>(map, Name, 1, out _));
    }

    [Fact]
    public void Typed_operations_after_disposal_throw_ObjectDisposedException()
    {
        BpfMap map = _rt.Create(BpfMapType.Hash, 4, 8, 4);
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 1, 10, BpfUpdateFlags.Any);
        map.Dispose();
        Assert.Throws<ObjectDisposedException>(() => DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(map, Name, 1, out _));
        Assert.Throws<ObjectDisposedException>(() => DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 1, 1, BpfUpdateFlags.Any));

        BpfRuntime rt = Kernel.Runtime();
        using BpfMap other = rt.Create(BpfMapType.Hash, 4, 8, 4);
        using BpfMap lru = rt.Create(BpfMapType.LruHash, 4, 8, 4, BpfMapFlags.ZeroSeed);
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(other, Name, 1, 10, BpfUpdateFlags.Any);
        rt.Dispose();
        Assert.Throws<ObjectDisposedException>(() => DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(other, Name, 1, out _));
        Assert.Throws<ObjectDisposedException>(() => DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(lru, Name, 1, out _));
        Assert.Throws<ObjectDisposedException>(() => DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(other, Name, 1, 1, BpfUpdateFlags.Any));
    }

    [Fact]
    public void Codecs_that_write_a_key_as_its_own_bytes_are_told_apart()
    {
        Assert.True(CodecTraits<uint, U32Codec>.WritesOwnBytes);
        Assert.True(CodecTraits<ulong, U64Codec>.WritesOwnBytes);
        Assert.True(CodecTraits<Flow16, Flow16Codec>.WritesOwnBytes);
        Assert.True(CodecTraits<Key12, Key12Codec>.WritesOwnBytes);
        Assert.False(CodecTraits<Padded16, Padded16Codec>.WritesOwnBytes);
        Assert.False(CodecTraits<uint, U32BigEndianCodec>.WritesOwnBytes);
    }

    [Fact]
    public void Randomly_seeded_tables_spread_keys_and_walk_each_once()
    {
        // Sequential keys, the worst case for a weak hash: every key comes back once.
        using BpfMap map = _rt.Create(BpfMapType.Hash, 4, 8, 1 << 14);
        for (uint key = 0; key < 1 << 14; key++)
        {
            DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, key, key, BpfUpdateFlags.Any);
        }

        Assert.Equal(Enumerable.Range(0, 1 << 14).Select(i => (uint)i), DataMapOperations.Keys<uint, U32Codec>(map, Name).Order());
        Assert.All(DataMapOperations.Entries<uint, U32Codec, ulong, U64Codec>(map, Name), e => Assert.Equal(e.Key, e.Value));
    }

    [Theory]
    [InlineData(BpfMapFlags.None)]
    [InlineData(BpfMapFlags.ZeroSeed)]
    public async Task Typed_readers_never_see_a_torn_value_while_typed_writers_replace_and_reinsert(BpfMapFlags flags)
    {
        using BpfMap map = _rt.Create(BpfMapType.Hash, 4, 72, 256, flags);
        using var stop = new CancellationTokenSource();
        int torn = 0;
        int wrongKey = 0;
        Task[] readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                for (uint key = 0; key < 64; key++)
                {
                    if (DataMapOperations.TryLookup<uint, U32Codec, Checked72, Checked72Codec>(map, Name, key, out Checked72 value))
                    {
                        if (!value.IsWhole)
                        {
                            Interlocked.Increment(ref torn);
                        }
                        else if (value.Payload >> 32 != key)
                        {
                            Interlocked.Increment(ref wrongKey);
                        }
                    }
                }
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        Task[] writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            for (uint round = 0; round < 2000; round++)
            {
                for (uint key = (uint)w; key < 64; key += 2)
                {
                    DataMapOperations.Update<uint, U32Codec, Checked72, Checked72Codec>(map, Name, key, Checked72.Of(((ulong)key << 32) | round), BpfUpdateFlags.Any);
                    if ((key + round) % 7 == 0)
                    {
                        // Frees the slot for another key: a reader must never get that key's value.
                        Assert.True(DataMapOperations.Delete<uint, U32Codec>(map, Name, key));
                    }
                }
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        Assert.Equal(0, torn);
        Assert.Equal(0, wrongKey);
    }
}
