using System.Text.RegularExpressions;
using MapGen.Package.Tests.Infrastructure;

namespace MapGen.Package.Tests;

/// <summary>
/// A project outside the repository consumes the packed package: the generator inside it
/// completes the SPEC's declarations, and the program runs them on the emulated runtime.
/// </summary>
public sealed partial class ConsumerTests(PackedPackage package)
{
    /// <summary>
    /// Exercises the typed API end to end and prints one <c>ok:</c> line per check (or
    /// <c>FAILED:</c>), then <c>CONSUMER OK</c>; it exits 1 if any check failed.
    /// </summary>
    private const string CheckingProgram = """
        using System.Reflection;
        using System.Runtime.CompilerServices;
        using System.Runtime.InteropServices;
        using MapGen;
        using MapGen.Emulation;

        const string ExpectedVersion = "@VERSION@";
        int failures = 0;

        string? version = typeof(BpfRuntime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        Check(version is not null && version.StartsWith(ExpectedVersion, StringComparison.Ordinal), "the MapGen assembly is the one just packed");

        using BpfRuntime rt = BpfRuntime.CreateEmulated(new EmulatedRuntimeOptions
        {
            NetworkInterfaces = [new EmulatedNetworkInterface("lo", 1), new EmulatedNetworkInterface("eth0", 2)],
        });

        // An array of devmaps: the outer lookup gives back the typed inner map.
        using TxPorts ports = TxPorts.Create(rt);
        ports.Update(0, 2);
        using TxPortTables tables = TxPortTables.Create(rt);
        tables.Update(1, ports);
        TxPorts borrowed = tables.Lookup(1);
        Check(borrowed.Map.Id == ports.Map.Id, "outer lookup returns the stored TxPorts (same map ID)");
        Check(borrowed.Lookup(0) == 2, "typed lookup in the inner map gives the ifindex");

        // Absent keys.
        Check(Throws<KeyNotFoundException>(() => tables.Lookup(2)), "Lookup of an empty outer slot throws KeyNotFoundException");
        using FlowTable flows = FlowTable.Create(rt);
        Check(Throws<KeyNotFoundException>(() => flows.Lookup(new FlowKey { SrcIp = 1 })), "Lookup of an absent FlowKey throws KeyNotFoundException");
        Check(!flows.TryLookup(new FlowKey { SrcIp = 1 }, out _), "TryLookup of an absent FlowKey returns false");

        // Refused updates carry the kernel's errno.
        Check(Errno(() => tables.Update(32, ports)) == BpfErrno.E2BIG, "outer update of index 32 (of 32) fails with E2BIG");
        Check(Errno(() => ports.Update(1, 99)) == BpfErrno.EINVAL, "DevMap update to unknown ifindex 99 fails with EINVAL");

        // Keys equal field by field but with different padding bytes are one kernel key.
        Check(Unsafe.SizeOf<FlowKey>() == 16, "FlowKey has 13 bytes of fields and 3 of padding");
        byte[] bytesA = new byte[Unsafe.SizeOf<FlowKey>()];
        byte[] bytesB = new byte[Unsafe.SizeOf<FlowKey>()];
        bytesA.AsSpan().Fill(0xAA);
        bytesB.AsSpan().Fill(0x55);
        ref FlowKey keyA = ref MemoryMarshal.AsRef<FlowKey>(bytesA.AsSpan());
        ref FlowKey keyB = ref MemoryMarshal.AsRef<FlowKey>(bytesB.AsSpan());
        SetFields(ref keyA);
        SetFields(ref keyB);
        Check(keyA.SrcIp == keyB.SrcIp && keyA.DstIp == keyB.DstIp && keyA.SrcPort == keyB.SrcPort && keyA.DstPort == keyB.DstPort && keyA.Proto == keyB.Proto,
            "the two FlowKeys are equal field by field");
        Check(!bytesA.AsSpan().SequenceEqual(bytesB), "the two FlowKeys differ in their padding bytes");
        // Passed by reference (in), so the codec sees the garbage in the padding.
        flows.Update(in keyA, new FlowStats { Packets = 3, Bytes = 180 });
        Check(flows.TryLookup(in keyB, out FlowStats found) && found.Packets == 3 && found.Bytes == 180, "the key with other padding finds the same entry");
        flows.Update(in keyB, new FlowStats { Packets = 4, Bytes = 240 });
        Check(flows.Keys.Count() == 1 && flows.Lookup(in keyA).Packets == 4, "updating through the other padding replaced the entry instead of adding one");

        // A hash of maps: tenant id -> that tenant's FlowTable.
        using TenantFlows tenants = TenantFlows.Create(rt);
        tenants.Update(7, flows);
        FlowTable tenant7 = tenants.Lookup(7);
        Check(tenant7.Map.Id == flows.Map.Id && tenant7.Lookup(in keyB).Bytes == 240, "HashOfMaps lookup gives the tenant's typed FlowTable");
        Check(Throws<KeyNotFoundException>(() => tenants.Lookup(8)), "Lookup of an absent tenant throws KeyNotFoundException");
        using FlowTable small = FlowTable.Create(rt, 16);
        tenants.Update(8, small);
        Check(tenants.Lookup(8).Map.Info.MaxEntries == 16, "a hash inner map with other max entries is accepted");

        Console.WriteLine(failures == 0 ? "CONSUMER OK" : $"CONSUMER FAILED: {failures} check(s)");
        return failures == 0 ? 0 : 1;

        void Check(bool condition, string what)
        {
            Console.WriteLine($"{(condition ? "ok" : "FAILED")}: {what}");
            failures += condition ? 0 : 1;
        }

        static void SetFields(ref FlowKey key)
        {
            key.SrcIp = 0x0A000001;
            key.DstIp = 0x0A000002;
            key.SrcPort = 40000;
            key.DstPort = 443;
            key.Proto = 6;
        }

        static bool Throws<T>(Action action) where T : Exception
        {
            try
            {
                action();
                return false;
            }
            catch (T)
            {
                return true;
            }
        }

        static BpfErrno? Errno(Action action)
        {
            try
            {
                action();
                return null;
            }
            catch (BpfException e)
            {
                return e.Errno;
            }
        }

        """;

