using System.Text.Json;

namespace MapGen.Btf.Tests;

/// <summary>
/// The corpus against the kernel and the toolchain: BPF_BTF_LOAD accepts each ToBtf(); bpftool
/// reads the same maps from ToBtf(), from clang's object of the hand-written C and from clang's
/// object of ToCDeclaration(); native data maps carry the BTF so bpftool prints their fields.
/// </summary>
public sealed class CorpusTests
{
    public static TheoryData<string> Ids => Corpus.Ids;

    [Fact]
    public void The_corpus_covers_every_map_type_of_the_emulated_runtime()
    {
        BpfMapType[] required =
        [
            BpfMapType.Array, BpfMapType.PerCpuArray, BpfMapType.Hash, BpfMapType.PerCpuHash, BpfMapType.LruHash,
            BpfMapType.LruPerCpuHash, BpfMapType.DevMap, BpfMapType.DevMapHash, BpfMapType.ArrayOfMaps,
            BpfMapType.HashOfMaps, BpfMapType.ProgArray,
        ];
        Assert.True(Corpus.Entries.Length >= 12);
        Assert.Empty(required.Except(Corpus.Entries.Select(e => e.Spec.Type)));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void The_kernel_loads_ToBtf(string id)
    {
        BpfMapSpec spec = Corpus.Get(id).Spec;
        using BpfRuntime rt = Toolchain.NativeRuntime();
        using BpfBtf btf = rt.LoadBtf(spec.ToBtf());
        Assert.True(btf.Fd > 2);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void ToBtf_describes_the_same_maps_as_clang_for_the_hand_written_C(string id)
    {
        CorpusEntry entry = Corpus.Get(id);
        using var dir = new TempDirectory();
        string blob = Path.Combine(dir.Path, "maps.btf");
        File.WriteAllBytes(blob, entry.Spec.ToBtf());
        string fromMapGen = BtfDump.Read(blob).DescribeMaps();
        string fromClang = BtfDump.Read(Toolchain.CompileBpf(Corpus.Source(entry), dir.Path)).DescribeMaps();
        Assert.Equal(fromClang, fromMapGen);
        Assert.Contains("map " + entry.Spec.Name + "\n", fromMapGen, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Clang_compiles_ToCDeclaration_into_the_BTF_of_ToBtf(string id)
    {
        BpfMapSpec spec = Corpus.Get(id).Spec;
        using var dir = new TempDirectory();
        string blob = Path.Combine(dir.Path, "maps.btf");
        File.WriteAllBytes(blob, spec.ToBtf());
        string c = spec.ToCDeclaration();
        string fromC = BtfDump.Read(Toolchain.CompileBpf(c, dir.Path)).DescribeMaps();
        Assert.Equal(BtfDump.Read(blob).DescribeMaps(), fromC);
    }

    [Fact]
    public void ToBtf_of_the_whole_corpus_shares_types_and_loads()
    {
        BpfMapSpec[] specs = [.. Corpus.Entries.Select(e => e.Spec)];
        byte[] all = BpfMapSpec.ToBtf(specs);
        Assert.True(all.Length < specs.Sum(s => s.ToBtf().Length), "shared types and strings are written once");
        using var dir = new TempDirectory();
        string blob = Path.Combine(dir.Path, "all.btf");
        File.WriteAllBytes(blob, all);
        BtfDump dump = BtfDump.Read(blob);

        // Every distinct type once: no two entries of the dump are equal but for their id.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonElement type in dump.Types)
        {
            var copy = type.EnumerateObject().Where(p => p.Name != "id").Select(p => p.Name + "=" + p.Value.GetRawText());
            Assert.True(seen.Add(string.Join(";", copy)), $"type {type.GetProperty("id")} is written twice");
        }

        // The DATASEC as libbpf fixes it up: each map at an 8-byte aligned offset, no overlap, the section's size at the end.
        JsonElement section = dump.MapsSection;
        long end = 0;
        foreach (JsonElement v in section.GetProperty("vars").EnumerateArray())
        {
            long offset = v.GetProperty("offset").GetInt64();
            Assert.True(offset >= end && offset % 8 == 0, $"var at {offset}, previous end {end}");
            Assert.True(v.GetProperty("size").GetInt64() >= 16);
            end = offset + v.GetProperty("size").GetInt64();
        }

        Assert.Equal(end, section.GetProperty("size").GetInt64());
        Assert.Equal(specs.Length, section.GetProperty("vars").GetArrayLength());
        Assert.Equal(string.Concat(Corpus.Entries.Select(e => e.Spec.ToBtf()).SelectMany(b =>
        {
            string one = Path.Combine(dir.Path, $"{Guid.NewGuid():N}.btf");
            File.WriteAllBytes(one, b);
            return SplitMaps(BtfDump.Read(one).DescribeMaps());
        }).Distinct().Order(StringComparer.Ordinal)), string.Concat(SplitMaps(dump.DescribeMaps()).Order(StringComparer.Ordinal)));

        using BpfRuntime rt = Toolchain.NativeRuntime();
        using BpfBtf btf = rt.LoadBtf(all);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Bpftool_dumps_native_data_maps_by_field_name(string id)
    {
        BpfMapSpec spec = Corpus.Get(id).Spec;
        using var pins = new BpffsDirectory();
        using BpfRuntime rt = Toolchain.NativeRuntime();
        bool typed = Native.NativeRuntime.TakesBtfIds(spec);
        if (spec.Type is BpfMapType.DevMap or BpfMapType.DevMapHash or BpfMapType.ProgArray or BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps)
        {
            // SPEC section 4: the kernel refuses BTF ids for these, so they are created without.
            Assert.False(typed);
            using BpfMap plain = rt.CreateMap(spec);
            Assert.Equal(0U, plain.Info.BtfId);
            return;
        }

        Assert.True(typed, $"{spec.Type} data maps are created with their BTF");
        using BpfMap map = rt.CreateMap(spec);
        Assert.NotEqual(0U, map.Info.BtfId);
        Assert.NotEqual(0U, map.Info.BtfValueTypeId);
        Assert.NotEqual(0U, map.Info.BtfKeyTypeId);

        int valueBytes = spec.Type is BpfMapType.PerCpuArray or BpfMapType.PerCpuHash or BpfMapType.LruPerCpuHash
            ? (int)((spec.ValueSize + 7) / 8 * 8) * rt.PossibleCpus
            : (int)spec.ValueSize;
        Assert.Equal(BpfErrno.None, map.TryUpdate(new byte[spec.KeySize], new byte[valueBytes], BpfUpdateFlags.Any));
        string path = Path.Combine(pins.Path, spec.Name);
        map.Pin(path);

        // bpftool's plain dump prints a map with BTF as typed JSON-like text ("key": …, field names),
        // and one without as hex bytes. (Its -j mode writes floats in a form JSON parsers refuse.)
        string text = Toolchain.Run(Toolchain.Bpftool, "map", "dump", "pinned", path);
        Assert.Contains("\"key\": ", text, StringComparison.Ordinal);
        Assert.Contains(spec.Type is BpfMapType.PerCpuArray or BpfMapType.PerCpuHash or BpfMapType.LruPerCpuHash ? "\"values\": " : "\"value\": ", text, StringComparison.Ordinal);
        foreach (BtfType? type in new[] { spec.KeyType, spec.ValueType })
        {
            if (type is BtfStruct s)
            {
                foreach (BtfMember member in s.Members)
                {
                    Assert.True(text.Contains($"\"{member.Name}\": ", StringComparison.Ordinal), $"no field {member.Name} in:\n{text}");
                    if (member.Type is BtfFloat)
                    {
                        // Debian's bpftool 7.1 prints "(unsupported-kind" for a FLOAT and stops the struct there.
                        break;
                    }
                }
            }
        }
    }

    private static IEnumerable<string> SplitMaps(string description) =>
        description.Split("map ", StringSplitOptions.RemoveEmptyEntries).Select(m => "map " + m);
}
