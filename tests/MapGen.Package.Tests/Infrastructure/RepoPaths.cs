using System.Reflection;

namespace MapGen.Package.Tests.Infrastructure;

/// <summary>Paths in the repository under test.</summary>
public static class RepoPaths
{
    /// <summary>The repository root: the folder above the test binaries that holds MapGen.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string RuntimeProject => Path.Combine(Root, "src", "Runtime", "MapGen.csproj");

    public static string SampleProject => Path.Combine(Root, "samples", "DevMapRedirect");

    public static string FlowCollectorProject => Path.Combine(Root, "samples", "FlowCollector");

    /// <summary>The configuration these tests were built in (Debug, Release), and with them the sample.</summary>
    public static string Configuration { get; } =
        typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value
        ?? throw new InvalidOperationException("The test assembly does not record its build configuration.");

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MapGen.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No MapGen.sln above {AppContext.BaseDirectory}.");
    }
}