    /// <summary>Puts a <c>TxPorts</c> where <c>TenantFlows</c> holds <c>FlowTable</c>s.</summary>
    private const string WrongInnerMapProgram = """
        using MapGen;

        using BpfRuntime rt = BpfRuntime.CreateEmulated();
        using TxPorts ports = TxPorts.Create(rt);
        using TenantFlows tenants = TenantFlows.Create(rt);
        tenants.Update(1, ports);

        """;

    /// <summary>A <c>[BpfMap]</c> struct that is not <c>partial</c>: the generator cannot complete it.</summary>
    private const string NotPartialProgram = """
        using MapGen;

        Console.WriteLine("never built");

        [BpfMap(BpfMapType.Hash, MaxEntries = 16, Key = typeof(uint), Value = typeof(ulong))]
        public struct NotPartial;

        """;

    // Line 9, column 11 is the typeof(...) of [InnerMap]: where MAPGEN012 must point.
    private const string ProgArrayInnerProgram = """
        using MapGen;

        Console.WriteLine("never built");

        [BpfMap(BpfMapType.ProgArray, MaxEntries = 4)]
        public partial struct Jumps;

        [BpfMap(BpfMapType.ArrayOfMaps, MaxEntries = 4)]
        [InnerMap(typeof(Jumps))]
        public partial struct JumpTables;

        """;

    [Fact(Timeout = 150_000)]
    public async Task Consumer_sees_MAPGEN012_on_the_line_of_the_offending_InnerMap_from_a_plain_build()
    {
        package.RequirePackage();
        using var consumer = new ConsumerProject(package, ProgArrayInnerProgram);

        ProcessResult build = await consumer.BuildAsync();
        Log(build);

        Assert.False(build.TimedOut, build.ToString());
        Assert.NotEqual(0, build.ExitCode);
        string[] codes = ErrorCode().Matches(build.Output).Select(m => m.Groups["code"].Value).Distinct().ToArray();
        Assert.True(codes is ["MAPGEN012"], $"Expected only error MAPGEN012, got [{string.Join(", ", codes)}]:{Environment.NewLine}{build}");
        Assert.Matches(@"Program\.cs\(9,11\): error MAPGEN012", build.Output);
    }

