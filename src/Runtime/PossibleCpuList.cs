using System;
using System.Globalization;
using System.IO;

namespace MapGen;

/// <summary>
/// The machine's possible CPUs, as <c>/sys/devices/system/cpu/possible</c> lists them: the
/// kernel's <c>num_possible_cpus()</c>, which lays out per-CPU values (one after another, for
/// each possible CPU) and rounds some max entries. One parser for both runtimes.
/// </summary>
internal static class PossibleCpuList
{
    public const string SysfsPath = "/sys/devices/system/cpu/possible";

    /// <summary>
    /// Counts the CPUs of a kernel CPU list such as <c>0-3</c> or <c>0,2-5</c>: the sum of
    /// <c>last - first + 1</c> over its ranges, as libbpf's <c>libbpf_num_possible_cpus</c>
    /// counts them (not the highest index + 1: a list with holes has fewer CPUs).
    /// </summary>
    /// <returns>False when the text is not a CPU list (empty, malformed, a range that goes down, or overlapping ranges).</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out int count)
    {
        count = 0;
        text = text.Trim();
        if (text.IsEmpty)
        {
            return false;
        }

        long total = 0;
        int previousHigh = -1;
        foreach (Range part in text.Split(','))
        {
            ReadOnlySpan<char> range = text[part].Trim();
            int dash = range.IndexOf('-');
            ReadOnlySpan<char> first = dash < 0 ? range : range[..dash];
            ReadOnlySpan<char> last = dash < 0 ? range : range[(dash + 1)..];
            if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int low)
                || !int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int high)
                || high < low
                || low <= previousHigh)
            {
                return false;
            }

            previousHigh = high;
            total += (long)high - low + 1;
        }

        if (total > int.MaxValue)
        {
            return false;
        }

        count = (int)total;
        return true;
    }

    /// <summary>The possible CPUs of this machine from <see cref="SysfsPath"/>; null when it cannot be read or parsed (not Linux, no /sys).</summary>
    public static int? ReadHost() => TryReadHost(out _) is { } count ? count : null;

    /// <summary>As <see cref="ReadHost"/>, with the text read (null when unreadable) for diagnostics.</summary>
    public static int? TryReadHost(out string? text)
    {
        text = null;
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            text = File.ReadAllText(SysfsPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return TryParse(text, out int count) ? count : null;
    }
}
