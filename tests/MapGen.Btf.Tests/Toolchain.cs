using System.Diagnostics;
using System.Runtime.InteropServices;
using MapGen.Native;

namespace MapGen.Btf.Tests;

/// <summary>
/// The kernel and the real toolchain (clang-19, bpftool, libbpf headers). A test that needs one
/// skips with the reason when it is missing, except under <c>MAPGEN_REQUIRE_BPF=1</c> (CI), where
/// the skip becomes a failure.
/// </summary>
internal static class Toolchain
{
    private const int CapSysAdmin = 21;
    private const int CapBpf = 39;

    public static bool RequireBpf => Environment.GetEnvironmentVariable("MAPGEN_REQUIRE_BPF") == "1";

    public static BpfRuntime NativeRuntime()
    {
        if (!OperatingSystem.IsLinux())
        {
            Unavailable("the native runtime needs Linux");
        }

        if (!BpfRuntime.IsNativeSupported)
        {
            Unavailable("bpf(2) is not usable here (no permission or kernel support)");
        }

        return BpfRuntime.CreateNative();
    }

    public static void RequirePinning()
    {
        NativeRuntime().Dispose();
        ulong? caps = NativeSupport.ReadEffectiveCapabilities();
        if (caps is null || (caps.Value & (1UL << CapSysAdmin)) == 0 || (caps.Value & (1UL << CapBpf)) == 0)
        {
            Unavailable("the process lacks CAP_BPF and CAP_SYS_ADMIN (bpffs pins)");
        }
    }

    public static string Bpftool => Tool("bpftool");

    /// <summary>Compiles C for the BPF target as SPEC section 4 says, into a temporary object file.</summary>
    public static string CompileBpf(string source, string directory)
    {
        string clang = Tool("clang-19");
        string multiarch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x86_64-linux-gnu",
            Architecture.Arm64 => "aarch64-linux-gnu",
            _ => "unknown",
        };
        RequireFile("/usr/include/bpf/bpf_helpers.h", "libbpf-dev");
        RequireFile("/usr/include/linux/bpf.h", "linux-libc-dev");
        string c = Path.Combine(directory, $"m{Guid.NewGuid():N}.bpf.c");
        string o = Path.ChangeExtension(c, ".o");
        File.WriteAllText(c, source);
        Run(clang, "-g", "-O2", "-target", "bpf", $"-I/usr/include/{multiarch}", "-Werror", "-Wno-fixed-enum-extension", "-c", c, "-o", o);
        return o;
    }

    public static string Tool(string name)
    {
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

    public static void RequireFile(string path, string package)
    {
        if (!File.Exists(path))
        {
            Unavailable($"{path} is missing (apt-get install {package})");
        }
    }

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
            Assert.Fail($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}: {stderr.Result}{stdout.Result}");
        }

        return stdout.Result;
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

/// <summary>A temporary directory, removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("mapgen-btf-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>A fresh <c>/sys/fs/bpf/mapgen-test-&lt;guid&gt;</c> directory for pins; dispose removes it and every pin in it.</summary>
internal sealed class BpffsDirectory : IDisposable
{
    public BpffsDirectory()
    {
        Toolchain.RequirePinning();
        if (!File.ReadLines("/proc/self/mounts").Any(l => l.Split(' ') is [_, "/sys/fs/bpf", "bpf", ..]))
        {
            Toolchain.Run("/bin/mount", "-t", "bpf", "bpf", "/sys/fs/bpf");
        }

        Path = System.IO.Path.Combine("/sys/fs/bpf", $"mapgen-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
