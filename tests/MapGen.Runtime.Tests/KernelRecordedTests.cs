using System.Globalization;
using MapGen.Emulation;
using MapGen.Runtime.Tests.Support;

namespace MapGen.Runtime.Tests;

/// <summary>
/// Replays results recorded on a real Linux 6.18 kernel (KernelRecorded/*.txt) against the
/// emulated runtime: creation attributes with their errno and reported attributes, and element
/// operation sequences per map type with every errno, value and key order.
/// </summary>
public sealed class KernelRecordedTests
{
    private static string RecordedPath(string file) => RecordedCreate.RecordedPath(file);

    public static TheoryData<string> CreateCases() => new(RecordedCreate.Lines());

    [Theory]
    [MemberData(nameof(CreateCases))]
    public void Map_creation_matches_the_kernel(string recorded)
    {
        RecordedCreate expected = RecordedCreate.Parse(recorded);
        BpfMapCreateOptions options = expected.Options;

        using BpfRuntime runtime = Kernel.Runtime(cpus: 2);
        BpfErrno errno = runtime.TryCreateMap(options, out BpfMap? map);
        using (map)
        {
            Assert.Equal(expected.Errno, errno);
            if (errno == BpfErrno.None)
            {
                Assert.Equal(expected.ReportedMaxEntries, map!.Info.MaxEntries);
                Assert.Equal(expected.ReportedFlags, map.Info.Flags);
                Assert.Equal(options.Type, map.Info.Type);
                Assert.Equal(options.KeySize, map.Info.KeySize);
                Assert.Equal(options.ValueSize, map.Info.ValueSize);
                Assert.Equal(options.Name ?? string.Empty, map.Info.Name);
            }
        }
    }

    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (string line in File.ReadLines(RecordedPath("element-ops.txt")))
        {
            if (line.StartsWith("scenario ", StringComparison.Ordinal))
            {
                data.Add(line["scenario ".Length..]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Element_operations_match_the_kernel(string scenario)
    {
        string[] lines = File.ReadAllLines(RecordedPath("element-ops.txt"));
        int cpus = int.Parse(lines.Single(l => l.StartsWith("cpus ", StringComparison.Ordinal))[5..], CultureInfo.InvariantCulture);
        EmulatedNetworkInterface[] interfaces = lines.Single(l => l.StartsWith("interfaces ", StringComparison.Ordinal))[11..]
            .Split(',').Select(i => new EmulatedNetworkInterface("if" + i, int.Parse(i, CultureInfo.InvariantCulture))).ToArray();
        using BpfRuntime runtime = BpfRuntime.CreateEmulated(new EmulatedRuntimeOptions { PossibleCpus = cpus, NetworkInterfaces = interfaces });

        int start = Array.IndexOf(lines, "scenario " + scenario);
        BpfMap? map = null;
        try
        {
            for (int i = start + 1; lines[i] != "end"; i++)
            {
                Replay(runtime, ref map, lines[i], $"{scenario}, line {i + 1}");
            }
        }
        finally
        {
            map?.Dispose();
        }
    }

    private static void Replay(BpfRuntime runtime, ref BpfMap? map, string line, string where)
    {
        string[] sides = line.Split(" => ");
        string[] op = sides[0].Split(' ');
        string[] result = sides[1].Split(' ');
        var expected = op[0] is "keys" or "keyset" ? BpfErrno.None : (BpfErrno)int.Parse(result[0], CultureInfo.InvariantCulture);
        switch (op[0])
        {
            case "create":
                Assert.Equal(expected, runtime.TryCreateMap(new BpfMapCreateOptions
                {
                    Type = (BpfMapType)uint.Parse(op[1], CultureInfo.InvariantCulture),
                    KeySize = uint.Parse(op[2], CultureInfo.InvariantCulture),
                    ValueSize = uint.Parse(op[3], CultureInfo.InvariantCulture),
                    MaxEntries = uint.Parse(op[4], CultureInfo.InvariantCulture),
                    Flags = (BpfMapFlags)uint.Parse(op[5], CultureInfo.InvariantCulture),
                }, out map));
                break;
            case "update":
                AssertErrno(expected, map!.TryUpdate(Hex(op[1]), Hex(op[2]), (BpfUpdateFlags)ulong.Parse(op[3], CultureInfo.InvariantCulture)), line, where);
                break;
            case "delete":
                AssertErrno(expected, map!.TryDelete(Hex(op[1])), line, where);
                break;
            case "lookup":
            {
                byte[] value = new byte[map!.UserValueSize];
                AssertErrno(expected, map.TryLookup(Hex(op[1]), value), line, where);
                if (expected == BpfErrno.None)
                {
                    Assert.True(result[1] == Convert.ToHexStringLower(value), $"{where}: {line} read {Convert.ToHexStringLower(value)}");
                }

                break;
            }

            case "next":
            {
                byte[] next = new byte[map!.KeySize];
                AssertErrno(expected, map.TryGetNextKey(op[1] == "-" ? [] : Hex(op[1]), next), line, where);
                if (expected == BpfErrno.None)
                {
                    Assert.True(result[1] == Convert.ToHexStringLower(next), $"{where}: {line} gave {Convert.ToHexStringLower(next)}");
                }

                break;
            }

            case "keys" or "keyset":
            {
                IEnumerable<string> keys = map!.Keys().Select(Convert.ToHexStringLower);
                if (op[0] == "keyset")
                {
                    keys = keys.Order(StringComparer.Ordinal);
                }

                string actual = string.Join(',', keys);
                Assert.True(sides[1] == (actual.Length == 0 ? "-" : actual), $"{where}: expected keys {sides[1]}, got {actual}");
                break;
            }

            default:
                throw new InvalidOperationException($"Unknown recorded operation '{op[0]}' at {where}.");
        }
    }

    private static void AssertErrno(BpfErrno expected, BpfErrno actual, string line, string where) =>
        Assert.True(expected == actual, $"{where}: {line} gave {actual}");

    private static byte[] Hex(string text) => text == "-" ? [] : Convert.FromHexString(text);
}
