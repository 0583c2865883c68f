namespace MapGen.Package.Tests.Infrastructure;

/// <summary>Runs a sample of the repository with the command its README line gives, in the tests' configuration.</summary>
public static class Sample
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(100);

    /// <summary>
    /// <c>dotnet run --project <paramref name="project"/></c> with <paramref name="sampleArguments"/>
    /// (after a <c>--</c>). The sample was built with these tests (see the csproj), in their
    /// configuration, so the build is a no-op check. The output goes to the test's output too.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(string project, params string[] sampleArguments)
    {
        ProcessResult run = await Dotnet.RunAsync(RepoPaths.Root, RunTimeout,
            ["run", "--project", project, "-c", RepoPaths.Configuration, "--disable-build-servers", .. sampleArguments]);
        TestContext.Current.TestOutputHelper?.WriteLine(run.ToString());
        return run;
    }

    /// <summary>The non-empty lines of the sample's standard output, trimmed.</summary>
    public static string[] Lines(ProcessResult run) =>
        run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>The sample runs, one at a time: each `dotnet run` checks the shared runtime and generator builds.</summary>
[CollectionDefinition(nameof(Sample))]
public sealed class SampleRuns;
