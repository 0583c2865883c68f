using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using MapGen.Generator.Parser;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace MapGen.Analyzers;

/// <summary>
/// Reports what the kernel would refuse in a <c>[BpfMap]</c> declaration, at the offending
/// attribute argument or identifier. The rules are <see cref="MapDeclarationParser"/>'s, the very
/// code that decides what the generator emits, so the IDE accepts exactly what gets generated.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MapDeclarationAnalyzer : DiagnosticAnalyzer
{
    private const string BpfMapAttributeMetadataName = "MapGen.BpfMapAttribute";
    private const string InnerMapAttributeMetadataName = "MapGen.InnerMapAttribute";

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => DiagnosticDescriptors.All;

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            INamedTypeSymbol? bpfMap = start.Compilation.GetTypeByMetadataName(BpfMapAttributeMetadataName);
            INamedTypeSymbol? innerMap = start.Compilation.GetTypeByMetadataName(InnerMapAttributeMetadataName);
            if (bpfMap is null || innerMap is null)
            {
                // MapGen is not referenced (or its attributes are ambiguous): nothing to judge.
                return;
            }

            var names = new ConcurrentQueue<NamedMap>();
            start.RegisterSymbolAction(symbol => AnalyzeType(symbol, bpfMap, innerMap, names), SymbolKind.NamedType);
            start.RegisterCompilationEndAction(end => ReportDuplicateNames(end, names));
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol bpfMap, INamedTypeSymbol innerMap, ConcurrentQueue<NamedMap> names)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        AttributeData? bpfMapData = null;
        AttributeData? innerMapData = null;
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, bpfMap))
            {
                bpfMapData = attribute;
            }
            else if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, innerMap))
            {
                innerMapData = attribute;
            }
        }

        CancellationToken cancellationToken = context.CancellationToken;
        ReportIfContainerNotPartial(context, type, bpfMap);
        if (bpfMapData is null)
        {
            if (innerMapData is not null)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InnerOnNonOuter,
                    AttributeLocation(innerMapData, cancellationToken) ?? IdentifierLocation(type, null, requireNotPartial: false, cancellationToken),
                    type.Name, "it has no [BpfMap]"));
            }

            return;
        }

        MapParseResult result = MapDeclarationParser.Parse(type, cancellationToken);
        var sites = new SiteLocator(type, bpfMapData, innerMapData, cancellationToken);
        foreach (Violation violation in result.Violations)
        {
            if (violation.ReportedByCompiler || violation.Site == ViolationSite.ContainingTypeIdentifier)
            {
                // Containing types are reported from their own symbol, so that the diagnostic is local to the declaration it names.
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.Get(violation.Id),
                sites.Locate(violation),
                Properties(violation),
                violation.MessageArguments.Cast<object>().ToArray()));
        }

        if (SnakeCase.IsValidMapName(result.MapName))
        {
            names.Enqueue(new NamedMap(result.MapName, type, sites.NameLocation()));
        }
    }

    /// <summary>
    /// MAPGEN002 on a type that is not partial but contains map structs: the parser judges the
    /// first such map, and its violation for this container is reported here, on the container.
    /// </summary>
    private static void ReportIfContainerNotPartial(SymbolAnalysisContext context, INamedTypeSymbol type, INamedTypeSymbol bpfMap)
    {
        if (type.GetTypeMembers().IsEmpty || type.DeclaringSyntaxReferences.All(r =>
            r.GetSyntax(context.CancellationToken) is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword)))
        {
            return;
        }

        foreach ((INamedTypeSymbol map, int depth) in NestedMaps(type, bpfMap, 0))
        {
            Violation? violation = MapDeclarationParser.Parse(map, context.CancellationToken).Violations
                .FirstOrDefault(v => v.Id == DiagnosticIds.ContainingTypeNotPartial && v.ContainingTypeDepth == depth);
            if (violation is not null)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ContainingTypeNotPartial,
                    IdentifierLocation(type, null, requireNotPartial: true, context.CancellationToken),
                    violation.MessageArguments.Cast<object>().ToArray()));
            }

            return;
        }
    }

    private static IEnumerable<(INamedTypeSymbol Map, int Depth)> NestedMaps(INamedTypeSymbol type, INamedTypeSymbol bpfMap, int depth)
    {
        foreach (INamedTypeSymbol member in type.GetTypeMembers())
        {
            if (member.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, bpfMap)))
            {
                yield return (member, depth);
            }

            foreach ((INamedTypeSymbol Map, int Depth) nested in NestedMaps(member, bpfMap, depth + 1))
            {
                yield return nested;
            }
        }
    }

    private static ImmutableDictionary<string, string?>? Properties(Violation violation)
    {
        if (violation.FixValue is null)
        {
            return null;
        }

        ImmutableDictionary<string, string?>.Builder properties = ImmutableDictionary.CreateBuilder<string, string?>(System.StringComparer.Ordinal);
        if (violation.Id == DiagnosticIds.InvalidName)
        {
            properties[DiagnosticDescriptors.SuggestedNameProperty] = violation.FixValue;
            properties[DiagnosticDescriptors.NameGivenProperty] = violation.Site == ViolationSite.NameArgument ? "true" : "false";
        }
        else
        {
            properties[DiagnosticDescriptors.FixProperty] = violation.FixValue;
        }

        return properties.ToImmutable();
    }

    private static void ReportDuplicateNames(CompilationAnalysisContext context, ConcurrentQueue<NamedMap> names)
    {
        foreach (IGrouping<string, NamedMap> group in names.GroupBy(n => n.Name, System.StringComparer.Ordinal))
        {
            List<NamedMap> maps = group.OrderBy(m => m.Type.ToDisplayString(), System.StringComparer.Ordinal).ToList();
            if (maps.Count < 2)
            {
                continue;
            }

            foreach (NamedMap map in maps)
            {
                string others = Join(maps.Where(m => !ReferenceEquals(m, map)).Select(m => $"'{m.Type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)}'").ToList());
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateName, map.Location, group.Key, others));
            }
        }
    }

    private static string Join(List<string> items) => items.Count switch
    {
        1 => items[0],
        2 => items[0] + " and " + items[1],
        _ => string.Join(", ", items.Take(items.Count - 1)) + " and " + items[items.Count - 1],
    };

    private static Location? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();

    /// <summary>
    /// The identifier of <paramref name="type"/>: of a declaration without <c>partial</c> when that is
    /// the problem, else of the declaration that carries <paramref name="attribute"/>, else the first.
    /// </summary>
    private static Location IdentifierLocation(INamedTypeSymbol type, SyntaxNode? attribute, bool requireNotPartial, CancellationToken cancellationToken)
    {
        SyntaxToken? chosen = null;
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            SyntaxNode node = reference.GetSyntax(cancellationToken);
            SyntaxToken? identifier = node switch
            {
                BaseTypeDeclarationSyntax declaration => declaration.Identifier,
                DelegateDeclarationSyntax declaration => declaration.Identifier,
                _ => null,
            };
            if (identifier is null)
            {
                continue;
            }

            bool isPartial = node is TypeDeclarationSyntax typeDeclaration && typeDeclaration.Modifiers.Any(SyntaxKind.PartialKeyword);
            if (requireNotPartial ? !isPartial : attribute is not null && node.SyntaxTree == attribute.SyntaxTree && node.Span.Contains(attribute.Span))
            {
                return identifier.Value.GetLocation();
            }

            chosen ??= identifier;
        }

        return chosen?.GetLocation() ?? type.Locations.FirstOrDefault() ?? Location.None;
    }

    /// <summary>Turns a <see cref="ViolationSite"/> into the location of the offending syntax.</summary>
    private sealed class SiteLocator
    {
        private readonly INamedTypeSymbol _type;
        private readonly AttributeSyntax? _bpfMap;
        private readonly AttributeSyntax? _innerMap;
        private readonly CancellationToken _cancellationToken;

        public SiteLocator(INamedTypeSymbol type, AttributeData bpfMap, AttributeData? innerMap, CancellationToken cancellationToken)
        {
            _type = type;
            _bpfMap = bpfMap.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            _innerMap = innerMap?.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            _cancellationToken = cancellationToken;
        }

        public Location Locate(Violation violation) => violation.Site switch
        {
            ViolationSite.Identifier => Identifier(requireNotPartial: violation.Id == DiagnosticIds.NotPartialStruct && _type.TypeKind == TypeKind.Struct),
            ViolationSite.ContainingTypeIdentifier => ContainingTypeIdentifier(violation.ContainingTypeDepth),
            ViolationSite.BpfMapAttribute => _bpfMap?.GetLocation() ?? Identifier(false),
            ViolationSite.MapTypeArgument => FirstPositional(_bpfMap)?.GetLocation() ?? _bpfMap?.GetLocation() ?? Identifier(false),
            ViolationSite.MaxEntriesArgument => Named("MaxEntries") ?? _bpfMap?.GetLocation() ?? Identifier(false),
            ViolationSite.KeyArgument => Named("Key") ?? _bpfMap?.GetLocation() ?? Identifier(false),
            ViolationSite.ValueArgument => Named("Value") ?? _bpfMap?.GetLocation() ?? Identifier(false),
            ViolationSite.FlagsArgument => Named("Flags") ?? _bpfMap?.GetLocation() ?? Identifier(false),
            ViolationSite.NameArgument => NameLocation(),
            ViolationSite.InnerMapAttribute => _innerMap?.GetLocation() ?? Identifier(false),
            ViolationSite.InnerMapArgument => FirstPositional(_innerMap)?.GetLocation() ?? _innerMap?.GetLocation() ?? Identifier(false),
            _ => Identifier(false),
        };

        /// <summary>Where the map name is written: the <c>Name = "..."</c> argument, else the struct's identifier.</summary>
        public Location NameLocation() => Named("Name") ?? Identifier(false);

        private Location Identifier(bool requireNotPartial) => IdentifierLocation(_type, _bpfMap, requireNotPartial, _cancellationToken);

        private Location ContainingTypeIdentifier(int depth)
        {
            INamedTypeSymbol? container = _type.ContainingType;
            for (int i = 0; i < depth && container is not null; i++)
            {
                container = container.ContainingType;
            }

            return container is null ? Identifier(false) : IdentifierLocation(container, null, requireNotPartial: true, _cancellationToken);
        }

        private Location? Named(string name) =>
            _bpfMap?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name)?.GetLocation();

        private static ExpressionSyntax? FirstPositional(AttributeSyntax? attribute) =>
            attribute?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals is null && a.NameColon is null)?.Expression
            ?? attribute?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals is null)?.Expression;
    }

    private sealed class NamedMap
    {
        public NamedMap(string name, INamedTypeSymbol type, Location location)
        {
            Name = name;
            Type = type;
            Location = location;
        }

        public string Name { get; }

        public INamedTypeSymbol Type { get; }

        public Location Location { get; }
    }
}
