using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using MapGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MapGen.Generator.Parser;

/// <summary>A parsed declaration: the model when valid, and every rule it breaks.</summary>
internal sealed class MapParseResult
{
    public MapParseResult(MapModel? model, IReadOnlyList<Violation> violations, string mapName)
    {
        Model = model;
        Violations = violations;
        MapName = mapName;
    }

    /// <summary>The model; null when the declaration breaks a rule.</summary>
    public MapModel? Model { get; }

    public IReadOnlyList<Violation> Violations { get; }

    /// <summary>The kernel name the map gets (declared or default), for the duplicate-name check.</summary>
    public string MapName { get; }
}

/// <summary>
/// Judges a <c>[BpfMap]</c> declaration by the kernel's rules and turns it into a value model.
/// The one place where MapGen's rules live: the generator emits code only for declarations that
/// pass, and the analyzers report what this finds.
/// </summary>
internal static class MapDeclarationParser
{
    public const string BpfMapAttributeName = "BpfMapAttribute";
    public const string InnerMapAttributeName = "InnerMapAttribute";
    public const string AttributeNamespace = "MapGen";
    public const string BpfMapAttributeMetadataName = "MapGen.BpfMapAttribute";

    /// <summary>Names of generated members: a struct named like one of them cannot hold it (CS0542).</summary>
    public static readonly ImmutableHashSet<string> GeneratedMemberNames = ImmutableHashSet.Create(System.StringComparer.Ordinal,
        "Spec", "Map", "Create", "Open", "OpenOrCreate", "FromMap", "Pin", "Unpin", "TryLookup", "Lookup", "Update",
        "UpdateBatch", "Delete", "Keys", "Entries", "Dispose", "Wrap");

    public static MapParseResult Parse(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        Parse(type, FindAttribute(type, BpfMapAttributeName), judgingInner: false, cancellationToken);

    public static AttributeData? FindAttribute(INamedTypeSymbol type, string name)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (CLayout.IsAttribute(attribute, name, AttributeNamespace))
            {
                return attribute;
            }
        }

