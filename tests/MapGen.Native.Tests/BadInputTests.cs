using Microsoft.Win32.SafeHandles;
using MapGen.CompilerServices;
using static MapGen.Native.Tests.Bytes;

namespace MapGen.Native.Tests;

/// <summary>
/// Bad input at run time, on both runtimes with one body each: every case is a clear exception
/// (the kind, the errno where the kernel gives one, a message that names what was wrong), never a
/// crash, a bare errno or memory corruption. docs/reliability.md lists these cases.
/// </summary>
public sealed class BadInputTests
{
    public static TheoryData<string> Runtimes() => new("emulated", "native");

    private static BpfRuntime Runtime(string kind) => kind == "native" ? Kernel.Runtime() : BpfRuntime.CreateEmulated();

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void Spans_of_the_wrong_size_are_refused_before_any_system_call(string kind)
    {
        using BpfRuntime rt = Runtime(kind);
        using BpfMap map = Create(rt, BpfMapType.Hash, 4, 8, 4);
        ArgumentException key = Assert.Throws<ArgumentException>(() => map.TryLookup(new byte[3], new byte[8]));
        Assert.Contains("3 bytes; map", key.Message, StringComparison.Ordinal);
        Assert.Contains("4-byte keys", key.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => map.TryUpdate(U32(1), new byte[9]));
        Assert.Throws<ArgumentException>(() => map.TryLookupAndDelete(U32(1), []));
        Assert.Throws<ArgumentException>(() => map.TryGetNextKey(U32(1), new byte[5]));
        Assert.Throws<ArgumentException>(() => map.TryDelete([]));

        using CpuCounters perCpu = CpuCounters.Create(rt);
        ArgumentException cpus = Assert.Throws<ArgumentException>(() => perCpu.Update(0, new ulong[rt.PossibleCpus + 1]));
        Assert.Contains("PossibleCpus", cpus.Message, StringComparison.Ordinal);

        using FlowTable flows = FlowTable.Create(rt);
        Assert.Throws<ArgumentException>(() => flows.UpdateBatch([new FlowKey(1, 2, 3, 4, 5)], []));
        Assert.Empty(flows.Entries);
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void Disposed_and_default_handles_throw_ObjectDisposedException(string kind)
    {
        using BpfRuntime rt = Runtime(kind);
        Counters counters = Counters.Create(rt);
        BpfMap raw = counters.Map;
        counters.Dispose();
        Assert.Throws<ObjectDisposedException>(() => counters.Update(1, 1));
        Assert.Throws<ObjectDisposedException>(() => counters.Keys.ToList());
        Assert.Throws<ObjectDisposedException>(() => raw.TryLookup(U32(1), new byte[8]));
        Assert.Throws<ObjectDisposedException>(() => raw.Fd);
        Assert.Throws<ObjectDisposedException>(() => raw.Duplicate());
        Assert.Throws<ObjectDisposedException>(() => Counters.FromMap(raw));

        ObjectDisposedException none = Assert.Throws<ObjectDisposedException>(() => default(Counters).Lookup(1));
        Assert.Contains("it is default", none.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => default(FlowTable).Drain());
        Assert.Throws<ObjectDisposedException>(() => default(MappedCounters).CreateView());

        BpfRuntime gone = Runtime(kind);
        gone.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Counters.Create(gone));
        Assert.Throws<ObjectDisposedException>(() => gone.OpenByFd(3));
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void A_raw_map_of_another_type_is_refused_by_FromMap_naming_each_field(string kind)
    {
        using BpfRuntime rt = Runtime(kind);
        using BpfMap array = Create(rt, BpfMapType.Array, 4, 4, 8);
        BpfMapMismatchException e = Assert.Throws<BpfMapMismatchException>(() => Counters.FromMap(array));
        Assert.Equal(["Type", "ValueSize", "MaxEntries"], e.Mismatches.Select(m => m.Field));
        Assert.Contains("Type is Array, expected Hash", e.Message, StringComparison.Ordinal);
        // The handle stays the caller's and usable.
        Assert.Equal(BpfErrno.None, array.TryUpdate(U32(1), U32(2)));
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void A_pin_outside_bpffs_is_refused_with_EPERM_and_says_where_pins_live(string kind)
    {
        if (kind == "native")
        {
            Kernel.RequireBpfAndSysAdmin();
        }

        using BpfRuntime rt = Runtime(kind);
        using Counters counters = Counters.Create(rt);
        string outside = Path.Combine(Path.GetTempPath(), $"mapgen-{Guid.NewGuid():N}");
        BpfException e = Assert.Throws<BpfException>(() => counters.Pin(outside));
        Assert.Equal(BpfErrno.EPERM, e.Errno);
        Assert.Contains("not in a bpf filesystem", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(outside));
        Assert.Equal(BpfErrno.ENOENT, Assert.Throws<BpfException>(() => rt.OpenPinned(outside)).Errno);
        Assert.Throws<BpfException>(() => Counters.OpenOrCreate(rt, outside));
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void An_fd_that_is_not_a_map_is_refused_by_OpenByFd(string kind)
    {
        using BpfRuntime rt = Runtime(kind);
        BpfException notOpen = Assert.Throws<BpfException>(() => rt.OpenByFd(1_000_000));
        Assert.Equal(BpfErrno.EBADF, notOpen.Errno);
        Assert.Contains("No file descriptor 1000000 is open", notOpen.Message, StringComparison.Ordinal);
        Assert.Equal(BpfErrno.EBADF, rt.TryOpenByFd(-1, out _));

        // Standard input is open, and no map.
        BpfException notMap = Assert.Throws<BpfException>(() => rt.OpenByFd(0));
        Assert.Equal(BpfErrno.EINVAL, notMap.Errno);
        Assert.Contains("is not a BPF map", notMap.Message, StringComparison.Ordinal);

        // A map's fd gives a handle of one's own to the same map, with the fd's rights.
        using Counters counters = Counters.Create(rt);
        counters.Update(1, 10);
        using (BpfMap own = rt.OpenByFd(counters.Map.Fd))
        {
            Assert.NotEqual(counters.Map.Fd, own.Fd);
            Assert.Equal(counters.Map.Id, own.Id);
            Assert.Equal(10UL, Counters.FromMap(own.Duplicate()).Lookup(1));
        }

        Assert.Equal(10UL, counters.Lookup(1));
    }

    [Fact]
    public void A_file_or_a_BTF_object_is_no_map_to_the_native_runtime()
    {
        using BpfRuntime rt = Kernel.Runtime();
        string file = Path.GetTempFileName();
        try
        {
            using SafeFileHandle handle = File.OpenHandle(file, FileMode.Open, FileAccess.ReadWrite);
            Assert.Equal(BpfErrno.EINVAL, rt.TryOpenByFd((int)handle.DangerousGetHandle(), out BpfMap? map));
            Assert.Null(map);
        }
        finally
        {
            File.Delete(file);
        }

        var spec = new BpfMapSpec("btf_only", BpfMapType.Hash, 4, 8, 1) { KeyType = Btf.BtfType.U32, ValueType = Btf.BtfType.U64 };
        using BpfBtf btf = rt.LoadBtf(spec.ToBtf());
        Assert.Equal(BpfErrno.EINVAL, Assert.Throws<BpfException>(() => rt.OpenByFd(btf.Fd)).Errno);
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void A_view_of_a_map_that_cannot_be_mapped_is_refused(string kind)
    {
        using BpfRuntime rt = Runtime(kind);
        using BpfMap plain = Create(rt, BpfMapType.Array, 4, 8, 4);
        BpfException e = Assert.Throws<BpfException>(() => DataMapOperations.CreateView<ulong>(plain, "plain"));
        Assert.Equal(BpfErrno.EINVAL, e.Errno);
        Assert.Contains("BpfMapFlags.Mmapable", e.Message, StringComparison.Ordinal);
        using BpfMap hash = Create(rt, BpfMapType.Hash, 4, 8, 4);
        Assert.Equal(BpfErrno.ENOTSUPP, Assert.Throws<BpfException>(() => DataMapOperations.CreateView<ulong>(hash, "hash")).Errno);
    }
}
