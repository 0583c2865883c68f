extern alias generator;

using System.Text.Json;
using generator::MapGen.Generator.Parser;

namespace MapGen.Tests.Generator;

public sealed class NamingTests
{
    [Theory]
    [InlineData("CpuStatsByQueue")]
    [InlineData("TxPorts")]
    [InlineData("TCPFlows")]
    [InlineData("IPv4Routes")]
    [InlineData("Map2Go")]
    [InlineData("ABC")]
    [InlineData("already_snake")]
    [InlineData("X")]
    [InlineData("Über")]
    [InlineData("HTTPServer2XX")]
    public void Default_names_are_snake_case_exactly_as_System_Text_Json_writes_them(string typeName) =>
        Assert.Equal(JsonNamingPolicy.SnakeCaseLower.ConvertName(typeName), SnakeCase.Convert(typeName));

    [Fact]
    public void Default_names_are_cut_to_15_characters()
    {
        Assert.Equal("cpu_stats_by_qu", SnakeCase.DefaultMapName("CpuStatsByQueue"));
        Assert.Equal("tx_ports", SnakeCase.DefaultMapName("TxPorts"));
    }

    [Theory]
    [InlineData("flows", true)]
    [InlineData("_x9", true)]
    [InlineData("a23456789012345", true)]
    [InlineData("a234567890123456", false)]
    [InlineData("9lives", false)]
    [InlineData("my-map", false)]
    [InlineData("", false)]
    [InlineData("über", false)]
    public void Valid_names_are_C_identifiers_of_at_most_15_characters(string name, bool valid)
    {
        Assert.Equal(valid, SnakeCase.IsValidMapName(name));
        Assert.Equal(valid, BpfMapSpec.IsValidName(name));
        Assert.True(SnakeCase.IsValidMapName(SnakeCase.MakeValid(name)));
    }
}
