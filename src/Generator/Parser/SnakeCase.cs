using System.Globalization;
using System.Text;

namespace MapGen.Generator.Parser;

/// <summary>
/// The default map name: the struct name in snake_case exactly as
/// <c>JsonNamingPolicy.SnakeCaseLower</c> writes it (a test compares the two), cut to 15 characters.
/// </summary>
internal static class SnakeCase
{
    public const int MaxNameLength = 15;

    public static string DefaultMapName(string typeName)
    {
        string snake = Convert(typeName);
        return snake.Length > MaxNameLength ? snake.Substring(0, MaxNameLength) : snake;
    }

    /// <summary>Converts like System.Text.Json's separator naming policy with '_' and lower case.</summary>
    public static string Convert(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        var state = State.NotStarted;
        for (int i = 0; i < name.Length; i++)
        {
            char current = name[i];
            switch (char.GetUnicodeCategory(current))
            {
                case UnicodeCategory.UppercaseLetter:
                    switch (state)
                    {
                        case State.LowercaseLetterOrDigit:
                        case State.SpaceSeparator:
                            builder.Append('_');
                            break;
                        case State.UppercaseLetter:
                            // Inside an acronym: a new word starts where a lower-case letter follows.
                            if (i + 1 < name.Length && char.IsLower(name[i + 1]))
                            {
                                builder.Append('_');
                            }

                            break;
                    }

                    builder.Append(char.ToLowerInvariant(current));
                    state = State.UppercaseLetter;
                    break;

                case UnicodeCategory.LowercaseLetter:
                case UnicodeCategory.DecimalDigitNumber:
                    if (state == State.SpaceSeparator)
                    {
                        builder.Append('_');
                    }

                    builder.Append(current);
                    state = State.LowercaseLetterOrDigit;
                    break;

                case UnicodeCategory.SpaceSeparator:
                    if (state != State.NotStarted)
                    {
                        state = State.SpaceSeparator;
                    }

                    break;

                default:
                    builder.Append(current);
                    state = State.NotStarted;
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Whether <paramref name="name"/> is a valid map name: a C identifier of at most 15 characters.</summary>
    public static bool IsValidMapName(string? name)
    {
        if (name is null || name.Length == 0 || name.Length > MaxNameLength)
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A valid map name derived from an invalid one: other characters become '_', a leading digit gets a '_', cut to 15.</summary>
    public static string MakeValid(string name)
    {
        var builder = new StringBuilder(name.Length + 1);
        foreach (char c in name)
        {
            bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            builder.Append(ok ? c : '_');
        }

        if (builder.Length == 0 || (builder[0] >= '0' && builder[0] <= '9'))
        {
            builder.Insert(0, builder.Length == 0 ? "map" : "_");
        }

        string result = builder.ToString();
        return result.Length > MaxNameLength ? result.Substring(0, MaxNameLength) : result;
    }

    private enum State
    {
        NotStarted,
        UppercaseLetter,
        LowercaseLetterOrDigit,
        SpaceSeparator,
    }
}
