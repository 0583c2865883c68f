using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MapGen.Btf.Tests;

/// <summary>
/// Reads <c>bpftool -j btf dump file F format raw</c> into a normalized description of the maps in
/// DATASEC <c>.maps</c>: for each map (by name) its definition members by name — numbers for
/// <c>__uint</c>, the full layout of <c>__type</c> (kinds, names, sizes, member offsets, signedness,
/// enum values, array lengths, typedefs) and the inner definition of <c>__array</c> — with no type ids.
/// </summary>
internal sealed class BtfDump
{
    private readonly Dictionary<int, JsonElement> _types = [];

    private BtfDump(JsonDocument document)
    {
        foreach (JsonElement type in document.RootElement.GetProperty("types").EnumerateArray())
        {
            _types[type.GetProperty("id").GetInt32()] = type.Clone();
        }
    }

    public static BtfDump Read(string file)
    {
        using JsonDocument document = JsonDocument.Parse(Toolchain.Run(Toolchain.Bpftool, "-j", "btf", "dump", "file", file, "format", "raw"));
        return new BtfDump(document);
    }

    public IEnumerable<JsonElement> Types => _types.Values;

    public JsonElement MapsSection => _types.Values.Single(t => t.GetProperty("kind").GetString() == "DATASEC" && t.GetProperty("name").GetString() == ".maps");

    /// <summary>The normalized maps, one block per map in name order.</summary>
    public string DescribeMaps()
    {
        var maps = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonElement v in MapsSection.GetProperty("vars").EnumerateArray())
        {
            JsonElement variable = _types[v.GetProperty("type_id").GetInt32()];
            maps[variable.GetProperty("name").GetString()!] = DescribeDefinition(variable.GetProperty("type_id").GetInt32(), "  ");
        }

        var text = new StringBuilder();
        foreach ((string name, string definition) in maps)
        {
            text.Append("map ").Append(name).Append('\n').Append(definition);
        }

        return text.ToString();
    }

    private string DescribeDefinition(int id, string indent)
    {
        JsonElement definition = _types[id];
        Assert.Equal("STRUCT", definition.GetProperty("kind").GetString());
        var members = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonElement member in definition.GetProperty("members").EnumerateArray())
        {
            string name = member.GetProperty("name").GetString()!;
            JsonElement type = _types[member.GetProperty("type_id").GetInt32()];
            string kind = type.GetProperty("kind").GetString()!;
            if (name == "values")
            {
                Assert.Equal("ARRAY", kind);
                Assert.Equal(0, type.GetProperty("nr_elems").GetInt32());
                JsonElement pointer = _types[type.GetProperty("type_id").GetInt32()];
                Assert.Equal("PTR", pointer.GetProperty("kind").GetString());
                members[name] = "inner\n" + DescribeDefinition(pointer.GetProperty("type_id").GetInt32(), indent + "  ");
                continue;
            }

            Assert.Equal("PTR", kind);
            JsonElement target = _types[type.GetProperty("type_id").GetInt32()];
            if (name is "key" or "value")
            {
                members[name] = Describe(target, indent + "  ", 0) + "\n";
            }
            else
            {
                // __uint(name, N): int (*name)[N].
                Assert.Equal("ARRAY", target.GetProperty("kind").GetString());
                members[name] = target.GetProperty("nr_elems").GetUInt32().ToString(CultureInfo.InvariantCulture) + "\n";
            }
        }

        var text = new StringBuilder();
        foreach ((string name, string value) in members)
        {
            text.Append(indent).Append(name).Append(' ').Append(value);
        }

        return text.ToString();
    }

    private string Describe(JsonElement type, string indent, int depth)
    {
        Assert.True(depth < 16, "types nest too deep");
        string kind = type.GetProperty("kind").GetString()!;
        string name = type.GetProperty("name").GetString()!;
        switch (kind)
        {
            case "INT":
                return $"int '{name}' size {type.GetProperty("size")} bits {type.GetProperty("nr_bits")} at {type.GetProperty("bits_offset")} {type.GetProperty("encoding")}";
            case "FLOAT":
                return $"float '{name}' size {type.GetProperty("size")}";
            case "TYPEDEF":
                return $"typedef '{name}' = " + Describe(_types[type.GetProperty("type_id").GetInt32()], indent, depth + 1);
            case "ARRAY":
                return $"array [{type.GetProperty("nr_elems")}] index ({Describe(_types[type.GetProperty("index_type_id").GetInt32()], indent, depth + 1)}) of "
                    + Describe(_types[type.GetProperty("type_id").GetInt32()], indent, depth + 1);
            case "ENUM":
            case "ENUM64":
            {
                var values = type.GetProperty("values").EnumerateArray().Select(v => $"{v.GetProperty("name").GetString()}={v.GetProperty("val").GetRawText()}");
                return $"{kind.ToLowerInvariant()} '{name}' size {type.GetProperty("size")} {type.GetProperty("encoding")} {{ {string.Join(", ", values)} }}";
            }

            case "STRUCT":
            case "UNION":
            {
                var text = new StringBuilder($"{kind.ToLowerInvariant()} '{name}' size {type.GetProperty("size")} {{\n");
                foreach (JsonElement member in type.GetProperty("members").EnumerateArray())
                {
                    text.Append(indent).Append("  ").Append(member.GetProperty("name").GetString()).Append(" @").Append(member.GetProperty("bits_offset"))
                        .Append(member.TryGetProperty("bitfield_size", out JsonElement bits) ? $":{bits}" : string.Empty).Append(": ")
                        .Append(Describe(_types[member.GetProperty("type_id").GetInt32()], indent + "  ", depth + 1)).Append('\n');
                }

                return text.Append(indent).Append('}').ToString();
            }

            default:
                return $"{kind} '{name}'";
        }
    }
}
