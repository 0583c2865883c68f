using System.Collections.Immutable;
using System.Linq;
using MapGen.Generator.Parser;
using Microsoft.CodeAnalysis;

namespace MapGen.Analyzers;

/// <summary>
/// MapGen's diagnostics: the catalogue of SPEC section 5 (plus MAPGEN018), each with a help page
/// under <c>docs/diagnostics</c>. Messages say what is wrong and what to do about it.
/// </summary>
internal static class DiagnosticDescriptors
{
    /// <summary>Where the help pages live; each rule's page is this base plus <c>MAPGENxxx.md</c>.</summary>
    public const string HelpLinkBase = "https://github.com/mapgen/mapgen/blob/main/docs/diagnostics/";

    public const string Category = "MapGen";

    /// <summary>Property with the valid map name a MAPGEN008 fix writes.</summary>
    public const string SuggestedNameProperty = "SuggestedName";

    /// <summary>Property, "true" or "false": whether MAPGEN008 is about a declared <c>Name</c> (else the default name).</summary>
    public const string NameGivenProperty = "NameGiven";

    /// <summary>Property with what the fix does: <see cref="RemoveFix"/> or a value to set.</summary>
    public const string FixProperty = "Fix";

    /// <summary>The <see cref="FixProperty"/> value of fixes that remove the offending argument.</summary>
    public const string RemoveFix = Violation.RemoveFix;

    public static readonly DiagnosticDescriptor NotPartialStruct = Error(DiagnosticIds.NotPartialStruct,
        "Map declaration must be a partial struct",
        "'{0}' is {1}, but [BpfMap] must be on a non-generic partial struct; declare it as 'partial struct {0}' so that the generator can complete it",
        "The generator completes a map declaration by adding members to it, which C# allows only for a partial type; a map is a value type, non-generic and not a ref struct.");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error(DiagnosticIds.ContainingTypeNotPartial,
        "Containing type of a map must be partial",
        "'{0}' contains the map struct '{1}' but is not partial; add the partial modifier to '{0}' so that the generator can complete '{1}'",
        "The generated code reopens every type that contains the map struct, so each of them must be partial.");

    public static readonly DiagnosticDescriptor MaxEntries = Error(DiagnosticIds.MaxEntries,
        "MaxEntries not allowed for the map type",
        "{0}",
        "The kernel checks max_entries at map creation: most map types need at least one entry, storage maps take 0, struct_ops maps exactly 1 and ring buffers a power-of-2 multiple of the page size.");

    public static readonly DiagnosticDescriptor NoCLayout = Error(DiagnosticIds.NoCLayout,
        "Key or value type has no C layout",
        "The {0} type '{1}' has no C layout because {2}",
        "Keys and values are copied byte for byte to the kernel, so they must be unmanaged data with a fixed C layout declared in this compilation.");

    public static readonly DiagnosticDescriptor SizeNotAllowed = Error(DiagnosticIds.SizeNotAllowed,
        "Key or value size not allowed for the map type",
        "{0}",
        "Each map type fixes or bounds its key and value sizes at creation (EINVAL or E2BIG): array-like maps take a 4-byte key, outer maps take no declared value, DevMap values are 4 or 8 bytes.");

    public static readonly DiagnosticDescriptor MissingKeyOrValue = Error(DiagnosticIds.MissingKeyOrValue,
        "Map needs a key or value type",
        "{0} maps need a {2} type of {3}; add {1} = typeof(...) to [BpfMap]",
        "Where the kernel does not fix the key or value size, the declaration must name the key and value types.");

    public static readonly DiagnosticDescriptor FlagsNotAllowed = Error(DiagnosticIds.FlagsNotAllowed,
        "Flags not allowed for the map type",
        "{0} ({1} maps accept {2})",
        "Each map type has a creation mask of the BPF_F_* flags it accepts; the kernel refuses any other flag with EINVAL.");

    public static readonly DiagnosticDescriptor InvalidName = Error(DiagnosticIds.InvalidName,
        "Invalid map name",
        "{0} '{1}' is not a valid map name, which is a C identifier of at most 15 characters (letters, digits and '_', not starting with a digit); {2}",
        "The map name is the kernel object name, the BTF variable and the C identifier at once: a C identifier of at most 15 characters.");

    public static readonly DiagnosticDescriptor DuplicateName = new(DiagnosticIds.DuplicateName,
        "Duplicate map name",
        "The map name '{0}' is also used by {1}; map names are kernel object names, BTF variables and C identifiers, so give one of these maps another Name",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Two [BpfMap] declarations in one compilation have the same map name, which clashes in the kernel, in BTF and in C.",
        helpLinkUri: HelpLinkBase + DiagnosticIds.DuplicateName + ".md",
        customTags: WellKnownDiagnosticTags.CompilationEnd);

