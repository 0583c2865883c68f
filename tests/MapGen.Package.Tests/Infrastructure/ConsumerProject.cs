namespace MapGen.Package.Tests.Infrastructure;

/// <summary>
/// A console project outside the repository that references the packed <c>MapGen</c> package the
/// way a user's project does: only through NuGet, from the run's folder feed, restored into a
/// package cache of its own.
/// </summary>
public sealed class ConsumerProject : IDisposable
{
    /// <summary>The declarations of SPEC section 1, verbatim.</summary>
    public const string SpecDeclarations = """
        using System.Runtime.InteropServices;
        using MapGen;
        using static MapGen.BpfMapType;

        [BpfMap(DevMap, MaxEntries = 32)]                       // key u32 -> value u32 (ifindex)
        public partial struct TxPorts;

        [BpfMap(ArrayOfMaps, MaxEntries = 32)]                  // outer: u32 index -> a TxPorts map
        [InnerMap(typeof(TxPorts))]
        public partial struct TxPortTables;

        [StructLayout(LayoutKind.Sequential)]
        public struct FlowKey { public uint SrcIp, DstIp; public ushort SrcPort, DstPort; public byte Proto; }
        public struct FlowStats { public ulong Packets, Bytes; }

        [BpfMap(Hash, MaxEntries = 65536, Key = typeof(FlowKey), Value = typeof(FlowStats), Flags = BpfMapFlags.NoPrealloc)]
        public partial struct FlowTable;

        [BpfMap(HashOfMaps, MaxEntries = 1024, Key = typeof(uint))]   // tenant id -> that tenant's FlowTable
        [InnerMap(typeof(FlowTable))]
        public partial struct TenantFlows;

        """;

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromSeconds(100);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _root = new("mapgen-consumer-");
    private readonly Dictionary<string, string?> _environment;

    public ConsumerProject(PackedPackage package, string program)
    {
        ArgumentNullException.ThrowIfNull(package);
        ProjectDirectory = _root.Combine("Consumer");
        PackagesDirectory = _root.Combine("packages");
        Directory.CreateDirectory(ProjectDirectory);
        // A package cache of its own (both ways NuGet knows), so a MapGen restored by an earlier
        // run can never stand in for the one just packed.
        _environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["NUGET_PACKAGES"] = PackagesDirectory };

        Write("NuGet.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{package.FeedDirectory}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <!-- MapGen comes from the local feed only: never a package of that name on nuget.org. -->
              <packageSourceMapping>
                <packageSource key="local">
                  <package pattern="MapGen" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
              <fallbackPackageFolders>
                <clear />
              </fallbackPackageFolders>
            </configuration>
            """);
        // Stop MSBuild's upward search: nothing from the temp folder's parents applies.
        Write("Directory.Build.props", "<Project />\n");
        Write("Directory.Build.targets", "<Project />\n");
        Write("Directory.Packages.props", "<Project />\n");
        Write("Consumer.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <!-- The generated code must compile cleanly in a user's project. -->
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <RestorePackagesPath>{PackagesDirectory}</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MapGen" Version="{package.Version}" />
              </ItemGroup>
            </Project>
            """);
        Write("Maps.cs", SpecDeclarations);
        Write("Program.cs", program);
    }

    public string ProjectDirectory { get; }

    public string PackagesDirectory { get; }

    public Task<ProcessResult> BuildAsync() =>
        Dotnet.RunAsync(ProjectDirectory, BuildTimeout, ["build", "--disable-build-servers"], _environment);

    public Task<ProcessResult> RunAsync() =>
        Dotnet.RunAsync(ProjectDirectory, RunTimeout, ["run", "--no-build"], _environment);

    public void Dispose() => _root.Dispose();

    private void Write(string fileName, string text) =>
        File.WriteAllText(Path.Combine(ProjectDirectory, fileName), text.ReplaceLineEndings("\n"));
}
