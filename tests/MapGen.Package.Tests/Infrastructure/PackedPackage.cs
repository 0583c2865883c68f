namespace MapGen.Package.Tests.Infrastructure;

/// <summary>
/// The MapGen package, packed once for the test run from <c>src/Runtime/MapGen.csproj</c> into a
/// folder feed. Its version is new on every run, so no package cache can hold an older build of
/// it: a consumer that restores this version gets exactly what was just packed.
/// </summary>
public sealed class PackedPackage : IAsyncLifetime
{
    private readonly TempDirectory _root = new("mapgen-package-");

    /// <summary>A SemVer pre-release version unique to this run.</summary>
    public string Version { get; } = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";

    /// <summary>The folder feed that holds the package.</summary>
    public string FeedDirectory => _root.Combine("feed");

    /// <summary>The .nupkg file.</summary>
    public string PackagePath => Path.Combine(FeedDirectory, $"MapGen.{Version}.nupkg");

    /// <summary>What <c>dotnet pack</c> did.</summary>
    public ProcessResult? PackResult { get; private set; }

    public async ValueTask InitializeAsync()
    {
        PackResult = await Dotnet.RunAsync(RepoPaths.Root, TimeSpan.FromMinutes(5),
        [
            "pack", RepoPaths.RuntimeProject, "-c", "Release", "-o", FeedDirectory,
            // A build folder of its own: nothing stale is picked up from, or left in, the
            // repository's bin/ and obj/ (which the other test projects are using).
            "--artifacts-path", _root.Combine("artifacts"),
            $"-p:Version={Version}",
            "--disable-build-servers",
        ]);
    }

    /// <summary>Fails the calling test, with the output of <c>dotnet pack</c>, unless the package was packed.</summary>
    /// <returns>The path of the .nupkg.</returns>
    public string RequirePackage()
    {
        Assert.NotNull(PackResult);
        Assert.True(PackResult.Succeeded, $"dotnet pack failed:{Environment.NewLine}{PackResult}");
        Assert.True(File.Exists(PackagePath),
            $"dotnet pack succeeded but {PackagePath} is missing; the feed holds: {string.Join(", ", Directory.GetFiles(FeedDirectory).Select(Path.GetFileName))}");
        return PackagePath;
    }

    public ValueTask DisposeAsync()
    {
        _root.Dispose();
        return ValueTask.CompletedTask;
    }
}
