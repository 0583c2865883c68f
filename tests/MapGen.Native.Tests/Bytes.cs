using System.Runtime.InteropServices;

namespace MapGen.Native.Tests;

/// <summary>Kernel bytes of small values (host order, as the kernel reads them).</summary>
internal static class Bytes
{
    public static byte[] U32(uint value)
    {
        byte[] bytes = new byte[4];
        MemoryMarshal.Write(bytes, value);
        return bytes;
    }

    public static byte[] U64(ulong value)
    {
        byte[] bytes = new byte[8];
        MemoryMarshal.Write(bytes, value);
        return bytes;
    }

    public static uint ReadU32(ReadOnlySpan<byte> bytes) => MemoryMarshal.Read<uint>(bytes);

    public static ulong ReadU64(ReadOnlySpan<byte> bytes) => MemoryMarshal.Read<ulong>(bytes);

    /// <summary>Creates a map from raw attributes, failing the test if the kernel refuses.</summary>
    public static BpfMap Create(BpfRuntime runtime, BpfMapType type, uint keySize, uint valueSize, uint maxEntries,
        BpfMapFlags flags = BpfMapFlags.None, int innerMapFd = 0, string? name = null)
    {
        BpfErrno errno = runtime.TryCreateMap(new BpfMapCreateOptions
        {
            Type = type,
            KeySize = keySize,
            ValueSize = valueSize,
            MaxEntries = maxEntries,
            Flags = flags,
            InnerMapFd = innerMapFd,
            Name = name ?? "mapgen_test",
        }, out BpfMap? map);
        Assert.Equal(BpfErrno.None, errno);
        return map!;
    }

    /// <summary>The kernel's answer to raw attributes, closing the map when one is created.</summary>
    public static BpfErrno TryCreate(BpfRuntime runtime, BpfMapType type, uint keySize, uint valueSize, uint maxEntries,
        BpfMapFlags flags = BpfMapFlags.None, int innerMapFd = 0, string? name = null)
    {
        BpfErrno errno = runtime.TryCreateMap(new BpfMapCreateOptions
        {
            Type = type,
            KeySize = keySize,
            ValueSize = valueSize,
            MaxEntries = maxEntries,
            Flags = flags,
            InnerMapFd = innerMapFd,
            Name = name,
        }, out BpfMap? map);
        map?.Dispose();
        return errno;
    }
}