        return null;
    }

    private static MapParseResult Parse(INamedTypeSymbol type, AttributeData? attribute, bool judgingInner, CancellationToken cancellationToken)
    {
        var violations = new List<Violation>();
        string defaultName = SnakeCase.DefaultMapName(type.Name);
        if (attribute is null || attribute.ConstructorArguments.Length != 1 || !TryGetUInt32(attribute.ConstructorArguments[0], out uint mapTypeNumber))
        {
            // The compiler reports a malformed attribute; there is nothing to judge.
            violations.Add(new Violation(DiagnosticIds.UnknownMapType, ViolationSite.BpfMapAttribute, "?") { ReportedByCompiler = true });
            return new MapParseResult(null, violations, defaultName);
        }

        if (type.GetAttributes().Count(a => CLayout.IsAttribute(a, BpfMapAttributeName, AttributeNamespace)) > 1)
        {
            // [BpfMap] on two partial declarations (CS0579): the compiler reports it, and generating
            // once per attribute would add the same source twice.
            violations.Add(new Violation(DiagnosticIds.UnknownMapType, ViolationSite.BpfMapAttribute, "?") { ReportedByCompiler = true });
            return new MapParseResult(null, violations, defaultName);
        }

        CheckDeclaration(type, violations);

        var mapType = (BpfMapType)mapTypeNumber;
        uint? maxEntries = null;
        uint flagsValue = 0;
        bool flagsGiven = false;
        ITypeSymbol? keyType = null;
        ITypeSymbol? valueType = null;
        string? explicitName = null;
        bool nameGiven = false;
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            switch (named.Key)
            {
                case "MaxEntries" when named.Value.Value is uint m:
                    maxEntries = m;
                    break;
                case "Flags" when TryGetUInt32(named.Value, out uint f):
                    flagsValue = f;
                    flagsGiven = true;
                    break;
                case "Key":
                    keyType = named.Value.Value as ITypeSymbol;
                    break;
                case "Value":
                    valueType = named.Value.Value as ITypeSymbol;
                    break;
                case "Name":
                    explicitName = named.Value.Value as string;
                    nameGiven = true;
                    break;
            }
        }

        string mapName = nameGiven ? explicitName ?? string.Empty : defaultName;
        if (!SnakeCase.IsValidMapName(mapName))
        {
            string suggestion = SnakeCase.MakeValid(mapName);
            violations.Add(nameGiven
                ? new Violation(DiagnosticIds.InvalidName, ViolationSite.NameArgument, "The map name", mapName, $"use '{suggestion}' instead")
                { FixValue = suggestion }
                : new Violation(DiagnosticIds.InvalidName, ViolationSite.Identifier, $"The default map name derived from '{type.Name}'", mapName, $"set Name = \"{suggestion}\" in [BpfMap]")
                { FixValue = suggestion });
        }

        if (!MapTypeTraits.TryGet(mapType, out MapTypeTraits traits))
        {
            violations.Add(new Violation(DiagnosticIds.UnknownMapType, ViolationSite.MapTypeArgument, mapTypeNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return new MapParseResult(null, violations, mapName);
        }

        var flags = (BpfMapFlags)flagsValue;
        CheckMaxEntries(traits, maxEntries, violations);
        CodecModel? key = CheckKeyOrValue(traits, "Key", traits.Key, keyType, ViolationSite.KeyArgument, violations, out uint keySize,
            size => traits.AllowsKeySize(size), traits.DescribeKey());
        CodecModel? value = CheckKeyOrValue(traits, "Value", traits.ValueRuleFor(flags), valueType, ViolationSite.ValueArgument, violations, out uint valueSize,
            size => traits.AllowsValueSize(size, flags), traits.DescribeValue(flags));
        CheckFlags(traits, flags, flagsGiven, violations);
        CheckVisibility(type, keyType, "Key", ViolationSite.KeyArgument, violations);
        CheckVisibility(type, valueType, "Value", ViolationSite.ValueArgument, violations);

        cancellationToken.ThrowIfCancellationRequested();
        string? innerType = CheckInnerMap(type, traits, judgingInner, violations, out INamedTypeSymbol? innerSymbol, cancellationToken);

        if (violations.Count != 0)
        {
            return new MapParseResult(null, violations, mapName);
        }

        var model = new MapModel(
            Hierarchy(type),
            mapName,
            mapType,
            traits.Api,
            keySize,
            traits.IsOuter ? 4U : valueSize,
            maxEntries ?? 0,
            flags,
            traits.Api == MapApiKind.HandleOnly ? null : key,
            traits.Api is MapApiKind.HandleOnly or MapApiKind.Outer ? null : value,
            innerType,
            traits.HasDelete,
            traits.HasLookupAndDelete,
            traits.IsMmapable(flags),
            !traits.IsOuter && MapTypeTraits.InnerMaxEntriesMayDiffer(mapType, flags),
            MemberAccessibility(type, keyType, valueType, innerSymbol))
        {
            KeyType = key?.CType,
            ValueType = traits.IsOuter ? null : value?.CType,
        };
        return new MapParseResult(model, violations, mapName);
    }

    private static void CheckDeclaration(INamedTypeSymbol type, List<Violation> violations)
    {
        bool partialStruct = type.TypeKind == TypeKind.Struct && !type.IsRefLikeType && !type.IsGenericType;
        bool primaryConstructor = false;
        if (partialStruct)
        {
            foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is TypeDeclarationSyntax declaration)
                {
                    partialStruct &= declaration.Modifiers.Any(SyntaxKind.PartialKeyword);
                    primaryConstructor |= declaration.ParameterList is not null;
                }
            }
        }

        if (!partialStruct || primaryConstructor)
        {
            // A primary constructor would require the generated constructor to call it (CS8862).
            string what = type.TypeKind != TypeKind.Struct ? KindName(type)
                : type.IsRefLikeType ? "a ref struct"
                : type.IsGenericType ? "a generic struct"
                : !partialStruct ? "a struct without the partial modifier"
                : "a struct with a primary constructor";
            violations.Add(new Violation(DiagnosticIds.NotPartialStruct, ViolationSite.Identifier, type.Name, what));
        }

        int depth = 0;
        for (INamedTypeSymbol? container = type.ContainingType; container is not null; container = container.ContainingType, depth++)
        {
            bool isPartial = container.DeclaringSyntaxReferences.Length > 0 && container.DeclaringSyntaxReferences.All(r =>
                r.GetSyntax() is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!isPartial)
            {
                violations.Add(new Violation(DiagnosticIds.ContainingTypeNotPartial, ViolationSite.ContainingTypeIdentifier, container.Name, type.Name)
                { ContainingTypeDepth = depth });
            }
        }

        if (GeneratedMemberNames.Contains(type.Name))
        {
            violations.Add(new Violation(DiagnosticIds.NameClashesWithMember, ViolationSite.Identifier, type.Name));
        }
    }

    private static void CheckMaxEntries(MapTypeTraits traits, uint? declared, List<Violation> violations)
    {
        uint maxEntries = declared ?? 0;
        string given = declared is null ? "it is missing" : $"it is {maxEntries.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        (string? problem, string? fix) = traits.MaxEntries switch
        {
            MaxEntriesRule.Positive when maxEntries == 0 =>
                ($"{traits.Type} maps need MaxEntries of at least 1, but {given}; set MaxEntries to the number of entries the map must hold", null),
            MaxEntriesRule.Zero when maxEntries != 0 =>
                ($"{traits.Type} maps are sized by the kernel, which refuses any MaxEntries but 0; remove MaxEntries", Violation.RemoveFix),
            MaxEntriesRule.One when maxEntries != 1 =>
                ($"{traits.Type} maps hold exactly one entry, but {given}; set MaxEntries = 1", "1"),
            MaxEntriesRule.PageSizePowerOfTwo when maxEntries < 4096 || (maxEntries & (maxEntries - 1)) != 0 =>
                ($"{traits.Type} maps take their size in bytes as MaxEntries, which must be a power of 2 and a multiple of the page size (4096 or more), but {given}; use a size such as 262144", null),
            _ => ((string?)null, (string?)null),
        };
        if (problem is not null)
        {
            violations.Add(new Violation(DiagnosticIds.MaxEntries, ViolationSite.MaxEntriesArgument, problem) { FixValue = fix });
        }
    }

    private static CodecModel? CheckKeyOrValue(MapTypeTraits traits, string role, SizeRule rule, ITypeSymbol? declared,
        ViolationSite site, List<Violation> violations, out uint size, System.Func<uint, bool> allows, string allowedSizes)
    {
        if (declared is null)
        {
            size = MapTypeTraits.DefaultSize(rule);
            if (rule is SizeRule.Four or SizeRule.FourOrEight)
            {
                return new CodecModel("uint", 4, EquatableArray<ByteRange>.Empty, CTypeModel.Primitive("U32", 4));
            }

            if (rule is not (SizeRule.Zero or SizeRule.InnerMapFd))
            {
                violations.Add(new Violation(DiagnosticIds.MissingKeyOrValue, ViolationSite.BpfMapAttribute, traits.Type.ToString(), role,
                    role == "Key" ? "key" : "value", allowedSizes));
            }

            return null;
        }

        size = 0;
        if (declared.TypeKind == TypeKind.Error)
        {
            // The compiler already reports the unresolved type.
            violations.Add(new Violation(DiagnosticIds.NoCLayout, site, role.ToLowerInvariant(), declared.ToDisplayString(), "it could not be resolved")
            { ReportedByCompiler = true });
            return null;
        }

        if (rule is SizeRule.InnerMapFd)
        {
            violations.Add(new Violation(DiagnosticIds.SizeNotAllowed, site,
                $"{traits.Type} maps take no {role}: the values of an outer map are its inner maps, which [InnerMap] names; remove {role}")
            { FixValue = Violation.RemoveFix });
            return null;
        }

        if (rule is SizeRule.Zero)
        {
            violations.Add(new Violation(DiagnosticIds.SizeNotAllowed, site,
                $"{traits.Type} maps have no {role.ToLowerInvariant()} (the kernel requires a {role.ToLowerInvariant()} size of 0); remove {role}")
            { FixValue = Violation.RemoveFix });
            return null;
        }

        CTypeLayout? layout = CLayout.TryCompute(declared, out string? error);
        if (layout is null)
        {
            violations.Add(new Violation(DiagnosticIds.NoCLayout, site, role.ToLowerInvariant(), declared.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat), error ?? "it has no C layout"));
            return null;
        }

        size = (uint)layout.Size;
        if (!allows(size))
        {
            string typeName = declared.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
            violations.Add(new Violation(DiagnosticIds.SizeNotAllowed, site,
                $"The {role.ToLowerInvariant()} of {Article(traits.Type)} map must be {allowedSizes}, but '{typeName}' is {size.ToString(System.Globalization.CultureInfo.InvariantCulture)} bytes; use a {role.ToLowerInvariant()} type of an allowed size"));
            return null;
        }

        return new CodecModel(declared.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), layout.Size, layout.Padding, layout.CType);
    }

    /// <summary>Flags that name a file descriptor in other attributes of the system call, which a declaration cannot carry.</summary>
    private const BpfMapFlags FdFlags = BpfMapFlags.PathFd | BpfMapFlags.TokenFd | BpfMapFlags.VTypeBtfObjFd;

    private static void CheckFlags(MapTypeTraits traits, BpfMapFlags flags, bool given, List<Violation> violations)
    {
        var problems = new List<string>();
        BpfMapFlags refused = flags & ~traits.AllowedFlags;
        if (refused != 0)
        {
            problems.Add($"{traits.Type} maps do not accept {FlagNames(refused)} (EINVAL); remove {(IsSingleFlag(refused) ? "it" : "them")}");
        }

        BpfMapFlags fdFlags = flags & traits.AllowedFlags & FdFlags;
        if (fdFlags != 0)
        {
            problems.Add($"{FlagNames(fdFlags)} names a file descriptor in another attribute of the system call, which a declaration cannot carry; remove it");
        }

        BpfMapFlags missing = traits.RequiredFlags & ~flags;
        if (missing != 0)
        {
            problems.Add($"{traits.Type} maps cannot be created without {FlagNames(missing)} (EINVAL); add it");
        }

        foreach (BpfMapFlags pair in new[] { BpfMapFlags.RdOnly | BpfMapFlags.WrOnly, BpfMapFlags.RdOnlyProg | BpfMapFlags.WrOnlyProg, traits.MutuallyExclusiveFlags })
        {
            if (pair != 0 && (flags & pair) == pair)
            {
                problems.Add($"{traits.Type} maps do not accept {FlagNames(pair, " and ")} together (EINVAL); keep one of them");
            }
        }

        if (problems.Count != 0)
        {
            violations.Add(new Violation(DiagnosticIds.FlagsNotAllowed, given ? ViolationSite.FlagsArgument : ViolationSite.BpfMapAttribute,
                string.Join("; ", problems), traits.Type.ToString(), FlagNames(traits.AllowedFlags & ~FdFlags)));
        }
    }

    /// <summary>The map type's name with its indefinite article: "an Array", "a Hash".</summary>
    private static string Article(BpfMapType type)
    {
        string name = type.ToString();
        return (name.Length > 0 && "AEIOU".IndexOf(name[0]) >= 0 ? "an " : "a ") + name;
    }

    private static bool IsSingleFlag(BpfMapFlags flags) => ((uint)flags & ((uint)flags - 1)) == 0;

    private static string? CheckInnerMap(INamedTypeSymbol type, MapTypeTraits traits, bool judgingInner, List<Violation> violations,
        out INamedTypeSymbol? innerSymbol, CancellationToken cancellationToken)
    {
        innerSymbol = null;
        AttributeData? innerAttribute = FindAttribute(type, InnerMapAttributeName);
        if (!traits.IsOuter)
        {
            if (innerAttribute is not null)
            {
                violations.Add(new Violation(DiagnosticIds.InnerOnNonOuter, ViolationSite.InnerMapAttribute, type.Name,
                    $"it is {Article(traits.Type)} map, not an outer map"));
            }

            return null;
        }

        if (innerAttribute is null)
        {
            violations.Add(new Violation(DiagnosticIds.OuterWithoutInner, ViolationSite.Identifier, type.Name, Article(traits.Type)));
            return null;
        }

        if (judgingInner)
        {
            // An outer map used as an inner map: the outer that names it reports MAPGEN013.
            return null;
        }

        if (innerAttribute.ConstructorArguments.Length != 1 || innerAttribute.ConstructorArguments[0].Value is not INamedTypeSymbol inner
            || inner.TypeKind == TypeKind.Error)
        {
            // typeof(null), a missing argument or an unresolved type: the compiler reports it.
            bool compilerReports = innerAttribute.ConstructorArguments.Length != 1 || innerAttribute.ConstructorArguments[0].Value is null
                || innerAttribute.ConstructorArguments[0].Value is ITypeSymbol { TypeKind: TypeKind.Error };
            string shown = innerAttribute.ConstructorArguments.Length == 1 && innerAttribute.ConstructorArguments[0].Value is ITypeSymbol shownType
                ? shownType.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) : "?";
            violations.Add(new Violation(DiagnosticIds.InnerNotAMap, ViolationSite.InnerMapArgument, shown) { ReportedByCompiler = compilerReports });
            return null;
        }

        string innerName = inner.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
        AttributeData? innerBpfMap = FindAttribute(inner, BpfMapAttributeName);
        if (innerBpfMap is null || inner.TypeKind != TypeKind.Struct)
        {
            violations.Add(new Violation(DiagnosticIds.InnerNotAMap, ViolationSite.InnerMapArgument, innerName));
            return null;
        }

        if (innerBpfMap.ConstructorArguments.Length != 1 || !TryGetUInt32(innerBpfMap.ConstructorArguments[0], out uint innerMapTypeNumber))
        {
            // The inner map's own [BpfMap] is malformed: the compiler reports it there.
            violations.Add(new Violation(DiagnosticIds.InnerInvalid, ViolationSite.InnerMapArgument, innerName, "its [BpfMap] is malformed", type.Name)
            { ReportedByCompiler = true });
            return null;
        }

        var innerMapType = (BpfMapType)innerMapTypeNumber;
        if (innerMapType == BpfMapType.ProgArray)
        {
            violations.Add(new Violation(DiagnosticIds.ProgArrayInner, ViolationSite.InnerMapArgument, innerName));
            return null;
        }

        bool innerKnown = MapTypeTraits.TryGet(innerMapType, out MapTypeTraits innerTraits);
        if (SymbolEqualityComparer.Default.Equals(inner, type) || (innerKnown && innerTraits.IsOuter))
        {
            violations.Add(new Violation(DiagnosticIds.OuterAsInner, ViolationSite.InnerMapArgument, innerName,
                SymbolEqualityComparer.Default.Equals(inner, type) ? "is this outer map itself" : $"is {Article(innerMapType)} map"));
            return null;
        }

        if (innerKnown && !innerTraits.CanBeInnerMap)
        {
            violations.Add(new Violation(DiagnosticIds.InnerTypeNotSupported, ViolationSite.InnerMapArgument, innerName, Article(innerMapType)));
            return null;
        }

        bool fromSource = inner.Locations.Any(l => l.IsInSource);
        if (fromSource)
        {
            MapParseResult innerResult = Parse(inner, innerBpfMap, judgingInner: true, cancellationToken);
            if (innerResult.Model is null)
            {
                string reasons = string.Join(", ", innerResult.Violations.Select(v => v.Id).Distinct().OrderBy(id => id, System.StringComparer.Ordinal));
                violations.Add(new Violation(DiagnosticIds.InnerInvalid, ViolationSite.InnerMapArgument, innerName, $"it breaks {reasons}", type.Name));
                return null;
            }
        }
        else if (!inner.AllInterfaces.Any(i => i.Name == "IBpfMap" && i.ContainingNamespace?.ToDisplayString() == AttributeNamespace))
        {
            // A map struct from a referenced assembly was generated there, or it was invalid there.
            violations.Add(new Violation(DiagnosticIds.InnerInvalid, ViolationSite.InnerMapArgument, innerName, "it was not generated in its own assembly", type.Name));
            return null;
        }

        innerSymbol = inner;
        return inner.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
    }

    private static HierarchyInfo Hierarchy(INamedTypeSymbol type)
    {
        var containers = new List<TypeDeclarationInfo>();
        for (INamedTypeSymbol? container = type.ContainingType; container is not null; container = container.ContainingType)
        {
            containers.Insert(0, new TypeDeclarationInfo(Keyword(container), NameWithTypeParameters(container)));
        }

        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
        return new HierarchyInfo(
            ns,
            new EquatableArray<TypeDeclarationInfo>(containers),
            new TypeDeclarationInfo(Keyword(type), Escape(type.Name)),
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            MetadataName(type));
    }

    private static string Keyword(INamedTypeSymbol type)
    {
        string kind = type.TypeKind switch
        {
            TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
            TypeKind.Interface => "interface",
            _ => type.IsRecord ? "record" : "class",
        };
        if (type.TypeKind == TypeKind.Struct && type.IsReadOnly)
        {
            kind = "readonly " + kind;
        }

        return kind;
    }

    private static string NameWithTypeParameters(INamedTypeSymbol type) =>
        type.TypeParameters.Length == 0 ? Escape(type.Name) : $"{Escape(type.Name)}<{string.Join(", ", type.TypeParameters.Select(p => Escape(p.Name)))}>";

    /// <summary>An identifier as source must spell it: a keyword used as a name needs its '@'.</summary>
    private static string Escape(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    private static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (INamedTypeSymbol? container = type.ContainingType; container is not null; container = container.ContainingType)
        {
            name = container.MetadataName + "." + name;
        }

        return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + name : name;
    }

    private static string KindName(INamedTypeSymbol type) => type.TypeKind switch
    {
        TypeKind.Class => type.IsRecord ? "a record class" : "a class",
        TypeKind.Interface => "an interface",
        TypeKind.Enum => "an enum",
        TypeKind.Delegate => "a delegate",
        _ => "not a struct",
    };

    /// <summary>
    /// Reads an attribute constant as the kernel's <c>u32</c>: enum and integer constants only, so
    /// that malformed attributes (which the compiler reports) never throw here.
    /// </summary>
    internal static bool TryGetUInt32(TypedConstant constant, out uint value)
    {
        value = 0;
        if (constant.Kind is not (TypedConstantKind.Enum or TypedConstantKind.Primitive))
        {
            return false;
        }

        switch (constant.Value)
        {
            case uint u:
                value = u;
                return true;
            case int i:
                value = unchecked((uint)i);
                return true;
            case ushort us:
                value = us;
                return true;
            case short sh:
                value = unchecked((uint)sh);
                return true;
            case byte b:
                value = b;
                return true;
            case sbyte sb:
                value = unchecked((uint)sb);
                return true;
            case ulong ul when ul <= uint.MaxValue:
                value = (uint)ul;
                return true;
            case long l when l is >= 0 and <= uint.MaxValue:
                value = (uint)l;
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// <c>public</c> unless a key or value type is less visible than the map struct, in which case
    /// the typed members are <c>internal</c> so that the generated code still compiles.
    /// </summary>
    private static string MemberAccessibility(INamedTypeSymbol map, ITypeSymbol? key, ITypeSymbol? value, ITypeSymbol? inner)
    {
        bool mapPublic = IsEffectivelyPublic(map);
        bool typesPublic = (key is null || IsEffectivelyPublic(key)) && (value is null || IsEffectivelyPublic(value))
            && (inner is null || IsEffectivelyPublic(inner));
        return mapPublic && !typesPublic ? "internal" : "public";
    }

    /// <summary>
    /// A key or value type that is private or protected somewhere in its containers can appear in
    /// the generated members only if the map struct is nested in the type that hides it; otherwise
    /// no accessibility of the members compiles (CS0051).
    /// </summary>
    private static void CheckVisibility(INamedTypeSymbol map, ITypeSymbol? declared, string role, ViolationSite site, List<Violation> violations)
    {
        if (declared is not INamedTypeSymbol named || named.TypeKind == TypeKind.Error)
        {
            return;
        }

        for (INamedTypeSymbol? hidden = named; hidden is not null; hidden = hidden.ContainingType)
        {
            if (hidden.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal or Accessibility.NotApplicable)
            {
                continue;
            }

            // 'hidden' is visible only inside its containing type: the generated members compile only
            // if the map struct is visible only in there too, i.e. some type between the two is private.
            bool confined = false;
            bool inside = false;
            for (INamedTypeSymbol? step = map; step is not null; step = step.ContainingType)
            {
                if (SymbolEqualityComparer.Default.Equals(step, hidden.ContainingType))
                {
                    inside = true;
                    break;
                }

                confined |= step.DeclaredAccessibility == Accessibility.Private;
            }

            if (!(inside && confined))
            {
                violations.Add(new Violation(DiagnosticIds.NoCLayout, site, role,
                    named.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat),
                    $"'{hidden.Name}' is {hidden.DeclaredAccessibility.ToString().ToLowerInvariant()} and the map's members cannot expose it; make it internal or public"));
                return;
            }
        }
    }

    private static bool IsEffectivelyPublic(ITypeSymbol type)
    {
        if (type.SpecialType != SpecialType.None)
        {
            return true;
        }

        for (ISymbol? symbol = type; symbol is INamedTypeSymbol named; symbol = named.ContainingType)
        {
            if (named.DeclaredAccessibility is not (Accessibility.Public or Accessibility.NotApplicable))
            {
                return false;
            }
        }

        return true;
    }

    private static string FlagNames(BpfMapFlags flags, string separator = ", ")
    {
        if (flags == 0)
        {
            return "no flags";
        }

        var names = new List<string>();
        for (int bit = 0; bit < 32; bit++)
        {
            var flag = (BpfMapFlags)(1U << bit);
            if ((flags & flag) != 0)
            {
                names.Add(System.Enum.IsDefined(typeof(BpfMapFlags), flag) ? flag.ToString() : $"0x{(uint)flag:X}");
            }
        }

        return string.Join(separator, names);
    }
}
