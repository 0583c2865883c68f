using MapGen.CompilerServices;

namespace MapGen.Tests.TypedApi;

/// <summary>Views of mappable arrays (<c>BPF_F_MMAPABLE</c>) on the emulated runtime.</summary>
public sealed class ArrayViewTests : IDisposable
{
    private readonly BpfRuntime _runtime = BpfRuntime.CreateEmulated();

    public void Dispose() => _runtime.Dispose();

    [Fact]
    public void A_view_and_the_system_calls_see_the_same_values()
    {
        using SharedCounters counters = SharedCounters.Create(_runtime);
        using BpfContiguousArrayView<ulong> view = counters.CreateView();
        Assert.Equal(64, view.Length);
        Assert.Equal(8, view.Stride);

        view[3] = 42;
        Assert.Equal(42ul, counters.Lookup(3));
        counters.Update(5, 7);
        Assert.Equal(7ul, view[5]);

        Span<ulong> all = view.Span;
        Assert.Equal(64, all.Length);
        all.Fill(9);
        Assert.Equal(Enumerable.Repeat(9ul, 64), counters.Entries.Select(e => e.Value));
        Interlocked.Increment(ref view[0]);
        Assert.Equal(10ul, counters.Lookup(0));
    }

    [Fact]
    public void Values_whose_size_is_no_multiple_of_8_lie_8_byte_aligned()
    {
        using SharedSamples samples = SharedSamples.Create(_runtime);
        using BpfArrayView<Sample> view = samples.CreateView();
        Assert.IsNotType<BpfContiguousArrayView<Sample>>(view);
        Assert.Equal(16, view.Stride);
        Assert.Equal(16, view.Length);

        view[15] = new Sample { Packets = 1, Bytes = 2, Drops = 3 };
        view[14].Drops = 99;
        Assert.Equal(new Sample { Packets = 1, Bytes = 2, Drops = 3 }, samples.Lookup(15));
        Assert.Equal(99u, samples.Lookup(14).Drops);
        samples.Update(0, new Sample { Packets = 5 });

        var copy = new Sample[16];
        view.CopyTo(copy);
        Assert.Equal(5u, copy[0].Packets);
        Assert.Equal(99u, copy[14].Drops);
        Assert.Throws<ArgumentException>(() => view.CopyTo(new Sample[15]));
    }

    [Fact]
    public void A_view_outlives_the_handle_it_came_from_and_refuses_access_once_disposed()
    {
        SharedCounters counters = SharedCounters.Create(_runtime);
        uint id = counters.Map.Id;
        BpfContiguousArrayView<ulong> view = counters.CreateView();
        counters.Dispose();

        // The lease keeps the mapping, and with it the map, as in the kernel: no fd is left, yet
        // the view still reads and writes the map, which can be opened by ID.
        view[1] = 11;
        using (SharedCounters reopened = FromId(id))
        {
            Assert.Equal(11ul, reopened.Lookup(1));
        }

        Assert.Throws<ObjectDisposedException>(() => counters.CreateView());

        view.Dispose();
        view.Dispose();
        Assert.True(view.IsDisposed);
        // The last view let go of the map: nothing holds it any more.
        Assert.Equal(BpfErrno.ENOENT, _runtime.TryOpenById(id, out _));
        Assert.Throws<ObjectDisposedException>(() => view[1]);
        Assert.Throws<ObjectDisposedException>(() => view.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => default(SharedCounters).CreateView());
    }

    [Fact]
    public void The_mapping_goes_with_the_last_view_and_a_new_view_maps_again()
    {
        using SharedCounters counters = SharedCounters.Create(_runtime);
        BpfContiguousArrayView<ulong> first = counters.CreateView();
        first[2] = 22;
        first.Dispose();
        using BpfContiguousArrayView<ulong> second = counters.CreateView();
        Assert.Equal(22ul, second[2]);
    }

    [Fact]
    public void Several_views_of_one_map_share_its_values_and_bounds_are_checked()
    {
        using SharedCounters counters = SharedCounters.Create(_runtime);
        using BpfContiguousArrayView<ulong> first = counters.CreateView();
        using BpfContiguousArrayView<ulong> second = counters.CreateView();
        first[63] = 5;
        Assert.Equal(5ul, second[63]);
        Assert.Throws<ArgumentOutOfRangeException>(() => first[64]);
        Assert.Throws<ArgumentOutOfRangeException>(() => first[-1]);
    }

    [Fact]
    public void Maps_the_kernel_would_not_map_writable_are_refused_with_its_errno()
    {
        Assert.Equal(BpfErrno.EINVAL, MapError(BpfMapType.Array, BpfMapFlags.None));
        Assert.Equal(BpfErrno.EACCES, MapError(BpfMapType.Array, BpfMapFlags.Mmapable | BpfMapFlags.RdOnlyProg));
        // The creating fd of a BPF_F_RDONLY map is read-only: no writable mapping through it.
        Assert.Equal(BpfErrno.EACCES, MapError(BpfMapType.Array, BpfMapFlags.Mmapable | BpfMapFlags.RdOnly));
        Assert.Equal(BpfErrno.ENOTSUPP, MapError(BpfMapType.PerCpuArray, BpfMapFlags.None, viewOf: 8));
        Assert.Equal(BpfErrno.ENOTSUPP, MapError(BpfMapType.Hash, BpfMapFlags.None, viewOf: 8));

        BpfException e = Assert.Throws<BpfException>(() => View(BpfMapType.Array, BpfMapFlags.None));
        Assert.Contains("BpfMapFlags.Mmapable", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_view_of_another_value_type_is_refused()
    {
        using BpfMap map = _runtime.CreateMap(new BpfMapSpec("a", BpfMapType.Array, 4, 4, 4, BpfMapFlags.Mmapable));
        Assert.Throws<ArgumentException>(() => DataMapOperations.CreateView<ulong>(map, "a"));
        Assert.Throws<ArgumentException>(() => DataMapOperations.CreateContiguousView<uint>(map, "a"));
        using BpfArrayView<uint> view = DataMapOperations.CreateView<uint>(map, "a");
        Assert.Equal(8, view.Stride);
    }

    private SharedCounters FromId(uint id) => SharedCounters.FromMap(_runtime.OpenById(id));

    private BpfErrno MapError(BpfMapType type, BpfMapFlags flags, int viewOf = 8) =>
        Assert.Throws<BpfException>(() => View(type, flags, viewOf)).Errno;

    private void View(BpfMapType type, BpfMapFlags flags, int viewOf = 8)
    {
        uint keySize = 4;
        Assert.Equal(BpfErrno.None, _runtime.TryCreateMap(new BpfMapCreateOptions { Type = type, KeySize = keySize, ValueSize = (uint)viewOf, MaxEntries = 4, Flags = flags }, out BpfMap? map));
        using (map)
        {
            // The type check of CreateView comes first for per-CPU maps; reach the mapping through the raw layer.
            map!.AcquireMappedValues().Release();
        }
    }
}
