using System.Diagnostics;
using System.Globalization;

namespace MapGen.Differential.Tests;

/// <summary>
/// Whether the native side can run here. It needs Linux, <c>bpf(2)</c>, the capabilities the
/// scenarios use (<c>CAP_BPF</c>; <c>CAP_SYS_ADMIN</c> for open by ID and bpffs; <c>CAP_NET_ADMIN</c>
/// for device maps) and bpffs at <c>/sys/fs/bpf</c>. Without them the native side is skipped with
/// the reason, except under <c>MAPGEN_REQUIRE_BPF=1</c> (CI), where that is a failure.
/// </summary>
internal static class NativeKernel
{
    public const string BpffsRoot = "/sys/fs/bpf";

    private const int CapNetAdmin = 12;
    private const int CapSysAdmin = 21;
    private const int CapBpf = 39;

    private static readonly Lazy<string?> s_unavailable = new(FindUnavailableReason);

    public static bool RequireBpf => Environment.GetEnvironmentVariable("MAPGEN_REQUIRE_BPF") == "1";

    /// <summary>Why the native runtime cannot run the scenarios here; null when it can.</summary>
    public static string? UnavailableReason => s_unavailable.Value;

    /// <summary>Returns when the native side can run; otherwise skips the test, or fails it under MAPGEN_REQUIRE_BPF=1.</summary>
    public static void Require()
    {
        if (UnavailableReason is { } reason)
        {
            if (RequireBpf)
            {
                Assert.Fail($"The native runtime is unavailable: {reason.TrimEnd('.')}. MAPGEN_REQUIRE_BPF=1 makes this a failure, not a skip.");
            }

            Assert.Skip($"The native runtime is unavailable: {reason.TrimEnd('.')}. Set MAPGEN_REQUIRE_BPF=1 to fail instead.");
        }
    }

    private static string? FindUnavailableReason()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "it needs Linux";
        }

        if (!BpfRuntime.IsNativeSupported)
        {
            try
            {
                BpfRuntime.CreateNative().Dispose();
                return "IsNativeSupported is false although CreateNative succeeds";
            }
            catch (Exception e)
            {
                return "bpf(2) is not usable: " + e.Message;
            }
        }

        ulong? effective = ReadEffectiveCapabilities();
        if (effective is not { } caps)
        {
            return "the capabilities of the process cannot be read from /proc/self/status";
        }

        var missing = new List<string>();
        foreach ((int bit, string name) in new[] { (CapBpf, "CAP_BPF"), (CapSysAdmin, "CAP_SYS_ADMIN"), (CapNetAdmin, "CAP_NET_ADMIN") })
        {
            if ((caps & (1UL << bit)) == 0)
            {
                missing.Add(name);
            }
        }

        if (missing.Count > 0)
        {
            return $"the process lacks {string.Join(", ", missing)} (run as root)";
        }

        return EnsureBpffs();
    }

    private static ulong? ReadEffectiveCapabilities()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal)
                    && ulong.TryParse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong caps))
                {
                    return caps;
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    private static string? EnsureBpffs()
    {
        if (IsBpffs())
        {
            return null;
        }

        try
        {
            using Process mount = Process.Start("/bin/mount", ["-t", "bpf", "bpf", BpffsRoot])!;
            mount.WaitForExit();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"bpffs is not mounted at {BpffsRoot} and mount failed: {e.Message}";
        }

        return IsBpffs() ? null : $"bpffs is not mounted at {BpffsRoot} (mount -t bpf bpf {BpffsRoot})";
    }

    private static bool IsBpffs()
    {
        foreach (string line in File.ReadLines("/proc/self/mounts"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 2 && fields[1] == BpffsRoot && fields[2] == "bpf")
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The pin directory of one run: a fresh <c>/sys/fs/bpf/mapgen-test-&lt;guid&gt;</c>, created in
/// bpffs for a native run (and removed with every pin in it), or just the same kind of path in
/// the emulated runtime's pin namespace.
/// </summary>
internal sealed class PinDirectory : IDisposable
{
    private readonly bool _native;

    public PinDirectory(bool native)
    {
        _native = native;
        Path = System.IO.Path.Combine(NativeKernel.BpffsRoot, $"mapgen-test-{Guid.NewGuid():N}");
        if (native)
        {
            Directory.CreateDirectory(Path);
        }
    }

    public string Path { get; }

    public void Dispose()
    {
        if (_native && Directory.Exists(Path))
        {
            // Removing a pin is unlink(2); the map it held is freed once nothing else holds it.
            Directory.Delete(Path, recursive: true);
        }
    }
}
