using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MapGen.Analyzers;
using MapGen.Generator.Parser;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MapGen.CodeFixes;

/// <summary>
/// MAPGEN008: replaces an invalid map name with the valid one derived from it, or, when the
/// default name (from the struct's name) is the problem, adds <c>Name = "..."</c> to <c>[BpfMap]</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FixMapNameCodeFixProvider)), Shared]
public sealed class FixMapNameCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of this fix, for Fix All.</summary>
    public const string EquivalenceKey = DiagnosticIds.InvalidName;

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(DiagnosticIds.InvalidName);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(DiagnosticDescriptors.SuggestedNameProperty, out string? suggestion) || suggestion is null
                || !SnakeCase.IsValidMapName(suggestion))
            {
                continue;
            }

            bool nameGiven = diagnostic.Properties.TryGetValue(DiagnosticDescriptors.NameGivenProperty, out string? given) && given == "true";
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (nameGiven)
            {
                AttributeArgumentSyntax? argument = node.FirstAncestorOrSelf<AttributeArgumentSyntax>();
                if (argument?.NameEquals?.Name.Identifier.ValueText != "Name")
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create($"Use the map name '{suggestion}'", ct => ReplaceNameAsync(context.Document, argument, suggestion, ct), EquivalenceKey),
                    diagnostic);
            }
            else if (root.FindToken(diagnostic.Location.SourceSpan.Start).Parent is BaseTypeDeclarationSyntax declaration)
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Set Name = \"{suggestion}\"", ct => AddNameAsync(context.Document, declaration, suggestion, ct), EquivalenceKey),
                    diagnostic);
            }
        }
    }

    private static LiteralExpressionSyntax Literal(string name) =>
        SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(name));

    private static async Task<Document> ReplaceNameAsync(Document document, AttributeArgumentSyntax argument, string name, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        ExpressionSyntax literal = Literal(name).WithTriviaFrom(argument.Expression);
        return document.WithSyntaxRoot(root.ReplaceNode(argument.Expression, literal));
    }

    private static async Task<Document> AddNameAsync(Document document, BaseTypeDeclarationSyntax declaration, string name, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        AttributeSyntax? attribute = model is null ? null : CodeFixHelpers.FindBpfMapAttribute(declaration, model, cancellationToken);
        if (attribute?.ArgumentList is not { } arguments)
        {
            return document;
        }

        AttributeArgumentSyntax nameArgument = SyntaxFactory.AttributeArgument(
            SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName("Name"), SyntaxFactory.Token(SyntaxFactory.TriviaList(SyntaxFactory.Space), SyntaxKind.EqualsToken, SyntaxFactory.TriviaList(SyntaxFactory.Space))),
            null,
            Literal(name));
        SeparatedSyntaxList<AttributeArgumentSyntax> list = arguments.Arguments;
        var nodes = list.ToList();
        nodes.Add(nameArgument);
        var separators = list.GetSeparators().ToList();
        if (list.Count > 0)
        {
            separators.Add(SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.CommaToken, SyntaxFactory.TriviaList(SyntaxFactory.Space)));
        }

        AttributeArgumentListSyntax updated = arguments.WithArguments(SyntaxFactory.SeparatedList(nodes, separators));
        return document.WithSyntaxRoot(root.ReplaceNode(arguments, updated));
    }
}
