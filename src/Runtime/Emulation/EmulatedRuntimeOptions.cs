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

    private readonly int _possibleCpus = Math.Clamp(Environment.ProcessorCount, 1, MaxPossibleCpus);
    private readonly IReadOnlyList<EmulatedNetworkInterface> _networkInterfaces = s_loopbackOnly;

    /// <summary>
    /// The number of possible CPUs (the kernel's <c>num_possible_cpus()</c>). Default: the number
    /// of processors of this machine.
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
    /// Options that copy this machine: on Linux the possible CPUs from
    /// <c>/sys/devices/system/cpu/possible</c> (counted as libbpf does: highest index + 1) and the
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

        int? cpus = TryReadText("/sys/devices/system/cpu/possible") is { } possible ? ParsePossibleCpus(possible) : null;
        IReadOnlyList<EmulatedNetworkInterface>? interfaces = ReadHostInterfaces();
        return new EmulatedRuntimeOptions
        {
            PossibleCpus = cpus is { } n ? Math.Min(n, MaxPossibleCpus) : options.PossibleCpus,
            NetworkInterfaces = interfaces is { Count: > 0 } ? interfaces : options.NetworkInterfaces,
        };
    }

    /// <summary>
    /// Parses a CPU list such as <c>0-3</c> or <c>0,2-5</c> into the number of possible CPUs, the
    /// highest index + 1 (libbpf's <c>libbpf_num_possible_cpus</c>); null when it is not a CPU list.
    /// </summary>
    internal static int? ParsePossibleCpus(string text)
    {
        int highest = -1;
        foreach (string part in text.Trim().Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0)
            {
                return null;
            }

            int dash = part.IndexOf('-', StringComparison.Ordinal);
            string last = dash < 0 ? part : part[(dash + 1)..];
            if (dash >= 0 && !int.TryParse(part.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                return null;
            }

            if (!int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                return null;
            }

            highest = Math.Max(highest, index);
        }

        return highest < 0 ? null : highest + 1;
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
