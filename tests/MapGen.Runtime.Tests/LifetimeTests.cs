using MapGen.Emulation;
using MapGen.Runtime.Tests.Support;

namespace MapGen.Runtime.Tests;

/// <summary>The emulated kernel's fd table, IDs, pins and reference counts.</summary>
public sealed class LifetimeTests : IDisposable
{
    private readonly BpfRuntime _rt = Kernel.Runtime();

    public void Dispose() => _rt.Dispose();

    private int LiveMaps => ((EmulatedRuntime)_rt).LiveMapCount;

    private BpfMap NewArray() => _rt.Create(BpfMapType.Array, 4, 4, 4);

    [Fact]
    public void Fds_start_at_3_and_the_lowest_free_one_is_reused()
    {
        using BpfMap a = NewArray();
        BpfMap b = NewArray();
        using BpfMap c = NewArray();
        Assert.Equal((3, 4, 5), (a.Fd, b.Fd, c.Fd));
        b.Dispose();
        using BpfMap d = NewArray();
        Assert.Equal(4, d.Fd);
        using BpfMap e = d.Duplicate();
        Assert.Equal(6, e.Fd);
    }

    [Fact]
    public void Ids_start_at_1_and_are_never_reused()
    {
        BpfMap first = NewArray();
        Assert.Equal(1u, first.Id);
        first.Dispose();
        using BpfMap second = NewArray();
        Assert.Equal(2u, second.Id);
        Assert.Equal(BpfErrno.ENOENT, _rt.TryOpenById(1, out _));
        Assert.Equal(BpfErrno.ENOENT, _rt.TryOpenById(0, out _));
    }

    [Fact]
    public void A_map_lives_while_an_fd_or_a_pin_holds_it()
    {
        int before = LiveMaps;
        BpfMap map = NewArray();
        uint id = map.Id;
        BpfMap duplicate = map.Duplicate();
        Assert.Equal(id, duplicate.Id);
        Assert.NotEqual(map.Fd, duplicate.Fd);
        map.Pin("/sys/fs/bpf/emulated/one");
        map.Dispose();
        duplicate.Dispose();
        Assert.Equal(before + 1, LiveMaps);

        using (BpfMap pinned = _rt.OpenPinned("/sys/fs/bpf/emulated/one"))
        {
            Assert.Equal(id, pinned.Id);
            Assert.True(pinned.IsOwned);
            pinned.Unpin("/sys/fs/bpf/emulated/one");
            Assert.Equal(BpfErrno.None, pinned.Update(0, 7));
        }

        Assert.Equal(before, LiveMaps);
        Assert.Equal(BpfErrno.ENOENT, _rt.TryOpenById(id, out _));
    }

    [Fact]
    public void Pins_follow_the_kernels_errnos()
    {
        using BpfMap map = NewArray();
        using BpfMap other = NewArray();
        map.Pin("/sys/fs/bpf/pins/a");
        BpfException exists = Assert.Throws<BpfException>(() => other.Pin("/sys/fs/bpf/pins/a"));
        Assert.Equal(BpfErrno.EEXIST, exists.Errno);
        Assert.Equal(BpfErrno.ENOENT, _rt.TryOpenPinned("/sys/fs/bpf/pins/missing", out _));
        Assert.Equal(BpfErrno.ENOENT, _rt.UnlinkPin("/sys/fs/bpf/pins/missing"));
        Assert.Equal(BpfErrno.EINVAL, Assert.Throws<BpfException>(() => map.Pin("relative/path")).Errno);
        // Unpin through another map's handle is refused; through the map's own it works.
        Assert.Throws<BpfException>(() => other.Unpin("/sys/fs/bpf/pins/a"));
        map.Unpin("/sys/fs/bpf/pins/a");
        Assert.Equal(BpfErrno.ENOENT, _rt.TryOpenPinned("/sys/fs/bpf/pins/a", out _));
    }

    [Fact]
    public void Handles_report_the_map_and_close_once()
    {
        BpfMap map = _rt.Create(BpfMapType.Hash, 8, 16, 32, name: "flows");
        Assert.Equal(BpfMapType.Hash, map.Info.Type);
        Assert.Equal((8u, 16u, 32u), (map.Info.KeySize, map.Info.ValueSize, map.Info.MaxEntries));
        Assert.Equal("flows", map.Info.Name);
        Assert.Equal(map.Id, map.Info.Id);
        Assert.True(_rt.IsEmulated);
        map.Dispose();
        map.Dispose();
        Assert.True(map.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => map.TryLookup(new byte[8], new byte[16]));
    }

    [Fact]
    public void A_borrowed_handle_is_closed_only_by_its_owner()
    {
        using BpfMap map = NewArray();
        Assert.Equal(BpfErrno.None, _rt.TryOpenBorrowedById(map.Id, out BpfMap? borrowed));
        Assert.False(borrowed!.IsOwned);
        borrowed.Dispose();
        Assert.False(borrowed.IsDisposed);
        Assert.Equal(BpfErrno.None, borrowed.Update(1, 1));
        borrowed.Close();
        Assert.True(borrowed.IsDisposed);
        Assert.Equal((BpfErrno.None, 1u), map.LookupU32(1));
    }

    [Fact]
    public void Disposing_the_runtime_takes_its_maps_with_it()
    {
        BpfRuntime rt = Kernel.Runtime();
        BpfMap map = rt.Create(BpfMapType.Array, 4, 4, 4);
        rt.Dispose();
        Assert.True(rt.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => map.Update(0, 1));
        Assert.Throws<ObjectDisposedException>(() => rt.TryOpenById(map.Id, out _));
        map.Dispose();
    }

    [Fact]
    public void CreateMap_builds_and_closes_a_temporary_template_for_outer_maps()
    {
        var inner = new BpfMapSpec("inner", BpfMapType.Array, 4, 8, 4);
        var outer = new BpfMapSpec("outer", BpfMapType.ArrayOfMaps, 4, 4, 2, innerMap: inner);
        int before = LiveMaps;
        using BpfMap map = _rt.CreateMap(outer);
        Assert.Equal(before + 1, LiveMaps);
        Assert.Equal(BpfMapType.ArrayOfMaps, map.Type);

        var invalid = new BpfMapSpec("bad", BpfMapType.Array, 8, 4, 4);
        Assert.Equal(BpfErrno.EINVAL, Assert.Throws<BpfException>(() => _rt.CreateMap(invalid)).Errno);
    }
}
