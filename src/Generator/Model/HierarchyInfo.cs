namespace MapGen.Generator.Model;

/// <summary>One type declaration the generated code reopens: its keyword and name.</summary>
/// <param name="Keyword">The declaration keywords (<c>class</c>, <c>record struct</c>, <c>readonly struct</c>, …) without <c>partial</c>.</param>
/// <param name="Name">The name with its type parameters, such as <c>Outer&lt;T&gt;</c>.</param>
internal sealed record TypeDeclarationInfo(string Keyword, string Name);

/// <summary>
/// Where a map struct lives: its namespace (empty for the global one), the types containing it
/// (outermost first) and the struct itself, as value data for the pipeline.
/// </summary>
internal sealed record HierarchyInfo(
    string Namespace,
    EquatableArray<TypeDeclarationInfo> ContainingTypes,
    TypeDeclarationInfo Self,
    string FullyQualifiedName,
    string MetadataName)
{
    /// <summary>A file name for the generated source: unique per type, stable, no invalid characters.</summary>
    public string HintName
    {
        get
        {
            var builder = new System.Text.StringBuilder(MetadataName.Length + 8);
            foreach (char c in MetadataName)
            {
                if (c == '@')
                {
                    // An escaped keyword in a namespace (namespace @event): file names take the bare word.
                    continue;
                }

                builder.Append(c is '<' or '>' or ',' or ' ' or '`' or '+' ? '_' : c);
            }

            return builder.Append(".g.cs").ToString();
        }
    }
}
