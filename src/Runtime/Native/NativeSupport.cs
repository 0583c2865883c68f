using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace MapGen.Native;

/// <summary>
/// Whether this process can use the kernel's BPF maps, decided once: the platform, the
/// architecture, a probe map, the 5.10 floor and the number of possible CPUs. When it cannot,
/// <see cref="CreateFailure"/> says why and what to do.
/// </summary>
internal static class NativeSupport
{
    // Capability numbers (include/uapi/linux/capability.h).
    private const int CapNetAdmin = 12;
    private const int CapSysAdmin = 21;
    private const int CapBpf = 39;

    private static readonly Lock s_gate = new();
    private static bool s_decided;
    private static Func<Exception>? s_failure;
    private static int s_possibleCpus;

    /// <summary>Whether <see cref="NativeRuntime.Create"/> would succeed.</summary>
    public static bool IsSupported
    {
        get
        {
            Decide();
            return s_failure is null;
        }
    }

    /// <summary>The number of possible CPUs, once <see cref="IsSupported"/> is true.</summary>
    public static int PossibleCpus
    {
        get
        {
            Decide();
            return s_possibleCpus;
        }
    }

    /// <summary>The exception that explains why the native runtime cannot be created, or null.</summary>
    public static Exception? CreateFailure()
    {
        Decide();
        return s_failure?.Invoke();
    }

    /// <summary>
    /// Decides support again, on the calling thread, without remembering the answer:
    /// capabilities belong to threads, so a thread that dropped some can see its own answer.
    /// </summary>
    public static Exception? EvaluateNow()
    {
        Evaluate(out Func<Exception>? failure, out _);
        return failure?.Invoke();
    }

