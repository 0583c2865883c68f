namespace MapGen.Generator;

/// <summary>Names of the generator's pipeline steps, for tests that read the tracked steps.</summary>
internal static class TrackingNames
{
    /// <summary>The <c>[BpfMap]</c> structs, each turned into a model (null when invalid).</summary>
    public const string Maps = nameof(Maps);

    /// <summary>The valid models only.</summary>
    public const string ValidMaps = nameof(ValidMaps);
}
