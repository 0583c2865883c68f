namespace MapGen.Package.Tests.Infrastructure;

/// <summary>Runs the .NET CLI as a user would, isolated from the test host's own build.</summary>
public static class Dotnet
{
    /// <summary>
    /// The <c>dotnet</c> that runs these tests (the SDK sets <c>DOTNET_HOST_PATH</c> for its
    /// children), else the one on PATH.
    /// </summary>
    public static string Executable { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>
    /// Runs <c>dotnet</c> with <paramref name="arguments"/>. Build commands should pass
    /// <c>--disable-build-servers</c>: a compiler server started here would outlive the test.
    /// </summary>
    public static Task<ProcessResult> RunAsync(
        string workingDirectory,
        TimeSpan timeout,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        // `dotnet test` leaves MSBuild's own variables (MSBuildExtensionsPath, MSBuildSDKsPath, ...)
        // in the test host's environment; a child build must resolve its SDK afresh, as a user's does.
        foreach (string name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase))
            {
                variables[name] = null;
            }
        }

        variables["MSBUILDDISABLENODEREUSE"] = "1";
        variables["MSBUILDTERMINALLOGGER"] = "off";
        variables["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        variables["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        variables["DOTNET_NOLOGO"] = "1";
        variables["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // Messages are matched in English.
        variables["DOTNET_CLI_UI_LANGUAGE"] = "en";
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            variables[name] = value;
        }

        return ProcessRunner.RunAsync(Executable, arguments, workingDirectory, timeout, variables, TestContext.Current.CancellationToken);
    }
}
