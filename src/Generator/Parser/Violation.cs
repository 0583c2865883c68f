namespace MapGen.Generator.Parser;

/// <summary>Which part of a declaration a violation points at; the analyzer turns it into a location.</summary>
internal enum ViolationSite
{
    /// <summary>The map struct's identifier.</summary>
    Identifier,
    /// <summary>The identifier of a containing type (<see cref="Violation.ContainingTypeDepth"/> says which).</summary>
    ContainingTypeIdentifier,
    /// <summary>The whole <c>[BpfMap]</c> attribute.</summary>
    BpfMapAttribute,
    /// <summary>The map type argument of <c>[BpfMap]</c>.</summary>
    MapTypeArgument,
    /// <summary>The <c>MaxEntries = …</c> argument, else the attribute.</summary>
    MaxEntriesArgument,
    /// <summary>The <c>Key = …</c> argument, else the attribute.</summary>
    KeyArgument,
    /// <summary>The <c>Value = …</c> argument, else the attribute.</summary>
    ValueArgument,
    /// <summary>The <c>Flags = …</c> argument, else the attribute.</summary>
    FlagsArgument,
    /// <summary>The <c>Name = …</c> argument, else the identifier.</summary>
    NameArgument,
    /// <summary>The whole <c>[InnerMap]</c> attribute.</summary>
    InnerMapAttribute,
    /// <summary>The <c>typeof(…)</c> of <c>[InnerMap]</c>.</summary>
    InnerMapArgument,
}

/// <summary>
/// A broken rule found by the parser: the analyzer reports it, the generator only learns that the
/// declaration is invalid. Never flows through the generator pipeline.
/// </summary>
internal sealed class Violation
{
    public Violation(string id, ViolationSite site, params string[] messageArguments)
    {
        Id = id;
        Site = site;
        MessageArguments = messageArguments;
    }

    public string Id { get; }

    public ViolationSite Site { get; }

    public string[] MessageArguments { get; }

    /// <summary>For <see cref="ViolationSite.ContainingTypeIdentifier"/>: 0 for the direct container, 1 for its container, ….</summary>
    public int ContainingTypeDepth { get; set; }

    /// <summary>
    /// A property the code fix reads: the suggested name for MAPGEN008, <see cref="RemoveFix"/> where
    /// the fix removes the offending argument (MAPGEN003, MAPGEN005), or the value to set (MAPGEN003).
    /// </summary>
    public string? FixValue { get; set; }

    /// <summary>
    /// The compiler already reports this problem (an unresolved type, a malformed attribute): the
    /// declaration is invalid, but the analyzer stays silent rather than repeat the compiler.
    /// </summary>
    public bool ReportedByCompiler { get; set; }

    /// <summary>The <see cref="FixValue"/> of violations whose fix removes the offending argument.</summary>
    public const string RemoveFix = "remove";
}
