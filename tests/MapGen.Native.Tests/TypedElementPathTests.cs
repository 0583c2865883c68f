using System.Buffers.Binary;
using MapGen.CompilerServices;
using static MapGen.Native.Tests.Bytes;

namespace MapGen.Native.Tests;

/// <summary>A codec whose bytes are not the value's own (big-endian), so that the typed path must encode and decode.</summary>
internal readonly struct U64BigEndianCodec : IBpfCodec<ulong>
{
    public static int Size => 8;

    public static void Write(Span<byte> destination, in ulong value) => BinaryPrimitives.WriteUInt64BigEndian(destination, value);

    public static ulong Read(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt64BigEndian(source);
}

/// <summary>
/// Typed lookups and updates of native maps make one system call with key and value where they
/// lie when their codecs allow (see <see cref="DataMapOperations.TryLookup"/>): they must answer
/// exactly as the raw handle does, for every codec and kind of fd.
/// </summary>
public sealed class TypedElementPathTests
{
    private const string Name = "typed";

    [Fact]
    public void Typed_and_raw_operations_see_the_same_bytes()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Hash, 4, 8, 8);
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 1, 0x0102030405060708, BpfUpdateFlags.Any);
        DataMapOperations.Update<uint, U32Codec, ulong, U64BigEndianCodec>(map, Name, 2, 0x0102030405060708, BpfUpdateFlags.Any);
        byte[] value = new byte[8];
        Assert.Equal(BpfErrno.None, map.TryLookup(U32(1), value));
        Assert.Equal(U64(0x0102030405060708), value);
        Assert.Equal(BpfErrno.None, map.TryLookup(U32(2), value));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, value);

        Assert.True(DataMapOperations.TryLookup<uint, U32Codec, ulong, U64BigEndianCodec>(map, Name, 2, out ulong big));
        Assert.Equal(0x0102030405060708UL, big);
        Assert.True(DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(map, Name, 1, out ulong native));
        Assert.Equal(0x0102030405060708UL, native);
        Assert.False(DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(map, Name, 3, out ulong absent));
        Assert.Equal(0UL, absent);
    }

    [Fact]
    public void Typed_updates_report_the_kernels_errnos()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Hash, 4, 8, 1);
        DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 1, 10, BpfUpdateFlags.Any);
        Assert.Equal(BpfErrno.EEXIST, UpdateErrno(map, 1, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.ENOENT, UpdateErrno(map, 2, BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.E2BIG, UpdateErrno(map, 2, BpfUpdateFlags.Any));
    }

    [Fact]
    public void Typed_operations_through_a_read_only_fd_are_refused_by_the_kernel()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Hash, 4, 8, 4, BpfMapFlags.RdOnly);
        Assert.False(DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(map, Name, 1, out _));
        Assert.Equal(BpfErrno.EPERM, UpdateErrno(map, 1, BpfUpdateFlags.Any));
    }

    [Fact]
    public void Typed_operations_on_a_disposed_handle_throw_ObjectDisposedException()
    {
        using BpfRuntime rt = Kernel.Runtime();
        BpfMap map = Create(rt, BpfMapType.Hash, 4, 8, 4);
        map.Dispose();
        Assert.Throws<ObjectDisposedException>(() => DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(map, Name, 1, out _));
        Assert.Throws<ObjectDisposedException>(() => DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 1, 1, BpfUpdateFlags.Any));
    }

    [Fact]
    public void Codecs_of_another_size_than_the_map_are_refused_as_by_the_raw_handle()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Hash, 8, 8, 4);
        Assert.Throws<ArgumentException>(() => DataMapOperations.TryLookup<uint, U32Codec, ulong, U64Codec>(map, Name, 1, out _));
        Assert.Throws<ArgumentException>(() => DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, 1, 1, BpfUpdateFlags.Any));
    }

    private static BpfErrno UpdateErrno(BpfMap map, uint key, BpfUpdateFlags flags) =>
        Assert.Throws<BpfException>(() => DataMapOperations.Update<uint, U32Codec, ulong, U64Codec>(map, Name, key, 1, flags)).Errno;
}
