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
/// The fixes with one right answer: MAPGEN003 (remove <c>MaxEntries</c> where the kernel sizes the
/// map, set it to 1 for struct_ops), MAPGEN005 (remove a <c>Key</c> or <c>Value</c> the map type
/// cannot have) and MAPGEN011 (remove an <c>[InnerMap]</c> that does not apply).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveArgumentCodeFixProvider)), Shared]
public sealed class RemoveArgumentCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds =>
        ImmutableArray.Create(DiagnosticIds.MaxEntries, DiagnosticIds.SizeNotAllowed, DiagnosticIds.InnerOnNonOuter);

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
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (diagnostic.Id == DiagnosticIds.InnerOnNonOuter)
            {
                if (node.FirstAncestorOrSelf<AttributeSyntax>() is { } attribute)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create("Remove [InnerMap]", ct => RemoveAttributeAsync(context.Document, attribute, ct), diagnostic.Id),
                        diagnostic);
                }

                continue;
            }

            diagnostic.Properties.TryGetValue(DiagnosticDescriptors.FixProperty, out string? fix);
            AttributeArgumentSyntax? argument = node.FirstAncestorOrSelf<AttributeArgumentSyntax>();
            if (argument?.NameEquals is not { } nameEquals)
            {
                continue;
            }

            string name = nameEquals.Name.Identifier.ValueText;
            if (fix == DiagnosticDescriptors.RemoveFix)
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Remove {name}", ct => RemoveArgumentAsync(context.Document, argument, ct), diagnostic.Id),
                    diagnostic);
            }
            else if (diagnostic.Id == DiagnosticIds.MaxEntries && fix is not null && uint.TryParse(fix, out _))
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Set {name} = {fix}", ct => SetValueAsync(context.Document, argument, fix, ct), diagnostic.Id),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> RemoveArgumentAsync(Document document, AttributeArgumentSyntax argument, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        if (argument.Parent is not AttributeArgumentListSyntax list)
        {
            return document;
        }

        AttributeArgumentListSyntax updated = list.WithArguments(list.Arguments.Remove(argument));
        return document.WithSyntaxRoot(root.ReplaceNode(list, updated));
    }

    private static async Task<Document> SetValueAsync(Document document, AttributeArgumentSyntax argument, string value, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        ExpressionSyntax literal = SyntaxFactory.ParseExpression(value).WithTriviaFrom(argument.Expression);
        return document.WithSyntaxRoot(root.ReplaceNode(argument.Expression, literal));
    }

    private static async Task<Document> RemoveAttributeAsync(Document document, AttributeSyntax attribute, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        if (attribute.Parent is not AttributeListSyntax list)
        {
            return document;
        }

        if (list.Attributes.Count > 1)
        {
            return document.WithSyntaxRoot(root.ReplaceNode(list, list.WithAttributes(list.Attributes.Remove(attribute))));
        }

        // Remove the whole line; the next token takes over the list's leading trivia (comments, indentation).
        SyntaxToken next = list.GetLastToken().GetNextToken();
        SyntaxNode marked = root.ReplaceToken(next, next.WithLeadingTrivia(list.GetLeadingTrivia()));
        AttributeListSyntax? markedList = marked.FindNode(list.Span) as AttributeListSyntax ?? marked.DescendantNodes().OfType<AttributeListSyntax>().FirstOrDefault(l => l.IsEquivalentTo(list));
        return markedList is null ? document : document.WithSyntaxRoot(marked.RemoveNode(markedList, SyntaxRemoveOptions.KeepNoTrivia)!);
    }
}
