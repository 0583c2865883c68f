namespace MapGen.Generator.Parser;

/// <summary>The IDs of MapGen's diagnostics: the catalogue of SPEC section 5, and its pages under docs/diagnostics.</summary>
internal static class DiagnosticIds
{
    public const string NotPartialStruct = "MAPGEN001";
    public const string ContainingTypeNotPartial = "MAPGEN002";
    public const string MaxEntries = "MAPGEN003";
    public const string NoCLayout = "MAPGEN004";
    public const string SizeNotAllowed = "MAPGEN005";
    public const string MissingKeyOrValue = "MAPGEN006";
    public const string FlagsNotAllowed = "MAPGEN007";
    public const string InvalidName = "MAPGEN008";
    public const string DuplicateName = "MAPGEN009";
    public const string OuterWithoutInner = "MAPGEN010";
    public const string InnerOnNonOuter = "MAPGEN011";
    public const string ProgArrayInner = "MAPGEN012";
    public const string OuterAsInner = "MAPGEN013";
    public const string InnerNotAMap = "MAPGEN014";
    public const string InnerTypeNotSupported = "MAPGEN015";
    public const string InnerInvalid = "MAPGEN016";
    public const string NameClashesWithMember = "MAPGEN017";
    public const string UnknownMapType = "MAPGEN018";
}
