using System.Buffers.Binary;
using MapGen.Emulation;

namespace MapGen.Runtime.Tests.Support;

/// <summary>Shorthands for raw-layer tests against the emulated runtime.</summary>
internal static class Kernel
{
    /// <summary>The interfaces of the machine the recorded results come from.</summary>
    public static readonly EmulatedNetworkInterface[] RecordedInterfaces =
    [
        new("lo", 1), new("eth0", 2), new("ifb0", 3), new("ifb1", 4),
    ];

    public static BpfRuntime Runtime(int cpus = 2) =>
        BpfRuntime.CreateEmulated(new EmulatedRuntimeOptions { PossibleCpus = cpus, NetworkInterfaces = RecordedInterfaces });

    /// <summary>Creates a map and asserts that the kernel would accept it.</summary>
    public static BpfMap Create(this BpfRuntime runtime, BpfMapType type, uint keySize, uint valueSize, uint maxEntries,
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
        Assert.Equal(BpfErrno.None, errno);
        return map!;
    }

    /// <summary>Only the errno of a creation; the map, if any, is closed again.</summary>
    public static BpfErrno CreateErrno(this BpfRuntime runtime, BpfMapType type, uint keySize, uint valueSize, uint maxEntries,
        BpfMapFlags flags = BpfMapFlags.None, int innerMapFd = 0, string? name = null, uint numaNode = 0)
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
            NumaNode = numaNode,
        }, out BpfMap? map);
        map?.Dispose();
        return errno;
    }

    public static byte[] U32(uint value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] U32(int value) => U32(unchecked((uint)value));

    public static byte[] U64(ulong value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    public static uint ReadU32(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadUInt32LittleEndian(bytes);

    public static BpfErrno Update(this BpfMap map, uint key, uint value, BpfUpdateFlags flags = BpfUpdateFlags.Any) =>
        map.TryUpdate(U32(key), U32(value), flags);

    public static BpfErrno Update(this BpfMap map, uint key, byte[] value, BpfUpdateFlags flags = BpfUpdateFlags.Any) =>
        map.TryUpdate(U32(key), value, flags);

    public static BpfErrno Delete(this BpfMap map, uint key) => map.TryDelete(U32(key));

    /// <summary>Looks up a 4-byte key; the value, or null with the errno.</summary>
    public static (BpfErrno Errno, byte[]? Value) Lookup(this BpfMap map, uint key)
    {
        byte[] value = new byte[map.UserValueSize];
        BpfErrno errno = map.TryLookup(U32(key), value);
        return (errno, errno == BpfErrno.None ? value : null);
    }

    public static (BpfErrno Errno, uint Value) LookupU32(this BpfMap map, uint key)
    {
        (BpfErrno errno, byte[]? value) = map.Lookup(key);
        return (errno, value is null ? 0 : ReadU32(value));
    }

    public static (BpfErrno Errno, uint Next) NextKey(this BpfMap map, uint? key)
    {
        byte[] next = new byte[4];
        BpfErrno errno = map.TryGetNextKey(key is { } k ? U32(k) : default, next);
        return (errno, ReadU32(next));
    }

    /// <summary>Every key by <c>get_next_key</c> from the start, in the map's order.</summary>
    public static List<byte[]> Keys(this BpfMap map)
    {
        var keys = new List<byte[]>();
        byte[] current = [];
        for (int guard = 0; guard < 1_000_000; guard++)
        {
            byte[] next = new byte[map.KeySize];
            BpfErrno errno = map.TryGetNextKey(current, next);
            if (errno == BpfErrno.ENOENT)
            {
                return keys;
            }

            Assert.Equal(BpfErrno.None, errno);
            keys.Add(next);
            current = next;
        }

        throw new InvalidOperationException("get_next_key did not end.");
    }

    public static List<uint> KeysU32(this BpfMap map) => map.Keys().Select(k => ReadU32(k)).ToList();
}