    public static readonly DiagnosticDescriptor OuterWithoutInner = Error(DiagnosticIds.OuterWithoutInner,
        "Outer map without [InnerMap]",
        "'{0}' is {1} map but has no [InnerMap]; add [InnerMap(typeof(...))] naming the [BpfMap] struct of its inner maps",
        "An outer map needs an inner map template at creation (inner_map_fd), which [InnerMap] names.");

    public static readonly DiagnosticDescriptor InnerOnNonOuter = Error(DiagnosticIds.InnerOnNonOuter,
        "[InnerMap] on a map that is not an outer map",
        "[InnerMap] does not apply to '{0}' because {1}; remove [InnerMap], or declare '{0}' as an ArrayOfMaps or HashOfMaps map",
        "[InnerMap] names the inner map of ArrayOfMaps and HashOfMaps maps and means nothing on other declarations.");

    public static readonly DiagnosticDescriptor ProgArrayInner = Error(DiagnosticIds.ProgArrayInner,
        "ProgArray cannot be an inner map",
        "'{0}' is a ProgArray map, which the kernel refuses as an inner map (ENOTSUPP) because the program type of a program array is bound only when it is used; name another map type in [InnerMap]",
        "bpf_map_meta_alloc refuses program arrays as inner map templates with ENOTSUPP.");

    public static readonly DiagnosticDescriptor OuterAsInner = Error(DiagnosticIds.OuterAsInner,
        "Outer map cannot be an inner map",
        "'{0}' {1}, so it cannot be an inner map: the kernel allows one level of map-in-map nesting (EINVAL); name a map that is not ArrayOfMaps or HashOfMaps",
        "bpf_map_meta_alloc refuses an outer map as an inner map template with EINVAL: map-in-map nests one level only.");

    public static readonly DiagnosticDescriptor InnerNotAMap = Error(DiagnosticIds.InnerNotAMap,
        "[InnerMap] names a type that is not a map",
        "[InnerMap] names '{0}', which is not a [BpfMap] struct; name the struct that declares the inner map with [BpfMap]",
        "The type named by [InnerMap] must be a struct declared with [BpfMap].");

    public static readonly DiagnosticDescriptor InnerTypeNotSupported = Error(DiagnosticIds.InnerTypeNotSupported,
        "Map type cannot be an inner map",
        "'{0}' is {1} map, which the kernel cannot use as an inner map (ENOTSUPP); name another map type in [InnerMap]",
        "Map types without map_meta_equal (CgroupStorage, PerCpuCgroupStorage, StructOps) cannot be inner map templates: ENOTSUPP.");

    public static readonly DiagnosticDescriptor InnerInvalid = Error(DiagnosticIds.InnerInvalid,
        "Inner map declaration is invalid",
        "The inner map '{0}' is invalid ({1}), so '{2}' is not generated either; fix '{0}' first",
        "An outer map is generated only when its inner map's declaration is valid.");

    public static readonly DiagnosticDescriptor NameClashesWithMember = Error(DiagnosticIds.NameClashesWithMember,
        "Map struct named like a generated member",
        "The map struct '{0}' has the name of a member the generator adds to it, which C# forbids (CS0542); rename the struct, and set Name if the map name must stay",
        "A struct cannot contain a member with its own name (CS0542), so a map struct cannot be named like a generated member.");

    public static readonly DiagnosticDescriptor UnknownMapType = Error(DiagnosticIds.UnknownMapType,
        "Unknown map type",
        "{0} is not a map type the kernel knows; use a member of BpfMapType",
        "The map type number is not one of the kernel's enum bpf_map_type values.");

    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create(
        NotPartialStruct, ContainingTypeNotPartial, MaxEntries, NoCLayout, SizeNotAllowed, MissingKeyOrValue, FlagsNotAllowed, InvalidName, DuplicateName, OuterWithoutInner, InnerOnNonOuter, ProgArrayInner, OuterAsInner, InnerNotAMap, InnerTypeNotSupported, InnerInvalid, NameClashesWithMember, UnknownMapType);

    private static readonly ImmutableDictionary<string, DiagnosticDescriptor> ById =
        All.ToImmutableDictionary(d => d.Id, System.StringComparer.Ordinal);

    /// <summary>The descriptor of a rule the parser reports.</summary>
    public static DiagnosticDescriptor Get(string id) => ById[id];

    private static DiagnosticDescriptor Error(string id, string title, string messageFormat, string description) =>
        new(id, title, messageFormat, Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: description, helpLinkUri: HelpLinkBase + id + ".md");
}
