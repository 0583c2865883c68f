using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using MapGen.Generator.Parser;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MapGen.CodeFixes;

/// <summary>MAPGEN002: adds <c>partial</c> to a type that contains a map struct.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeContainingTypePartialCodeFixProvider)), Shared]
public sealed class MakeContainingTypePartialCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of this fix, for Fix All.</summary>
    public const string EquivalenceKey = DiagnosticIds.ContainingTypeNotPartial;

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(DiagnosticIds.ContainingTypeNotPartial);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (await CodeFixHelpers.FindDeclarationAsync(context.Document, diagnostic.Location, context.CancellationToken).ConfigureAwait(false)
                is not TypeDeclarationSyntax declaration || declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create($"Make '{declaration.Identifier.ValueText}' partial", ct => FixAsync(context.Document, declaration, ct), EquivalenceKey),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(Document document, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        return document.WithSyntaxRoot(root.ReplaceNode(declaration, CodeFixHelpers.MakePartial(declaration)));
    }
}
