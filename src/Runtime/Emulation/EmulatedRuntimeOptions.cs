using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace MapGen.Emulation;

/// <summary>
/// What the machine emulated by <see cref="BpfRuntime.CreateEmulated"/> looks like: how many CPUs
/// it may have (per-CPU maps hold one value for each) and which network interfaces exist
/// (<see cref="BpfMapType.DevMap"/> values must name one).
/// </summary>
public sealed class EmulatedRuntimeOptions
{
    /// <summary>The most possible CPUs an emulated runtime may have.</summary>
    public const int MaxPossibleCpus = 4096;

    private static readonly EmulatedNetworkInterface[] s_loopbackOnly = [new EmulatedNetworkInterface("lo", 1)];

    /// <summary>The machine's possible CPUs (Linux: <c>/sys/devices/system/cpu/possible</c>; elsewhere the processor count).</summary>
    private static readonly int s_hostPossibleCpus = DefaultPossibleCpus(PossibleCpuList.ReadHost(), Environment.ProcessorCount);

    private static readonly string[] s_defaultBpffs = ["/sys/fs/bpf"];

    private readonly int _possibleCpus = s_hostPossibleCpus;
    private readonly IReadOnlyList<EmulatedNetworkInterface> _networkInterfaces = s_loopbackOnly;
    private readonly IReadOnlyList<string> _bpffsMountPoints = s_defaultBpffs;

    /// <summary>
    /// The number of possible CPUs (the kernel's <c>num_possible_cpus()</c>). Default: this
    /// machine's, on Linux the CPUs listed in <c>/sys/devices/system/cpu/possible</c> (not
    /// <see cref="Environment.ProcessorCount"/>, which affinity and container limits lower);
    /// elsewhere, or when that file cannot be read, <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 1 and <see cref="MaxPossibleCpus"/>.</exception>
    public int PossibleCpus
    {
        get => _possibleCpus;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxPossibleCpus);
            _possibleCpus = value;
        }
    }

    /// <summary>
    /// The network interfaces that exist, by name and ifindex. Default: <c>lo</c> with ifindex 1.
    /// </summary>
    /// <exception cref="ArgumentException">An interface is null, has an ifindex below 1 or an empty name, or two share an ifindex.</exception>
    public IReadOnlyList<EmulatedNetworkInterface> NetworkInterfaces
    {
        get => _networkInterfaces;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            var copy = new EmulatedNetworkInterface[value.Count];
            var seen = new HashSet<int>();
            for (int i = 0; i < copy.Length; i++)
            {
                EmulatedNetworkInterface iface = value[i] ?? throw new ArgumentException("A network interface is null.", nameof(value));
                if (iface.IfIndex < 1)
                {
                    throw new ArgumentException($"Interface '{iface.Name}' has ifindex {iface.IfIndex}; ifindexes start at 1.", nameof(value));
                }

                if (string.IsNullOrEmpty(iface.Name))
                {
                    throw new ArgumentException($"The interface with ifindex {iface.IfIndex} has no name.", nameof(value));
                }

                if (!seen.Add(iface.IfIndex))
                {
                    throw new ArgumentException($"Two interfaces have ifindex {iface.IfIndex}.", nameof(value));
                }

                copy[i] = iface;
            }

            _networkInterfaces = copy;
        }
    }

    /// <summary>
    /// The directories where a bpf filesystem is mounted. Pins must lie below one of them: the
    /// kernel refuses a pin anywhere else with <see cref="BpfErrno.EPERM"/>, and nothing can be
    /// opened there. Directories below a mount point are taken to exist (the emulation has no
    /// <c>mkdir</c>). Default: <c>/sys/fs/bpf</c>, where Linux mounts bpffs.
    /// </summary>
    /// <exception cref="ArgumentException">A mount point is null, not absolute, or holds a NUL.</exception>
    public IReadOnlyList<string> BpffsMountPoints
    {
        get => _bpffsMountPoints;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            var copy = new string[value.Count];
            for (int i = 0; i < copy.Length; i++)
            {
                string mount = value[i] ?? throw new ArgumentException("A bpffs mount point is null.", nameof(value));
                if (!mount.StartsWith('/') || mount.Contains('\0', StringComparison.Ordinal))
                {
                    throw new ArgumentException($"The bpffs mount point '{mount}' is not an absolute path.", nameof(value));
                }

                copy[i] = mount;
            }

            _bpffsMountPoints = copy;
        }
    }

    /// <summary>The default possible CPUs: the host's list when there is one, else the processor count, within 1..<see cref="MaxPossibleCpus"/>.</summary>
    internal static int DefaultPossibleCpus(int? hostPossibleCpus, int processorCount) =>
        Math.Clamp(hostPossibleCpus ?? processorCount, 1, MaxPossibleCpus);

    /// <summary>
    /// Options that copy this machine: on Linux the possible CPUs from
    /// <c>/sys/devices/system/cpu/possible</c> (counted as libbpf does: the CPUs of every range) and the
    /// interfaces from <c>/sys/class/net/*/ifindex</c>; elsewhere, or when those cannot be read,
    /// the defaults.
    /// </summary>
    public static EmulatedRuntimeOptions FromHost()
    {
        var options = new EmulatedRuntimeOptions();
        if (!OperatingSystem.IsLinux())
        {
            return options;
        }

        int? cpus = PossibleCpuList.ReadHost();
        IReadOnlyList<EmulatedNetworkInterface>? interfaces = ReadHostInterfaces();
        return new EmulatedRuntimeOptions
        {
            PossibleCpus = cpus is { } n ? Math.Min(n, MaxPossibleCpus) : options.PossibleCpus,
            NetworkInterfaces = interfaces is { Count: > 0 } ? interfaces : options.NetworkInterfaces,
        };
    }

    private static List<EmulatedNetworkInterface>? ReadHostInterfaces()
    {
        const string root = "/sys/class/net";
        if (!Directory.Exists(root))
        {
            return null;
        }

        var result = new List<EmulatedNetworkInterface>();
        var seen = new HashSet<int>();
        try
        {
            foreach (string dir in Directory.EnumerateDirectories(root))
            {
                string? text = TryReadText(Path.Combine(dir, "ifindex"));
                if (text is not null
                    && int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int ifindex)
                    && ifindex > 0 && seen.Add(ifindex))
                {
                    result.Add(new EmulatedNetworkInterface(Path.GetFileName(dir), ifindex));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        result.Sort((a, b) => a.IfIndex.CompareTo(b.IfIndex));
        return result;
    }

    private static string? TryReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>A network interface of the emulated machine.</summary>
/// <param name="Name">The interface name, such as <c>lo</c> or <c>eth0</c>.</param>
/// <param name="IfIndex">The interface index (1 or more), as <c>if_nametoindex</c> gives it.</param>
public sealed record EmulatedNetworkInterface(string Name, int IfIndex);
