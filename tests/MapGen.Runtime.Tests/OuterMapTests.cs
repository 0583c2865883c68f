using MapGen.Runtime.Tests.Support;
using static MapGen.BpfMapType;

namespace MapGen.Runtime.Tests;

/// <summary>ArrayOfMaps and HashOfMaps at the byte level (fd in, ID out), with Linux 6.18's errnos.</summary>
public sealed class OuterMapTests : IDisposable
{
    private readonly BpfRuntime _rt = Kernel.Runtime();

    public void Dispose() => _rt.Dispose();

    private MapGen.Emulation.EmulatedRuntime Emulated => (MapGen.Emulation.EmulatedRuntime)_rt;

    private BpfMap Outer(BpfMapType type, uint maxEntries, BpfMapType innerType = BpfMapType.Array, uint innerMax = 4,
        BpfMapFlags innerFlags = BpfMapFlags.None)
    {
        using BpfMap template = _rt.Create(innerType, 4, 8, innerMax, innerFlags);
        // The template may be closed right after creation.
        return _rt.Create(type, 4, 4, maxEntries, innerMapFd: template.Fd);
    }

    [Fact]
    public void Outer_creation_needs_a_4_byte_value_and_for_arrays_a_4_byte_key()
    {
        using BpfMap template = _rt.Create(BpfMapType.Array, 4, 8, 4);
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(ArrayOfMaps, 4, 8, 4, innerMapFd: template.Fd));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(ArrayOfMaps, 8, 4, 4, innerMapFd: template.Fd));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(ArrayOfMaps, 4, 4, 0, innerMapFd: template.Fd));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(HashOfMaps, 0, 4, 4, innerMapFd: template.Fd));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(HashOfMaps, 4, 8, 4, innerMapFd: template.Fd));
        Assert.Equal(BpfErrno.None, _rt.CreateErrno(HashOfMaps, 12, 4, 4, BpfMapFlags.NoPrealloc, innerMapFd: template.Fd));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(ArrayOfMaps, 4, 4, 4, BpfMapFlags.RdOnlyProg, innerMapFd: template.Fd));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(ArrayOfMaps, 4, 4, 4, BpfMapFlags.InnerMap, innerMapFd: template.Fd));
    }

    [Theory]
    [InlineData(0, BpfErrno.EINVAL)]
    [InlineData(1, BpfErrno.EINVAL)]
    [InlineData(-1, BpfErrno.EBADF)]
    [InlineData(1000, BpfErrno.EBADF)]
    public void The_template_fd_must_be_a_map(int fd, BpfErrno expected)
    {
        // fds 0-2 are the standard streams: open, but not maps.
        Assert.Equal(expected, _rt.CreateErrno(ArrayOfMaps, 4, 4, 4, innerMapFd: fd));
        Assert.Equal(expected, _rt.CreateErrno(HashOfMaps, 4, 4, 4, innerMapFd: fd));
    }

    [Theory]
    [InlineData(ProgArray, 4u, 4u, 4u)]
    [InlineData(CgroupStorage, 8u, 4u, 0u)]
    [InlineData(PerCpuCgroupStorage, 8u, 4u, 0u)]
    public void Some_types_cannot_be_templates_ENOTSUPP(BpfMapType type, uint key, uint value, uint max)
    {
        using BpfMap template = _rt.Create(type, key, value, max);
        Assert.Equal(BpfErrno.ENOTSUPP, _rt.CreateErrno(ArrayOfMaps, 4, 4, 4, innerMapFd: template.Fd));
        Assert.Equal(BpfErrno.ENOTSUPP, _rt.CreateErrno(HashOfMaps, 4, 4, 4, innerMapFd: template.Fd));
    }

    [Fact]
    public void An_outer_map_cannot_be_a_template()
    {
        using BpfMap outer = Outer(ArrayOfMaps, 2);
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(ArrayOfMaps, 4, 4, 4, innerMapFd: outer.Fd));
        Assert.Equal(BpfErrno.EINVAL, _rt.CreateErrno(HashOfMaps, 4, 4, 4, innerMapFd: outer.Fd));
    }

    [Fact]
    public void Array_of_maps_stores_fds_and_returns_ids()
    {
        using BpfMap outer = Outer(ArrayOfMaps, 2);
        using BpfMap inner = _rt.Create(BpfMapType.Array, 4, 8, 4);
        Assert.Equal(BpfErrno.ENOENT, outer.Lookup(0).Errno);
        Assert.Equal(BpfErrno.None, outer.Update(0, (uint)inner.Fd));
        Assert.Equal((BpfErrno.None, inner.Id), outer.LookupU32(0));
        Assert.Equal(BpfErrno.ENOENT, outer.Lookup(1).Errno);
        Assert.Equal(BpfErrno.ENOENT, outer.Lookup(2).Errno);
        Assert.Equal([0u, 1u], outer.KeysU32());
    }

    [Fact]
    public void Array_of_maps_checks_flags_then_index_then_fd()
    {
        using BpfMap outer = Outer(ArrayOfMaps, 2);
        using BpfMap inner = _rt.Create(BpfMapType.Array, 4, 8, 4);
        Assert.Equal(BpfErrno.EINVAL, outer.Update(1, (uint)inner.Fd, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EINVAL, outer.Update(1, (uint)inner.Fd, BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.EINVAL, outer.Update(5, (uint)inner.Fd, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.EINVAL, outer.Update(1, 1000, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.E2BIG, outer.Update(5, 1000));
        Assert.Equal(BpfErrno.EBADF, outer.Update(1, 1000));
        Assert.Equal(BpfErrno.EINVAL, outer.Update(1, 0));
        Assert.Equal(BpfErrno.EINVAL, outer.Update(1, (uint)inner.Fd, BpfUpdateFlags.Lock));
        Assert.Equal(BpfErrno.E2BIG, outer.Delete(2));
        Assert.Equal(BpfErrno.ENOENT, outer.Delete(1));
    }

    [Fact]
    public void Hash_of_maps_checks_the_fd_before_the_flags()
    {
        using BpfMap outer = Outer(HashOfMaps, 2);
        using BpfMap inner = _rt.Create(BpfMapType.Array, 4, 8, 4);
        Assert.Equal(BpfErrno.EBADF, outer.Update(8, 1000, (BpfUpdateFlags)3));
        Assert.Equal(BpfErrno.EINVAL, outer.Update(8, (uint)inner.Fd, (BpfUpdateFlags)3));
        // BPF_F_LOCK is refused by the system call before the map sees the fd.
        Assert.Equal(BpfErrno.EINVAL, outer.Update(8, 1000, BpfUpdateFlags.Lock));
        Assert.Equal(BpfErrno.ENOENT, outer.Update(8, (uint)inner.Fd, BpfUpdateFlags.Exist));
        Assert.Equal(BpfErrno.None, outer.Update(7, (uint)inner.Fd));
        Assert.Equal(BpfErrno.EEXIST, outer.Update(7, (uint)inner.Fd, BpfUpdateFlags.NoExist));
        Assert.Equal(BpfErrno.None, outer.Update(8, (uint)inner.Fd));
        Assert.Equal(BpfErrno.E2BIG, outer.Update(9, (uint)inner.Fd));
        Assert.Equal(BpfErrno.EBADF, outer.Update(9, 1000));
        Assert.Equal(BpfErrno.None, outer.Update(8, (uint)inner.Fd));
        Assert.Equal((BpfErrno.None, inner.Id), outer.LookupU32(8));
        Assert.Equal(BpfErrno.ENOENT, outer.Lookup(9).Errno);
        Assert.Equal(BpfErrno.ENOENT, outer.Delete(9));
        Assert.Equal(BpfErrno.None, outer.Delete(8));
    }

    [Fact]
    public void Inner_maps_must_match_the_template_type_sizes_and_flags()
    {
        using BpfMap outer = Outer(ArrayOfMaps, 4);
        foreach ((BpfMapType type, uint key, uint value, BpfMapFlags flags) in new[]
        {
            (Hash, 4u, 8u, BpfMapFlags.None),
            (PerCpuArray, 4u, 8u, BpfMapFlags.None),
            (BpfMapType.Array, 4u, 16u, BpfMapFlags.None),
            (BpfMapType.Array, 4u, 8u, BpfMapFlags.NumaNode),
            (BpfMapType.Array, 4u, 8u, BpfMapFlags.InnerMap),
        })
        {
            using BpfMap candidate = _rt.Create(type, key, value, 4, flags);
            Assert.Equal(BpfErrno.EINVAL, outer.Update(0, (uint)candidate.Fd));
        }

        // The fd-only flags do not count.
        using BpfMap readOnly = _rt.Create(BpfMapType.Array, 4, 8, 4, BpfMapFlags.RdOnly);
        Assert.Equal(BpfErrno.None, outer.Update(0, (uint)readOnly.Fd));
    }

    [Fact]
    public void Max_entries_must_match_only_for_arrays_without_inner_map_and_for_xsk_maps()
    {
        using BpfMap arrays = Outer(ArrayOfMaps, 2, BpfMapType.Array, 4);
        using BpfMap bigArray = _rt.Create(BpfMapType.Array, 4, 8, 8);
        Assert.Equal(BpfErrno.EINVAL, arrays.Update(0, (uint)bigArray.Fd));

        using BpfMap flexibleArrays = Outer(ArrayOfMaps, 2, BpfMapType.Array, 4, BpfMapFlags.InnerMap);
        using BpfMap bigFlexible = _rt.Create(BpfMapType.Array, 4, 8, 8, BpfMapFlags.InnerMap);
        Assert.Equal(BpfErrno.None, flexibleArrays.Update(0, (uint)bigFlexible.Fd));

        using BpfMap hashes = Outer(HashOfMaps, 2, Hash, 4);
        using BpfMap bigHash = _rt.Create(Hash, 4, 8, 100);
        Assert.Equal(BpfErrno.None, hashes.Update(0, (uint)bigHash.Fd));

        using BpfMap xskTemplate = _rt.Create(XskMap, 4, 4, 4);
        using BpfMap xsks = _rt.Create(ArrayOfMaps, 4, 4, 2, innerMapFd: xskTemplate.Fd);
        using BpfMap bigXsk = _rt.Create(XskMap, 4, 4, 8);
        using BpfMap sameXsk = _rt.Create(XskMap, 4, 4, 4);
        Assert.Equal(BpfErrno.EINVAL, xsks.Update(0, (uint)bigXsk.Fd));
        Assert.Equal(BpfErrno.None, xsks.Update(0, (uint)sameXsk.Fd));
    }

    [Fact]
    public void An_inner_map_lives_while_a_slot_holds_it_and_is_freed_when_released()
    {
        using BpfMap outer = Outer(HashOfMaps, 4);
        BpfMap inner = _rt.Create(BpfMapType.Array, 4, 8, 4);
        uint id = inner.Id;
        Assert.Equal(BpfErrno.None, outer.Update(1, (uint)inner.Fd));
        Assert.Equal(BpfErrno.None, outer.Update(2, (uint)inner.Fd));
        inner.Dispose();

        using (BpfMap reopened = _rt.OpenById(id))
        {
            Assert.Equal(BpfErrno.None, reopened.Update(0, new byte[8]));
        }

        Assert.Equal(BpfErrno.None, outer.Delete(1));
        Assert.Equal(BpfErrno.None, _rt.TryOpenById(id, out BpfMap? stillThere));
        stillThere!.Dispose();

        using BpfMap replacement = _rt.Create(BpfMapType.Array, 4, 8, 4);
        Assert.Equal(BpfErrno.None, outer.Update(2, (uint)replacement.Fd));
        Assert.Equal(BpfErrno.ENOENT, _rt.TryOpenById(id, out _));
    }

    [Fact]
    public void Freeing_an_outer_map_releases_its_inner_maps()
    {
        int before = Emulated.LiveMapCount;
        BpfMap outer = Outer(ArrayOfMaps, 4);
        BpfMap inner = _rt.Create(BpfMapType.Array, 4, 8, 4);
        uint innerId = inner.Id;
        Assert.Equal(BpfErrno.None, outer.Update(3, (uint)inner.Fd));
        inner.Dispose();
        Assert.Equal(before + 2, Emulated.LiveMapCount);

        outer.Dispose();
        Assert.Equal(before, Emulated.LiveMapCount);
        Assert.Equal(BpfErrno.ENOENT, _rt.TryOpenById(innerId, out _));
    }

    [Fact]
    public void A_batch_update_stops_at_the_first_failure_and_says_how_many_were_written()
    {
        using BpfMap outer = Outer(ArrayOfMaps, 4);
        using BpfMap inner = _rt.Create(BpfMapType.Array, 4, 8, 4);
        byte[] keys = [.. Kernel.U32(0), .. Kernel.U32(1), .. Kernel.U32(7)];
        byte[] values = [.. Kernel.U32(inner.Fd), .. Kernel.U32(1000), .. Kernel.U32(inner.Fd)];
        Assert.Equal(BpfErrno.EBADF, outer.UpdateBatch(keys, values, 3, BpfUpdateFlags.Any, out int written));
        Assert.Equal(1, written);
        Assert.Equal((BpfErrno.None, inner.Id), outer.LookupU32(0));
        Assert.Equal(BpfErrno.ENOENT, outer.Lookup(1).Errno);

        // elem_flags may only be BPF_F_LOCK, which needs a spin lock.
        Assert.Equal(BpfErrno.EINVAL, outer.UpdateBatch(keys, values, 3, BpfUpdateFlags.NoExist, out written));
        Assert.Equal(0, written);

        byte[] good = [.. Kernel.U32(inner.Fd), .. Kernel.U32(inner.Fd)];
        Assert.Equal(BpfErrno.None, outer.UpdateBatch(keys.AsSpan(0, 8), good, 2, BpfUpdateFlags.Any, out written));
        Assert.Equal(2, written);
    }
}
