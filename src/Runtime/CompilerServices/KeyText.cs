using System;
using System.Globalization;
using System.Text;

namespace MapGen.CompilerServices;

/// <summary>
/// Shows a key in an exception message: a number or enum as itself; a struct (whose
/// <c>ToString</c> is often just its type name) with the kernel's bytes of the key in hex, as its
/// codec writes them, so that the message says which key it was.
/// </summary>
internal static class KeyText
{
    /// <summary>Keys longer than this show their first bytes only.</summary>
    private const int MaxBytesShown = 64;

    public static string Format<TKey, TKeyCodec>(in TKey key)
        where TKeyCodec : IBpfCodec<TKey>
    {
        if (key is null)
        {
            return "null";
        }

        Type type = typeof(TKey);
        if (type.IsPrimitive || type.IsEnum)
        {
            return key is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : key.ToString()!;
        }

        byte[] bytes = new byte[TKeyCodec.Size];
        TKeyCodec.Write(bytes, in key);
        var text = new StringBuilder();
        string? shown = key.ToString();
        // ValueType.ToString gives the type's full name: show the short name instead.
        text.Append(string.IsNullOrEmpty(shown) || shown == type.ToString() ? type.Name : shown);
        text.Append(" (bytes ");
        int count = Math.Min(bytes.Length, MaxBytesShown);
        text.Append(Convert.ToHexString(bytes, 0, count).ToLowerInvariant());
        if (count < bytes.Length)
        {
            text.Append(CultureInfo.InvariantCulture, $"… of {bytes.Length}");
        }

        return text.Append(')').ToString();
    }
}