    /// <summary>
    /// The effective capabilities of the calling thread (<c>CapEff</c> of
    /// <c>/proc/thread-self/status</c>, which the kernel checks; <c>/proc/self/status</c> where
    /// that is missing, before Linux 3.17), or null when they cannot be read.
    /// </summary>
    public static ulong? ReadEffectiveCapabilities()
    {
        try
        {
            string status = Directory.Exists("/proc/thread-self") ? "/proc/thread-self/status" : "/proc/self/status";
            foreach (string line in File.ReadLines(status))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal)
                    && ulong.TryParse(line.AsSpan("CapEff:".Length).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong caps))
                {
                    return caps;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>The capabilities MapGen may need that <paramref name="effective"/> lacks, by name.</summary>
    public static IReadOnlyList<string> MissingCapabilities(ulong effective)
    {
        var missing = new List<string>(3);
        if ((effective & (1UL << CapBpf)) == 0)
        {
            missing.Add("CAP_BPF");
        }

        if ((effective & (1UL << CapSysAdmin)) == 0)
        {
            missing.Add("CAP_SYS_ADMIN");
        }

        if ((effective & (1UL << CapNetAdmin)) == 0)
        {
            missing.Add("CAP_NET_ADMIN");
        }

        return missing;
    }

    /// <summary>The message for a probe map that the kernel refused with <c>EPERM</c>.</summary>
    public static string PermissionMessage(ulong? effective, string? unprivilegedBpfDisabled)
    {
        string who;
        if (effective is null)
        {
            who = "The effective capabilities of this thread could not be read (/proc/thread-self/status).";
        }
        else
        {
            IReadOnlyList<string> missing = MissingCapabilities(effective.Value);
            who = missing.Count == 0
                ? "The process has CAP_BPF, CAP_SYS_ADMIN and CAP_NET_ADMIN, so something else refuses bpf(2): a seccomp filter (container runtimes block bpf by default), an LSM policy or kernel lockdown."
                : $"The process lacks {string.Join(", ", missing)} (CapEff {effective.Value:x16}).";
        }

        string sysctl = unprivilegedBpfDisabled is null
            ? string.Empty
            : $" kernel.unprivileged_bpf_disabled is {unprivilegedBpfDisabled} (1 or 2: only privileged processes may use bpf(2)).";
        return "The kernel refused to create a BPF map (EPERM). " + who + sysctl
            + " MapGen's native runtime needs CAP_BPF to create and use maps, CAP_SYS_ADMIN for BPF_MAP_GET_FD_BY_ID"
            + " (BpfRuntime.OpenById and typed lookups in outer maps) and CAP_NET_ADMIN for DevMap."
            + " Run as root, or grant them to the dotnet host: sudo setcap cap_bpf,cap_net_admin,cap_sys_admin+ep $(readlink -f $(which dotnet))"
            + " (for a published app, to its executable). In a container add them (docker run --cap-add BPF --cap-add SYS_ADMIN --cap-add NET_ADMIN)"
            + " and allow bpf in the seccomp profile. Tests can use BpfRuntime.CreateEmulated(), which needs no privileges.";
    }

    private static void Decide()
    {
        if (Volatile.Read(ref s_decided))
        {
            return;
        }

        lock (s_gate)
        {
            if (s_decided)
            {
                return;
            }

            // Transient failures (out of fds or memory) are not remembered: the next call asks again.
            bool remember = Evaluate(out Func<Exception>? failure, out int cpus);
            s_failure = failure;
            s_possibleCpus = cpus;
            Volatile.Write(ref s_decided, remember);
        }
    }

    private static bool Evaluate(out Func<Exception>? failure, out int possibleCpus)
    {
        possibleCpus = 0;
        if (!OperatingSystem.IsLinux())
        {
            failure = static () => new PlatformNotSupportedException(
                "BpfRuntime.CreateNative() needs Linux (bpf(2)); use BpfRuntime.CreateEmulated() on other systems.");
            return true;
        }

        if (!BpfSyscall.IsArchitectureSupported)
        {
            Architecture architecture = RuntimeInformation.ProcessArchitecture;
            failure = () => new PlatformNotSupportedException(
                $"MapGen does not know the bpf(2) system call number of {architecture}; use BpfRuntime.CreateEmulated().");
            return true;
        }

        BpfErrno errno = ProbeMapCreate();
        if (errno != BpfErrno.None)
        {
            failure = DescribeProbeFailure(errno);
            return errno is not (BpfErrno.EMFILE or BpfErrno.ENFILE or BpfErrno.ENOMEM or BpfErrno.EINTR or BpfErrno.EAGAIN);
        }

        // Only a definite "no" means an old kernel; a probe that could not tell (a permission
        // the one-element array did not need) leaves the decision to the operations themselves.
        if (KernelFeatures.InnerMapFlagProbe == false)
        {
            failure = static () => new BpfException(BpfErrno.EINVAL,
                "The kernel does not know BPF_F_INNER_MAP: MapGen's native runtime needs Linux 5.10 or later (map-in-map with inner arrays of other sizes). Use BpfRuntime.CreateEmulated() or a newer kernel.");
            return true;
        }

        if (PossibleCpuList.TryReadHost(out string? text) is not { } cpus)
        {
            string shown = text is null ? "it could not be read" : $"it reads \"{text.Trim()}\"";
            failure = () => new BpfException(BpfErrno.EIO,
                $"The number of possible CPUs, which lays out per-CPU map values, comes from {PossibleCpuList.SysfsPath}, and {shown} (is /sys mounted?).");
            return true;
        }

        possibleCpus = cpus;

        failure = null;
        return true;
    }

    /// <summary>Creates and closes a one-element array: the least any use of maps needs.</summary>
    private static BpfErrno ProbeMapCreate()
    {
        MapCreateAttr attr = default;
        attr.MapType = (uint)BpfMapType.Array;
        attr.KeySize = 4;
        attr.ValueSize = 4;
        attr.MaxEntries = 1;
        BpfErrno errno = BpfSyscall.MapCreate(ref attr, out SafeBpfHandle? handle);
        handle?.Dispose();
        return errno;
    }

    private static Func<Exception> DescribeProbeFailure(BpfErrno errno)
    {
        switch (errno)
        {
            case BpfErrno.ENOSYS:
                return static () => new BpfException(BpfErrno.ENOSYS,
                    "The kernel has no bpf(2) system call (built without CONFIG_BPF_SYSCALL), or a seccomp filter answers ENOSYS for it. Use a kernel with BPF enabled, allow bpf in the seccomp profile, or use BpfRuntime.CreateEmulated().");
            case BpfErrno.EPERM:
            case BpfErrno.EACCES:
                ulong? caps = ReadEffectiveCapabilities();
                string? sysctl = ReadSysctl("/proc/sys/kernel/unprivileged_bpf_disabled");
                string message = PermissionMessage(caps, sysctl);
                return () => new BpfException(errno, message);
            default:
                return () => new BpfException(errno, "probe map create", null,
                    "The kernel refused a one-element BPF_MAP_TYPE_ARRAY, which every kernel with bpf(2) accepts.");
        }
    }

    private static string? ReadSysctl(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