    [Fact(Timeout = 150_000)]
    public async Task Consumer_of_the_package_builds_and_runs_the_spec_declarations_on_the_emulated_runtime()
    {
        package.RequirePackage();
        using var consumer = new ConsumerProject(package, CheckingProgram.Replace("@VERSION@", package.Version, StringComparison.Ordinal));

        ProcessResult build = await consumer.BuildAsync();
        Log(build);
        Assert.True(build.Succeeded, $"The consumer does not build:{Environment.NewLine}{build}");
        // Restored from this run's feed into the consumer's own cache, not from anywhere else.
        Assert.True(Directory.Exists(Path.Combine(consumer.PackagesDirectory, "mapgen", package.Version.ToLowerInvariant())),
            $"MapGen {package.Version} was not restored into {consumer.PackagesDirectory}.");

        ProcessResult run = await consumer.RunAsync();
        Log(run);
        Assert.True(run.Succeeded, $"The consumer failed:{Environment.NewLine}{run}");
        string[] lines = Lines(run.StandardOutput);
        Assert.DoesNotContain(lines, l => l.StartsWith("FAILED", StringComparison.Ordinal));
        foreach (string expected in (string[])[
            "ok: the MapGen assembly is the one just packed",
            "ok: outer lookup returns the stored TxPorts (same map ID)",
            "ok: typed lookup in the inner map gives the ifindex",
            "ok: Lookup of an empty outer slot throws KeyNotFoundException",
            "ok: Lookup of an absent FlowKey throws KeyNotFoundException",
            "ok: outer update of index 32 (of 32) fails with E2BIG",
            "ok: DevMap update to unknown ifindex 99 fails with EINVAL",
            "ok: the two FlowKeys differ in their padding bytes",
            "ok: the key with other padding finds the same entry",
            "ok: updating through the other padding replaced the entry instead of adding one",
            "ok: HashOfMaps lookup gives the tenant's typed FlowTable",
            "ok: a hash inner map with other max entries is accepted",
            "CONSUMER OK",
        ])
        {
            Assert.Contains(expected, lines);
        }
    }

    [Fact(Timeout = 150_000)]
    public async Task Consumer_that_puts_the_wrong_inner_map_type_into_an_outer_map_does_not_compile()
    {
        package.RequirePackage();
        using var consumer = new ConsumerProject(package, WrongInnerMapProgram);

        ProcessResult build = await consumer.BuildAsync();
        Log(build);

        Assert.False(build.TimedOut, build.ToString());
        Assert.NotEqual(0, build.ExitCode);
        // The only error is the compiler refusing a TxPorts where a FlowTable belongs: anything
        // else (a restore failure, a missing generated member) would not prove the point.
        string[] codes = ErrorCode().Matches(build.Output).Select(m => m.Groups["code"].Value).Distinct().ToArray();
        Assert.True(codes is ["CS1503"], $"Expected only error CS1503, got [{string.Join(", ", codes)}]:{Environment.NewLine}{build}");
        Assert.Contains(build.Output.Split('\n'), l => l.Contains("error CS1503", StringComparison.Ordinal)
            && l.Contains("'TxPorts'", StringComparison.Ordinal) && l.Contains("'FlowTable'", StringComparison.Ordinal));
    }

    [Fact(Timeout = 150_000)]
    public async Task Consumer_gets_the_analyzers_errors_from_the_package()
    {
        package.RequirePackage();
        using var consumer = new ConsumerProject(package, NotPartialProgram);

        ProcessResult build = await consumer.BuildAsync();
        Log(build);

        // The analyzers ride in the package beside the generator: a declaration the generator
        // skips gets the analyzer's error, not silence.
        Assert.False(build.TimedOut, build.ToString());
        Assert.NotEqual(0, build.ExitCode);
        string[] codes = ErrorCode().Matches(build.Output).Select(m => m.Groups["code"].Value).Distinct().ToArray();
        Assert.True(codes is ["MAPGEN001"], $"Expected only error MAPGEN001, got [{string.Join(", ", codes)}]:{Environment.NewLine}{build}");
        Assert.Contains("NotPartial", build.Output, StringComparison.Ordinal);
    }

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void Log(ProcessResult result) => TestContext.Current.TestOutputHelper?.WriteLine(result.ToString());

    [GeneratedRegex(@"error (?<code>[A-Z]+[0-9]+)")]
    private static partial Regex ErrorCode();
}
