using System.Reflection;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace MapGen.Tests.Generator;

/// <summary>
/// Snapshot checks in Verify's manner: the expected text lives in <c>Snapshots/{name}.verified.cs</c>
/// beside the test; a mismatch writes <c>{name}.received.cs</c> and fails with a diff. Set
/// <c>MAPGEN_ACCEPT_SNAPSHOTS=1</c> to accept the received text as the new verified one.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "MAPGEN_ACCEPT_SNAPSHOTS";

    public static void Verify(string name, string actual)
    {
        string directory = Path.Combine(ProjectDirectory, "Generator", "Snapshots");
        string verifiedPath = Path.Combine(directory, name + ".verified.cs");
        string receivedPath = Path.Combine(directory, name + ".received.cs");
        actual = Normalize(actual);
        string? expected = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
        if (expected == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        if (Environment.GetEnvironmentVariable(AcceptVariable) is "1" or "true")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, actual);
            File.Delete(receivedPath);
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(receivedPath, actual);
        string message = expected is null
            ? $"No snapshot {verifiedPath} yet. Received output written to {receivedPath}; review it and rerun with {AcceptVariable}=1 to accept."
            : $"Snapshot {name} differs; received output written to {receivedPath} (rerun with {AcceptVariable}=1 to accept):\n{Diff(expected, actual)}";
        Assert.Fail(message);
    }

    /// <summary>The test project's source folder, recorded at build time (CI builds map source paths, so CallerFilePath will not do).</summary>
    private static string ProjectDirectory =>
        typeof(Snapshot).Assembly.GetCustomAttributes<System.Reflection.AssemblyMetadataAttribute>()
            .Single(a => a.Key == "MapGen.Tests.ProjectDirectory").Value!;

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static string Diff(string expected, string actual)
    {
        DiffPaneModel diff = InlineDiffBuilder.Diff(expected, actual);
        var lines = new List<string>();
        for (int i = 0; i < diff.Lines.Count; i++)
        {
            DiffPiece line = diff.Lines[i];
            if (line.Type == ChangeType.Unchanged)
            {
                continue;
            }

            string prefix = line.Type == ChangeType.Inserted ? "+ " : line.Type == ChangeType.Deleted ? "- " : "~ ";
            lines.Add($"{prefix}{line.Position?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?",5}: {line.Text}");
            if (lines.Count == 60)
            {
                lines.Add("…");
                break;
            }
        }

        return string.Join('\n', lines);
    }
}
