using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using MapGen.Package.Tests.Infrastructure;

namespace MapGen.Package.Tests;

/// <summary>The layout of the packed <c>MapGen</c> package: one runtime assembly, the Roslyn components beside it.</summary>
public sealed class PackTests(PackedPackage package)
{
    private const string RuntimeAssembly = "lib/net10.0/MapGen.dll";
    private const string AnalyzerFolder = "analyzers/dotnet/cs/";

    [Fact]
    public void Package_holds_the_runtime_in_lib_and_the_generator_analyzers_and_code_fixes_in_analyzers()
    {
        using ZipArchive zip = ZipFile.OpenRead(package.RequirePackage());
        string[] assemblies = Assemblies(zip);

        Assert.Contains(RuntimeAssembly, assemblies);
        Assert.Contains(AnalyzerFolder + "MapGen.Generator.dll", assemblies);
        Assert.Contains(AnalyzerFolder + "MapGen.Analyzers.dll", assemblies);
        Assert.Contains(AnalyzerFolder + "MapGen.CodeFixes.dll", assemblies);
        // The runtime is the only assembly a consumer references.
        Assert.Equal([RuntimeAssembly], assemblies.Where(a => a.StartsWith("lib/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Package_ships_no_assembly_but_its_own()
    {
        using ZipArchive zip = ZipFile.OpenRead(package.RequirePackage());

        // The compiler provides Roslyn, and PolySharp is compiled in: shipping either (or a DLL in
        // some other folder) would load a second copy into the consumer's compiler or app.
        string[] strays = Assemblies(zip)
            .Where(a => a != RuntimeAssembly
                && !(a.StartsWith(AnalyzerFolder + "MapGen.", StringComparison.Ordinal) && a.IndexOf('/', AnalyzerFolder.Length) < 0))
            .ToArray();
        Assert.Empty(strays);
    }

    [Fact]
    public void Nuspec_has_the_packed_version_and_no_dependency_on_the_unpublished_Roslyn_projects()
    {
        using ZipArchive zip = ZipFile.OpenRead(package.RequirePackage());
        ZipArchiveEntry nuspecEntry = Assert.Single(zip.Entries, e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        XDocument nuspec;
        using (Stream stream = nuspecEntry.Open())
        {
            nuspec = XDocument.Load(stream);
        }

        XElement metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        Assert.Equal("MapGen", Element(metadata, "id"));
        Assert.Equal(package.Version, Element(metadata, "version"));
        // A ProjectReference without PrivateAssets="all" would become a dependency on a package
        // that does not exist, and every consumer's restore would fail (NU1101).
        string[] dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => (string?)e.Attribute("id") ?? "?").ToArray();
        Assert.DoesNotContain(dependencies, id => id.StartsWith("MapGen", StringComparison.OrdinalIgnoreCase));
        // The README is the package's readme on nuget.org.
        Assert.Equal("README.md", Element(metadata, "readme"));
        Assert.Contains(zip.Entries, e => e.FullName == "README.md");
    }

    [Theory]
    [InlineData("MapGen.Generator.dll")]
    [InlineData("MapGen.Analyzers.dll")]
    [InlineData("MapGen.CodeFixes.dll")]
    public void Roslyn_components_target_netstandard_and_Roslyn_4_8_so_older_compilers_load_them(string fileName)
    {
        using ZipArchive zip = ZipFile.OpenRead(package.RequirePackage());
        ZipArchiveEntry entry = zip.GetEntry(AnalyzerFolder + fileName) ?? throw new Xunit.Sdk.XunitException($"{fileName} is not in {AnalyzerFolder}.");
        using var image = new MemoryStream();
        using (Stream stream = entry.Open())
        {
            stream.CopyTo(image);
        }

        image.Position = 0;
        using var pe = new PEReader(image);
        MetadataReader metadata = pe.GetMetadataReader();
        Dictionary<string, Version> references = metadata.AssemblyReferences
            .Select(metadata.GetAssemblyReference)
            .ToDictionary(r => metadata.GetString(r.Name), r => r.Version);

        // A compiler loads only components built for netstandard2.0 against a Roslyn no newer
        // than itself (else CS9057); 4.8 is the floor the repository promises (VS 17.8, SDK 8).
        Assert.Contains("netstandard", references.Keys);
        Assert.True(references.TryGetValue("Microsoft.CodeAnalysis", out Version? roslyn), $"{fileName} does not reference Microsoft.CodeAnalysis.");
        Assert.True(roslyn <= new Version(4, 8, 0, 0), $"{fileName} references Microsoft.CodeAnalysis {roslyn}; it must build against 4.8 or older.");
    }

    private static string[] Assemblies(ZipArchive zip) =>
        zip.Entries.Select(e => e.FullName)
            .Where(n => n.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || n.EndsWith(".exe", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static string? Element(XElement parent, string localName) =>
        parent.Elements().FirstOrDefault(e => e.Name.LocalName == localName)?.Value;
}
