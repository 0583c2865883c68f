using System.Runtime.InteropServices;
using MapGen.CompilerServices;
using static MapGen.Native.Tests.Bytes;

namespace MapGen.Native.Tests;

/// <summary>Handles: info, pinning, opening pinned maps and by ID, duplicates, checks against a spec.</summary>
public sealed class HandleTests
{
    [Fact]
    public void Info_reports_what_the_kernel_created()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Hash, 12, 20, 33, BpfMapFlags.NoPrealloc, name: "info_check");
        BpfMapInfo info = map.Info;
        Assert.Equal(BpfMapType.Hash, info.Type);
        Assert.Equal(12U, info.KeySize);
        Assert.Equal(20U, info.ValueSize);
        Assert.Equal(33U, info.MaxEntries);
        Assert.Equal(BpfMapFlags.NoPrealloc, info.Flags);
        Assert.Equal("info_check", info.Name);
        Assert.NotEqual(0U, info.Id);
        Assert.Equal(0U, info.BtfId);
        Assert.Equal(0U, info.BtfKeyTypeId);
        Assert.Equal(0U, info.BtfValueTypeId);
        Assert.False(rt.IsEmulated);
        Assert.True(map.IsOwned);
        Assert.True(map.Fd >= 3, "bpf fds are kept above stdin, stdout and stderr.");
        Assert.Contains("FD_CLOEXEC", FdFlags(map.Fd), StringComparison.Ordinal);
    }

    [Fact]
    public void Pin_OpenPinned_and_Unpin()
    {
        using var dir = new BpffsDirectory();
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Hash, 4, 4, 8, name: "pinned");
        Assert.Equal(BpfErrno.None, map.TryUpdate(U32(1), U32(11)));
        string path = dir["pinned"];
        map.Pin(path);

        using (BpfMap opened = rt.OpenPinned(path))
        {
            Assert.Equal(map.Id, opened.Id);
            Assert.Equal(map.Info, opened.Info);
            Assert.NotEqual(map.Fd, opened.Fd);
            byte[] value = new byte[4];
            Assert.Equal(BpfErrno.None, opened.TryLookup(U32(1), value));
            Assert.Equal(11U, ReadU32(value));
        }

        BpfException exists = Assert.Throws<BpfException>(() => map.Pin(path));
        Assert.Equal(BpfErrno.EEXIST, exists.Errno);

        using (BpfMap other = Create(rt, BpfMapType.Array, 4, 4, 1, name: "other"))
        {
            BpfException wrongMap = Assert.Throws<BpfException>(() => other.Unpin(path));
            Assert.Equal(BpfErrno.EINVAL, wrongMap.Errno);
            Assert.True(File.Exists(path));
        }

        map.Unpin(path);
        Assert.False(File.Exists(path));
        Assert.Equal(BpfErrno.ENOENT, rt.TryOpenPinned(path, out _));
        Assert.Equal(BpfErrno.ENOENT, Assert.Throws<BpfException>(() => map.Unpin(path)).Errno);
    }

    [Fact]
    public void Pinning_outside_bpffs_is_refused()
    {
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Array, 4, 4, 1);
        string path = Path.Combine(Path.GetTempPath(), $"mapgen-not-bpffs-{Guid.NewGuid():N}");
        BpfException e = Assert.Throws<BpfException>(() => map.Pin(path));
        Assert.Equal(BpfErrno.EPERM, e.Errno);
        Assert.False(File.Exists(path));
        Assert.Equal(BpfErrno.EINVAL, Assert.Throws<BpfException>(() => map.Pin("/sys/fs/bpf/bad\0name")).Errno);
    }

    [Fact]
    public void OpenById_opens_the_same_map_and_unknown_ids_are_ENOENT()
    {
        Kernel.RequireSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Array, 4, 8, 2, name: "by_id");
        using BpfMap opened = rt.OpenById(map.Id);
        Assert.Equal(map.Info, opened.Info);
        Assert.True(opened.IsOwned);
        Assert.Equal(BpfErrno.None, opened.TryUpdate(U32(1), U64(42)));
        byte[] value = new byte[8];
        Assert.Equal(BpfErrno.None, map.TryLookup(U32(1), value));
        Assert.Equal(42UL, ReadU64(value));

        Assert.Equal(BpfErrno.ENOENT, rt.TryOpenById(uint.MaxValue - 1, out BpfMap? none));
        Assert.Null(none);
        Assert.Equal(BpfErrno.ENOENT, Assert.Throws<BpfException>(() => rt.OpenById(uint.MaxValue - 1)).Errno);
    }

    [Fact]
    public void Duplicate_is_an_owned_handle_that_outlives_the_original()
    {
        using BpfRuntime rt = Kernel.Runtime();
        BpfMap original = Create(rt, BpfMapType.Hash, 4, 4, 4, name: "dup");
        using BpfMap duplicate = original.Duplicate();
        Assert.NotEqual(original.Fd, duplicate.Fd);
        Assert.Equal(original.Info, duplicate.Info);
        Assert.True(duplicate.IsOwned);
        Assert.Contains("FD_CLOEXEC", FdFlags(duplicate.Fd), StringComparison.Ordinal);

        original.Dispose();
        Assert.Throws<ObjectDisposedException>(() => original.TryLookup(U32(1), new byte[4]));
        Assert.Equal(BpfErrno.None, duplicate.TryUpdate(U32(1), U32(2)));
    }

    [Fact]
    public void Open_checks_the_pinned_map_against_the_spec_and_names_the_differing_fields()
    {
        using var dir = new BpffsDirectory();
        using BpfRuntime rt = Kernel.Runtime();
        string path = dir["counters"];
        using (Counters created = Counters.OpenOrCreate(rt, path))
        {
            Assert.True(File.Exists(path));
            using Counters again = Counters.OpenOrCreate(rt, path);
            Assert.Equal(created.Map.Id, again.Map.Id);
        }

        var otherSize = new BpfMapSpec("counters", BpfMapType.Hash, 4, 16, 32);
        BpfMapMismatchException e = Assert.Throws<BpfMapMismatchException>(() => MapOperations.Open(rt, path, otherSize));
        Assert.Equal(["ValueSize", "MaxEntries"], e.Mismatches.Select(m => m.Field));
        BpfMapFieldMismatch maxEntries = e.Mismatches[1];
        Assert.Equal("32", maxEntries.Expected);
        Assert.Equal("16", maxEntries.Actual);
        Assert.Contains("MaxEntries is 16, expected 32", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);

        // The name is not compared; the kernel-added DevMap flag and fd-only flags are left out.
        using (BpfMap renamed = MapOperations.Open(rt, path, Counters.Spec.WithName("another_name")))
        {
            Assert.Equal("counters", renamed.Name);
        }
    }

    [Fact]
    public void FromMap_checks_a_handle_and_leaves_it_open_on_mismatch()
    {
        Kernel.RequireNetAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap devMap = Create(rt, BpfMapType.DevMap, 4, 4, 8, name: "ports");
        Assert.NotEqual(BpfMapFlags.None, devMap.Info.Flags);
        BpfMap checkedMap = MapOperations.FromMap(devMap, new BpfMapSpec("ports", BpfMapType.DevMap, 4, 4, 8));
        Assert.Same(devMap, checkedMap);

        BpfMapMismatchException e = Assert.Throws<BpfMapMismatchException>(() =>
            MapOperations.FromMap(devMap, new BpfMapSpec("ports", BpfMapType.DevMapHash, 4, 4, 8, BpfMapFlags.NumaNode)));
        Assert.Equal(["Type", "Flags"], e.Mismatches.Select(m => m.Field));
        Assert.False(devMap.IsDisposed);
    }

    /// <summary>Whether the fd is close-on-exec, from the octal <c>flags:</c> of its fdinfo (O_CLOEXEC is 02000000).</summary>
    private static string FdFlags(int fd)
    {
        string line = File.ReadLines($"/proc/self/fdinfo/{fd}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        ulong flags = Convert.ToUInt64(line["flags:".Length..].Trim(), 8);
        return (flags & 0x80000) != 0 ? "FD_CLOEXEC" : $"flags {line}";
    }
}

