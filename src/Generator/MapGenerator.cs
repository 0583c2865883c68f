using MapGen.Generator.Emitter;
using MapGen.Generator.Model;
using MapGen.Generator.Parser;
using Microsoft.CodeAnalysis;

namespace MapGen.Generator;

/// <summary>
/// Completes every valid <c>[BpfMap]</c> partial struct with its <c>Spec</c> and typed API.
/// Invalid declarations get nothing: the analyzers say why.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class MapGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<MapModel?> maps = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                MapDeclarationParser.BpfMapAttributeMetadataName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                transform: static (context, cancellationToken) => context.TargetSymbol is INamedTypeSymbol type
                    ? MapDeclarationParser.Parse(type, cancellationToken).Model
                    : null)
            .WithTrackingName(TrackingNames.Maps);

        IncrementalValuesProvider<MapModel> validMaps = maps
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(TrackingNames.ValidMaps);

        context.RegisterSourceOutput(validMaps, static (context, model) =>
            context.AddSource(model.Hierarchy.HintName, MapEmitter.Emit(model)));
    }
}
