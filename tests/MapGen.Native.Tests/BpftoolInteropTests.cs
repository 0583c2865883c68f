using System.Text.Json;

namespace MapGen.Native.Tests;

/// <summary>MapGen and bpftool on the same pinned maps: each reads what the other wrote.</summary>
public sealed class BpftoolInteropTests
{
    [Fact]
    public void Bpftool_and_MapGen_read_each_others_entries()
    {
        using var dir = new BpffsDirectory();
        string bpftool = Kernel.RequireTool("bpftool");
        using BpfRuntime rt = Kernel.Runtime();
        string path = dir["counters"];
        using Counters counters = Counters.Create(rt);
        counters.Pin(path);
        counters.Update(7, 0x0102030405060708);

        using (JsonDocument show = JsonDocument.Parse(Kernel.Run(bpftool, "-j", "map", "show", "pinned", path)))
        {
            JsonElement map = show.RootElement;
            Assert.Equal(counters.Map.Id, map.GetProperty("id").GetUInt32());
            Assert.Equal("hash", map.GetProperty("type").GetString());
            Assert.Equal("counters", map.GetProperty("name").GetString());
            Assert.Equal(4, map.GetProperty("bytes_key").GetInt32());
            Assert.Equal(8, map.GetProperty("bytes_value").GetInt32());
            Assert.Equal(16, map.GetProperty("max_entries").GetInt32());
        }

        using (JsonDocument lookup = JsonDocument.Parse(Kernel.Run(bpftool, "-j", "map", "lookup", "pinned", path, "key", "7", "0", "0", "0")))
        {
            byte[] value = lookup.RootElement.GetProperty("value").EnumerateArray()
                .Select(b => Convert.ToByte(b.GetString(), 16)).ToArray();
            Assert.Equal(0x0102030405060708UL, Bytes.ReadU64(value));
        }

        Kernel.Run(bpftool, "map", "update", "pinned", path, "key", "9", "0", "0", "0", "value", "42", "0", "0", "0", "0", "0", "0", "1");
        Assert.Equal(0x010000000000002AUL, counters.Lookup(9));
    }

    [Fact]
    public void Bpftool_sees_the_inner_map_MapGen_installed_in_an_outer_map()
    {
        Kernel.RequireSysAdmin();
        using var dir = new BpffsDirectory();
        string bpftool = Kernel.RequireTool("bpftool");
        using BpfRuntime rt = Kernel.Runtime();
        string path = dir["tenants"];
        using Tenants tenants = Tenants.Create(rt);
        tenants.Map.Pin(path);
        using Counters inner = Counters.Create(rt, 100);
        tenants.Update(5, inner);

        using JsonDocument lookup = JsonDocument.Parse(Kernel.Run(bpftool, "-j", "map", "lookup", "pinned", path, "key", "5", "0", "0", "0"));
        byte[] value = lookup.RootElement.GetProperty("value").EnumerateArray().Select(b => Convert.ToByte(b.GetString(), 16)).ToArray();
        Assert.Equal(inner.Map.Id, Bytes.ReadU32(value));
    }
}
