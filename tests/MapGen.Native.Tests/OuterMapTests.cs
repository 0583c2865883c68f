using static MapGen.Native.Tests.Bytes;

namespace MapGen.Native.Tests;

/// <summary>The raw layer against the real kernel: outer maps take an fd and give back an ID.</summary>
public sealed class OuterMapTests
{
    [Fact]
    public void ArrayOfMaps_takes_the_inner_fd_and_returns_its_id()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap outer = CreateOuter(rt, BpfMapType.ArrayOfMaps, BpfMapType.Hash, 4);
        using BpfMap inner = Create(rt, BpfMapType.Hash, 4, 4, 8);
        byte[] id = new byte[4];

        Assert.Equal(BpfErrno.ENOENT, outer.TryLookup(U32(0), id));
        Assert.Equal(BpfErrno.None, outer.TryUpdate(U32(0), U32((uint)inner.Fd)));
        Assert.Equal(BpfErrno.None, outer.TryLookup(U32(0), id));
        Assert.Equal(inner.Id, ReadU32(id));

        // Only BPF_ANY; index past the end is E2BIG even with a bad fd; delete past the end too.
        Assert.Equal(BpfErrno.EINVAL, outer.TryUpdate(U32(1), U32((uint)inner.Fd), BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EINVAL, outer.TryUpdate(U32(0), U32((uint)inner.Fd), BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.E2BIG, outer.TryUpdate(U32(4), U32((uint)inner.Fd)));
        Assert.Equal(BpfErrno.E2BIG, outer.TryUpdate(U32(4), U32(999_999)));
        Assert.Equal(BpfErrno.E2BIG, outer.TryDelete(U32(4)));
        Assert.Equal(BpfErrno.None, outer.TryDelete(U32(0)));
        Assert.Equal(BpfErrno.ENOENT, outer.TryLookup(U32(0), id));
    }

    [Fact]
    public void HashOfMaps_checks_the_fd_before_the_flags_and_fills_up()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap outer = CreateOuter(rt, BpfMapType.HashOfMaps, BpfMapType.Array, 2);
        using BpfMap inner = Create(rt, BpfMapType.Array, 4, 4, 8);
        byte[] id = new byte[4];

        Assert.Equal(BpfErrno.EBADF, outer.TryUpdate(U32(10), U32(999_999), BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.ENOENT, outer.TryUpdate(U32(10), U32((uint)inner.Fd), BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.None, outer.TryUpdate(U32(10), U32((uint)inner.Fd), BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EEXIST, outer.TryUpdate(U32(10), U32((uint)inner.Fd), BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.None, outer.TryUpdate(U32(11), U32((uint)inner.Fd)));
        Assert.Equal(BpfErrno.E2BIG, outer.TryUpdate(U32(12), U32((uint)inner.Fd)));
        Assert.Equal(BpfErrno.None, outer.TryLookup(U32(11), id));
        Assert.Equal(inner.Id, ReadU32(id));
    }

    [Fact]
    public void Inner_maps_must_match_the_template_by_the_kernels_rule()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap hashOuter = CreateOuter(rt, BpfMapType.HashOfMaps, BpfMapType.Hash, 4);
        using BpfMap arrayOuter = CreateOuter(rt, BpfMapType.ArrayOfMaps, BpfMapType.Array, 4);

        // Hash inners may differ in max entries, not in key size, value size, type or flags.
        using (BpfMap bigger = Create(rt, BpfMapType.Hash, 4, 4, 100))
        {
            Assert.Equal(BpfErrno.None, hashOuter.TryUpdate(U32(0), U32((uint)bigger.Fd)));
        }

        AssertRefused(hashOuter, Create(rt, BpfMapType.Hash, 8, 4, 8));
        AssertRefused(hashOuter, Create(rt, BpfMapType.Hash, 4, 8, 8));
        AssertRefused(hashOuter, Create(rt, BpfMapType.LruHash, 4, 4, 8));
        AssertRefused(hashOuter, Create(rt, BpfMapType.Hash, 4, 4, 8, BpfMapFlags.NoPrealloc));

        // Array inners compare max entries too, unless the template has BPF_F_INNER_MAP.
        AssertRefused(arrayOuter, Create(rt, BpfMapType.Array, 4, 4, 100));
        using BpfMap flexibleOuter = CreateOuter(rt, BpfMapType.ArrayOfMaps, BpfMapType.Array, 4, BpfMapFlags.InnerMap);
        using (BpfMap other = Create(rt, BpfMapType.Array, 4, 4, 100, BpfMapFlags.InnerMap))
        {
            Assert.Equal(BpfErrno.None, flexibleOuter.TryUpdate(U32(0), U32((uint)other.Fd)));
        }

        // The fd-only RdOnly/WrOnly flags do not count.
        using (BpfMap readOnly = Create(rt, BpfMapType.Hash, 4, 4, 8, BpfMapFlags.RdOnly))
        {
            Assert.Equal(BpfErrno.None, hashOuter.TryUpdate(U32(1), U32((uint)readOnly.Fd)));
        }

        static void AssertRefused(BpfMap outer, BpfMap inner)
        {
            using (inner)
            {
                Assert.Equal(BpfErrno.EINVAL, outer.TryUpdate(U32(3), U32((uint)inner.Fd)));
            }
        }
    }

    [Fact]
    public void Outer_creation_rules_are_the_kernels()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap template = Create(rt, BpfMapType.Hash, 4, 4, 8);
        int fd = template.Fd;
        Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, BpfMapType.ArrayOfMaps, 4, 8, 4, innerMapFd: fd));
        Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, BpfMapType.ArrayOfMaps, 8, 4, 4, innerMapFd: fd));
        Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, BpfMapType.HashOfMaps, 4, 4, 0, innerMapFd: fd));
        Assert.Equal(BpfErrno.EBADF, TryCreate(rt, BpfMapType.HashOfMaps, 4, 4, 4, innerMapFd: 999_999));

        using (BpfMap progArray = Create(rt, BpfMapType.ProgArray, 4, 4, 4))
        {
            Assert.Equal(BpfErrno.ENOTSUPP, TryCreate(rt, BpfMapType.ArrayOfMaps, 4, 4, 4, innerMapFd: progArray.Fd));
        }

        using (BpfMap outerTemplate = CreateOuter(rt, BpfMapType.ArrayOfMaps, BpfMapType.Hash, 4))
        {
            Assert.Equal(BpfErrno.EINVAL, TryCreate(rt, BpfMapType.HashOfMaps, 4, 4, 4, innerMapFd: outerTemplate.Fd));
        }
    }

    [Fact]
    public void A_slot_keeps_its_inner_map_alive_until_the_slot_is_emptied()
    {
        Kernel.RequireSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap outer = CreateOuter(rt, BpfMapType.ArrayOfMaps, BpfMapType.Hash, 4);
        uint id;
        using (BpfMap inner = Create(rt, BpfMapType.Hash, 4, 4, 8))
        {
            Assert.Equal(BpfErrno.None, inner.TryUpdate(U32(5), U32(55)));
            Assert.Equal(BpfErrno.None, outer.TryUpdate(U32(0), U32((uint)inner.Fd)));
            Assert.Equal(BpfErrno.None, outer.TryUpdate(U32(1), U32((uint)inner.Fd)));
            id = inner.Id;
        }

        // Our fd is closed; the slots hold the map.
        using (BpfMap reopened = rt.OpenById(id))
        {
            byte[] value = new byte[4];
            Assert.Equal(BpfErrno.None, reopened.TryLookup(U32(5), value));
            Assert.Equal(55U, ReadU32(value));
        }

        Assert.Equal(BpfErrno.None, outer.TryDelete(U32(0)));
        using (BpfMap stillHeld = rt.OpenById(id))
        {
            Assert.Equal(id, stillHeld.Id);
        }

        Assert.Equal(BpfErrno.None, outer.TryDelete(U32(1)));
        // The map is freed once the last slot lets go (after an RCU grace period).
        Kernel.AssertFreed(rt, [id]);
    }

    internal static BpfMap CreateOuter(BpfRuntime rt, BpfMapType outerType, BpfMapType innerType, uint maxEntries, BpfMapFlags innerFlags = BpfMapFlags.None)
    {
        using BpfMap template = Create(rt, innerType, 4, 4, 8, innerFlags);
        return Create(rt, outerType, 4, 4, maxEntries, innerMapFd: template.Fd, name: "outer_test");
    }
}
