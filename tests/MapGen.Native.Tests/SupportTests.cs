namespace MapGen.Native.Tests;

/// <summary>Platform checks, the possible-CPU list, capability diagnostics and feature probes.</summary>
public sealed class SupportTests
{
    [Theory]
    [InlineData("0", 1)]
    [InlineData("0-3\n", 4)]
    [InlineData("0,2-5", 5)]
    [InlineData("0-1,8", 3)]
    [InlineData(" 0-63 \n", 64)]
    public void Possible_cpus_count_the_cpus_of_the_list(string text, int expected)
    {
        // num_possible_cpus() (and libbpf) count the listed CPUs, not the highest index + 1.
        Assert.True(PossibleCpuList.TryParse(text, out int count));
        Assert.Equal(expected, count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("3-1")]
    [InlineData("0-")]
    [InlineData("0,,1")]
    public void Malformed_cpu_lists_are_refused(string text) =>
        Assert.False(PossibleCpuList.TryParse(text, out _));

    [Fact]
    public void The_permission_message_names_the_missing_capabilities_and_how_to_grant_them()
    {
        // CapEff with CAP_NET_ADMIN (12) only.
        string message = NativeSupport.PermissionMessage(1UL << 12, "2");
        Assert.Contains("lacks CAP_BPF, CAP_SYS_ADMIN", message, StringComparison.Ordinal);
        Assert.DoesNotContain("CAP_NET_ADMIN (CapEff", message, StringComparison.Ordinal);
        Assert.Contains("setcap cap_bpf,cap_net_admin,cap_sys_admin+ep", message, StringComparison.Ordinal);
        Assert.Contains("kernel.unprivileged_bpf_disabled is 2", message, StringComparison.Ordinal);
        Assert.Contains("CreateEmulated", message, StringComparison.Ordinal);

        Assert.Equal(["CAP_BPF", "CAP_SYS_ADMIN", "CAP_NET_ADMIN"], NativeSupport.MissingCapabilities(0));
        Assert.Empty(NativeSupport.MissingCapabilities(ulong.MaxValue));
        Assert.Contains("seccomp", NativeSupport.PermissionMessage(ulong.MaxValue, null), StringComparison.Ordinal);
    }

    [Fact]
    public void The_effective_capabilities_of_this_process_are_read()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("/proc/self/status is Linux's");
        }

        string line = File.ReadLines("/proc/thread-self/status").Single(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        ulong expected = Convert.ToUInt64(line["CapEff:".Length..].Trim(), 16);
        Assert.Equal(expected, NativeSupport.ReadEffectiveCapabilities());
    }

    [Fact]
    public void IsNativeSupported_agrees_with_CreateNative()
    {
        if (BpfRuntime.IsNativeSupported)
        {
            using BpfRuntime rt = BpfRuntime.CreateNative();
            Assert.False(rt.IsEmulated);
            Assert.True(rt.PossibleCpus >= 1);
        }
        else
        {
            Exception e = Assert.ThrowsAny<Exception>(() => BpfRuntime.CreateNative());
            Assert.True(e is PlatformNotSupportedException or BpfException, e.ToString());
            if (Kernel.RequireBpf)
            {
                Assert.Fail($"MAPGEN_REQUIRE_BPF=1 but the native runtime is not supported: {e.Message}");
            }
        }
    }

    [Fact]
    public void Kernel_features_are_probed_from_the_kernel()
    {
        Kernel.RequireNative();
        Version kernel = KernelVersion();
        // The native runtime refuses kernels without BPF_F_INNER_MAP, so a runtime means 5.10+.
        Assert.True(KernelFeatures.InnerMapFlag);
        Assert.True(kernel >= new Version(5, 10), $"kernel {kernel}");
        Assert.Equal(kernel >= new Version(5, 6), KernelFeatures.BatchCommands);
        Assert.Equal(kernel >= new Version(5, 5), KernelFeatures.Mmapable);
        Assert.Equal(kernel >= new Version(6, 0), KernelFeatures.Enum64);
    }

    [Fact]
    public void Disposed_runtimes_refuse_new_maps()
    {
        BpfRuntime rt = Kernel.Runtime();
        rt.Dispose();
        Assert.True(rt.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => rt.CreateMap(Counters.Spec));
    }

    private static Version KernelVersion()
    {
        string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        string[] parts = release.Split('.', '-');
        return new Version(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
