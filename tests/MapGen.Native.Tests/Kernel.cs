using System.Diagnostics;

namespace MapGen.Native.Tests;

/// <summary>
/// Access to the real kernel for tests. A test that needs bpf(2) calls one of these first: it
/// skips with the reason when the kernel or the privileges are missing, except under
/// <c>MAPGEN_REQUIRE_BPF=1</c> (CI), where a skip would hide a broken runtime and it fails instead.
/// </summary>
internal static class Kernel
{
    private const int CapNetAdmin = 12;
    private const int CapSysAdmin = 21;
    private const int CapBpf = 39;

    public static bool RequireBpf => Environment.GetEnvironmentVariable("MAPGEN_REQUIRE_BPF") == "1";

    /// <summary>A native runtime, or a skip (a failure in CI) saying why there is none.</summary>
    public static BpfRuntime Runtime()
    {
        RequireNative();
        return BpfRuntime.CreateNative();
    }

    public static void RequireNative()
    {
        if (!OperatingSystem.IsLinux())
        {
            Unavailable("the native runtime needs Linux");
        }

        if (!BpfRuntime.IsNativeSupported)
        {
            string reason;
            try
            {
                BpfRuntime.CreateNative().Dispose();
                reason = "IsNativeSupported is false although CreateNative succeeds";
            }
            catch (Exception e)
            {
                reason = e.Message;
            }

            Unavailable($"bpf(2) is not usable here: {reason}");
        }
    }

    /// <summary>For tests that open maps by ID (CAP_SYS_ADMIN).</summary>
    public static void RequireSysAdmin() => RequireCapability(CapSysAdmin, "CAP_SYS_ADMIN (BPF_MAP_GET_FD_BY_ID)");

    /// <summary>For DevMap tests (CAP_NET_ADMIN).</summary>
    public static void RequireNetAdmin() => RequireCapability(CapNetAdmin, "CAP_NET_ADMIN (DevMap)");

    /// <summary>For tests that mount bpffs and pin (root, or CAP_SYS_ADMIN and CAP_BPF).</summary>
    public static void RequireBpfAndSysAdmin()
    {
        RequireCapability(CapBpf, "CAP_BPF");
        RequireSysAdmin();
    }

    /// <summary>A tool of the real toolchain (clang-19, bpftool), or a skip (a failure in CI).</summary>
    public static string RequireTool(string name)
    {
        // bpftool lives in /usr/sbin, which a non-root PATH may lack.
        string[] path = [.. (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'), "/usr/sbin", "/sbin"];
        foreach (string dir in path)
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Unavailable($"{name} is not installed (apt-get install {name})");
        return null!;
    }

    /// <summary>A file from a Debian package (a header, say), or a skip (a failure in CI).</summary>
    public static void RequireFile(string path, string package)
    {
        if (!File.Exists(path))
        {
            Unavailable($"{path} is missing (apt-get install {package})");
        }
    }

    /// <summary>Runs a program to completion and returns its standard output; fails on a non-zero exit.</summary>
    public static string Run(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Assert.Fail($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}: {stderr.Result}");
        }

        return stdout.Result;
    }

    /// <summary>The number of fds this process has open.</summary>
    public static int OpenFdCount() => MapGen.Testing.Flatness.ProcessFdCount();

    /// <summary>The number of BPF objects (maps, BTF, programs, links) this process has fds of.</summary>
    public static int OpenBpfFdCount() =>
        Directory.GetFileSystemEntries("/proc/self/fd").Count(fd => new FileInfo(fd).LinkTarget is { } target
            && (target.StartsWith("anon_inode:bpf", StringComparison.Ordinal) || target == "anon_inode:btf"));

    /// <summary>
    /// Whether <paramref name="condition"/> became true within 10 s, polling. For what the kernel
    /// does asynchronously: it frees a map whose last reference was an outer map's slot from a work
    /// queue after an RCU grace period, not when the last fd closes. (A bound against a hang, not
    /// a measured time: a freed map goes in milliseconds.)
    /// </summary>
    private static bool Eventually(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(10);
        }

        return condition();
    }

    /// <summary>Asserts that no map of <paramref name="ids"/> can be opened by ID any more, once the kernel has freed them (<see cref="Eventually"/>).</summary>
    public static void AssertFreed(BpfRuntime runtime, IEnumerable<uint> ids)
    {
        foreach (uint id in ids)
        {
            Assert.True(Eventually(() => IsFreed(runtime, id)), $"Map ID {id} can still be opened.");
        }
    }

    private static bool IsFreed(BpfRuntime runtime, uint id)
    {
        BpfErrno errno = runtime.TryOpenById(id, out BpfMap? map);
        map?.Dispose();
        Assert.True(errno is BpfErrno.None or BpfErrno.ENOENT, $"Opening map ID {id} gave {errno}.");
        return errno == BpfErrno.ENOENT;
    }

    private static void RequireCapability(int capability, string what)
    {
        RequireNative();
        ulong? effective = NativeSupport.ReadEffectiveCapabilities();
        if (effective is null || (effective.Value & (1UL << capability)) == 0)
        {
            Unavailable($"the process lacks {what}");
        }
    }

    private static void Unavailable(string reason)
    {
        if (RequireBpf)
        {
            Assert.Fail($"{reason}; MAPGEN_REQUIRE_BPF=1 turns this skip into a failure.");
        }

        Assert.Skip(reason);
    }
}

/// <summary>
/// A fresh directory in bpffs (mounted if needed) for one test's pins. Dispose removes every pin
/// in it and the directory: the tests leave nothing pinned.
/// </summary>
internal sealed class BpffsDirectory : IDisposable
{
    private const string Root = "/sys/fs/bpf";

    public BpffsDirectory()
    {
        Kernel.RequireBpfAndSysAdmin();
        EnsureMounted();
        Path = System.IO.Path.Combine(Root, $"mapgen-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            // Removing a pin is unlink(2); the map it held is freed once nothing else holds it.
            Directory.Delete(Path, recursive: true);
        }
    }

    private static readonly object s_mountGate = new();

    private static void EnsureMounted()
    {
        lock (s_mountGate)
        {
            if (IsBpffs(Root))
            {
                return;
            }

            Kernel.Run("/bin/mount", "-t", "bpf", "bpf", Root);
            Assert.True(IsBpffs(Root), $"{Root} is still not a bpffs after mount -t bpf.");
        }
    }

    private static bool IsBpffs(string path)
    {
        foreach (string line in File.ReadLines("/proc/self/mounts"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 2 && fields[1] == path && fields[2] == "bpf")
            {
                return true;
            }
        }

        return false;
    }
}
