using System.Text.RegularExpressions;

namespace MapGen.Analyzers.Tests.Infrastructure;

/// <summary>The subset of Microsoft.CodeAnalysis.Testing markup these tests use: <c>{|ID:text|}</c>.</summary>
internal static partial class Markup
{
    /// <summary>The source without markup, as the compiler sees it.</summary>
    public static string Strip(string markup) => Close().Replace(Open().Replace(markup, string.Empty), string.Empty);

    /// <summary>The compiler diagnostic IDs (CSxxxx) the markup expects.</summary>
    public static IReadOnlySet<string> ExpectedCompilerIds(string markup) =>
        Open().Matches(markup).Select(m => m.Groups["id"].Value).Where(id => id.StartsWith("CS", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"\{\|(?<id>[A-Za-z0-9]+):")]
    private static partial Regex Open();

    [GeneratedRegex(@"\|\}")]
    private static partial Regex Close();
}
