using MapGen.Emulation;
using MapGen.Runtime.Tests.Support;

namespace MapGen.Runtime.Tests;

public sealed class OptionsTests
{
    [Theory]
    [InlineData("0", 1)]
    [InlineData("0-3\n", 4)]
    [InlineData("0,2-5", 5)]
    [InlineData("0-1,7", 3)]
    [InlineData("", null)]
    [InlineData("x", null)]
    [InlineData("0-", null)]
    [InlineData("1,,2", null)]
    [InlineData("3-1", null)]
    public void Possible_cpus_are_the_cpus_listed_as_the_kernel_and_libbpf_count_them(string text, int? expected) =>
        // num_possible_cpus() counts the CPUs of the list, holes left out: not the highest index + 1.
        Assert.Equal(expected, PossibleCpuList.TryParse(text, out int count) ? count : null);

    [Theory]
    [InlineData(4, 1, 4)]
    [InlineData(2, 8, 2)]
    [InlineData(null, 3, 3)]
    [InlineData(5000, 1, EmulatedRuntimeOptions.MaxPossibleCpus)]
    public void The_default_cpus_are_the_hosts_possible_cpus_not_the_processor_count(int? hostPossible, int processorCount, int expected) =>
        // ProcessorCount follows affinity and container limits; per-CPU values follow the possible CPUs.
        Assert.Equal(expected, EmulatedRuntimeOptions.DefaultPossibleCpus(hostPossible, processorCount));

    [Fact]
    public void Defaults_are_this_machines_cpus_and_lo()
    {
        var options = new EmulatedRuntimeOptions();
        int? host = OperatingSystem.IsLinux() && PossibleCpuList.TryParse(File.ReadAllText("/sys/devices/system/cpu/possible"), out int listed) ? listed : null;
        Assert.Equal(Math.Min(host ?? Environment.ProcessorCount, EmulatedRuntimeOptions.MaxPossibleCpus), options.PossibleCpus);
        Assert.Equal([new EmulatedNetworkInterface("lo", 1)], options.NetworkInterfaces);
        using BpfRuntime rt = BpfRuntime.CreateEmulated();
        Assert.Equal(options.PossibleCpus, rt.PossibleCpus);
    }

    [Fact]
    public void Invalid_options_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EmulatedRuntimeOptions { PossibleCpus = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new EmulatedRuntimeOptions { PossibleCpus = 4097 });
        Assert.Throws<ArgumentException>(() => new EmulatedRuntimeOptions { NetworkInterfaces = [new("eth0", 0)] });
        Assert.Throws<ArgumentException>(() => new EmulatedRuntimeOptions { NetworkInterfaces = [new("a", 2), new("b", 2)] });
        Assert.Throws<ArgumentException>(() => new EmulatedRuntimeOptions { NetworkInterfaces = [new("", 2)] });
    }

    [Fact]
    public void The_possible_cpus_size_per_cpu_values()
    {
        using BpfRuntime rt = BpfRuntime.CreateEmulated(new EmulatedRuntimeOptions { PossibleCpus = 3 });
        using BpfMap map = rt.Create(BpfMapType.PerCpuHash, 4, 12, 4);
        Assert.Equal(3 * 16, map.UserValueSize);
    }

    [Fact]
    public void Only_the_configured_interfaces_exist_for_device_maps()
    {
        using BpfRuntime rt = BpfRuntime.CreateEmulated(new EmulatedRuntimeOptions { NetworkInterfaces = [new("eth7", 7)] });
        using BpfMap map = rt.Create(BpfMapType.DevMap, 4, 4, 2);
        Assert.Equal(BpfErrno.EINVAL, map.Update(0, 1));
        Assert.Equal(BpfErrno.None, map.Update(0, 7));
    }

    [Fact]
    public void FromHost_copies_this_machine()
    {
        EmulatedRuntimeOptions options = EmulatedRuntimeOptions.FromHost();
        if (!OperatingSystem.IsLinux() || !File.Exists("/sys/devices/system/cpu/possible"))
        {
            Assert.Equal(new EmulatedRuntimeOptions().PossibleCpus, options.PossibleCpus);
            return;
        }

        Assert.True(PossibleCpuList.TryParse(File.ReadAllText("/sys/devices/system/cpu/possible"), out int possible));
        Assert.Equal(possible, options.PossibleCpus);
        foreach (string dir in Directory.EnumerateDirectories("/sys/class/net"))
        {
            int ifindex = int.Parse(File.ReadAllText(Path.Combine(dir, "ifindex")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains(new EmulatedNetworkInterface(Path.GetFileName(dir), ifindex), options.NetworkInterfaces);
        }
    }
}
