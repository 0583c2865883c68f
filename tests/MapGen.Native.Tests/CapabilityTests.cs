using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using static MapGen.Native.Tests.Bytes;

namespace MapGen.Native.Tests;

/// <summary>
/// What happens without the capabilities SPEC section 6 lists. Linux keeps capabilities per
/// thread, so each case runs on a thread of its own that drops some from its effective set
/// (capset(2)); the rest of the test process keeps them.
/// </summary>
public sealed class CapabilityTests
{
    private const int CapNetAdmin = 12;
    private const int CapSysAdmin = 21;
    private const int CapBpf = 39;

    [Fact]
    public void Without_CAP_BPF_and_CAP_SYS_ADMIN_the_runtime_explains_what_is_missing()
    {
        Kernel.RequireBpfAndSysAdmin();
        string unprivileged = File.ReadAllText("/proc/sys/kernel/unprivileged_bpf_disabled").Trim();
        Exception? failure = ThreadCapabilities.RunWithout(NativeSupport.EvaluateNow, CapBpf, CapSysAdmin, CapNetAdmin);
        if (unprivileged == "0")
        {
            // Unprivileged BPF is allowed here: an array needs no capability.
            Assert.Null(failure);
            return;
        }

        BpfException e = Assert.IsType<BpfException>(failure);
        Assert.Equal(BpfErrno.EPERM, e.Errno);
        Assert.Contains("lacks CAP_BPF, CAP_SYS_ADMIN, CAP_NET_ADMIN", e.Message, StringComparison.Ordinal);
        Assert.Contains($"kernel.unprivileged_bpf_disabled is {unprivileged}", e.Message, StringComparison.Ordinal);
        Assert.Contains("setcap", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CAP_BPF_without_CAP_SYS_ADMIN_creates_maps_but_cannot_open_them_by_id()
    {
        Kernel.RequireBpfAndSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        using BpfMap map = Create(rt, BpfMapType.Hash, 4, 4, 4);
        (Exception? failure, BpfErrno create, BpfErrno openById) = ThreadCapabilities.RunWithout(() =>
        {
            BpfErrno created = TryCreate(rt, BpfMapType.Hash, 4, 4, 4);
            BpfErrno opened = rt.TryOpenById(map.Id, out BpfMap? byId);
            byId?.Dispose();
            return (NativeSupport.EvaluateNow(), created, opened);
        }, CapSysAdmin);

        Assert.Null(failure);
        Assert.Equal(BpfErrno.None, create);
        Assert.Equal(BpfErrno.EPERM, openById);
    }

    [Fact]
    public void DevMap_needs_CAP_NET_ADMIN_or_CAP_SYS_ADMIN()
    {
        Kernel.RequireBpfAndSysAdmin();
        using BpfRuntime rt = Kernel.Runtime();
        BpfErrno withoutNetAdmin = ThreadCapabilities.RunWithout(() => TryCreate(rt, BpfMapType.DevMap, 4, 4, 4), CapNetAdmin);
        BpfErrno withoutBoth = ThreadCapabilities.RunWithout(() => TryCreate(rt, BpfMapType.DevMap, 4, 4, 4), CapNetAdmin, CapSysAdmin);
        Assert.Equal(BpfErrno.None, withoutNetAdmin);
        Assert.Equal(BpfErrno.EPERM, withoutBoth);
    }
}

/// <summary>Runs code on a thread whose effective capability set lacks the given capabilities.</summary>
internal static unsafe class ThreadCapabilities
{
    private const uint LinuxCapabilityVersion3 = 0x20080522;

    [StructLayout(LayoutKind.Sequential)]
    private struct Header
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Data
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    public static T RunWithout<T>(Func<T> action, params int[] capabilities)
    {
        (nint capget, nint capset) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => ((nint)125, (nint)126),
            Architecture.Arm64 => ((nint)90, (nint)91),
            _ => ((nint)(-1), (nint)(-1)),
        };
        if (capget < 0)
        {
            Assert.Skip($"capget/capset numbers unknown for {RuntimeInformation.ProcessArchitecture}");
        }

        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            Header header = new() { Version = LinuxCapabilityVersion3 };
            Data* data = stackalloc Data[2];
            Assert.Equal(0, (int)LibC.Syscall(capget, (nint)(&header), (nint)data, 0));
            Data saved0 = data[0];
            Data saved1 = data[1];
            foreach (int capability in capabilities)
            {
                data[capability / 32].Effective &= ~(1U << (capability % 32));
            }

            Assert.Equal(0, (int)LibC.Syscall(capset, (nint)(&header), (nint)data, 0));
            try
            {
                result = action();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                // The capabilities are still permitted: raise them again before the thread ends.
                data[0] = saved0;
                data[1] = saved1;
                LibC.Syscall(capset, (nint)(&header), (nint)data, 0);
            }
        });
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }
}