/// <summary>A minimal BPF program, to have a pinned object that is not a map.</summary>
internal static unsafe class Programs
{
    [StructLayout(LayoutKind.Explicit, Size = 48)]
    private struct ProgLoadAttr
    {
        [FieldOffset(0)] public uint ProgType;
        [FieldOffset(4)] public uint InsnCount;
        [FieldOffset(8)] public ulong Insns;
        [FieldOffset(16)] public ulong License;
    }

    /// <summary>A socket filter that returns 0: <c>r0 = 0; exit</c>.</summary>
    public static SafeBpfHandle LoadSocketFilter()
    {
        ulong* insns = stackalloc ulong[2];
        insns[0] = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K, r0, imm 0
        insns[1] = 0x95; // BPF_JMP | BPF_EXIT
        byte* license = stackalloc byte[] { (byte)'G', (byte)'P', (byte)'L', 0 };
        ProgLoadAttr attr = default;
        attr.ProgType = 1; // BPF_PROG_TYPE_SOCKET_FILTER
        attr.InsnCount = 2;
        attr.Insns = (ulong)insns;
        attr.License = (ulong)license;
        BpfErrno errno = BpfSyscall.Invoke(BpfCommand.ProgLoad, &attr, sizeof(ProgLoadAttr), out int fd);
        Assert.Equal(BpfErrno.None, errno);
        return new SafeBpfHandle(fd);
    }
}

/// <summary>
/// Checks that need the process's fd count to hold still, so they run with no other test
/// (see <see cref="FdCounting"/>).
/// </summary>
[Collection(nameof(FdCounting))]
public sealed class PinnedProgramTests
{
    [Fact]
    public void OpenPinned_refuses_a_pinned_program_with_EINVAL()
    {
        using var dir = new BpffsDirectory();
        using BpfRuntime rt = Kernel.Runtime();
        using SafeBpfHandle program = Programs.LoadSocketFilter();
        string path = dir["a_program"];
        Assert.Equal(BpfErrno.None, BpfSyscall.Pin(program.Fd, path));
        int before = Kernel.OpenFdCount();
        Assert.Equal(BpfErrno.EINVAL, rt.TryOpenPinned(path, out BpfMap? map));
        Assert.Null(map);
        Assert.Equal(before, Kernel.OpenFdCount());
        BpfException e = Assert.Throws<BpfException>(() => rt.OpenPinned(path));
        Assert.Equal(BpfErrno.EINVAL, e.Errno);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
