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

/// <summary>
/// MAPGEN001: makes a map declaration a partial struct: adds <c>partial</c>, and turns a class into
/// a struct and a record class into a record struct. Generic and ref structs get no fix: what they
/// should become is the user's decision.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialStructCodeFixProvider)), Shared]
public sealed class MakePartialStructCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of this fix, for Fix All.</summary>
    public const string EquivalenceKey = DiagnosticIds.NotPartialStruct;

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(DiagnosticIds.NotPartialStruct);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (await CodeFixHelpers.FindDeclarationAsync(context.Document, diagnostic.Location, context.CancellationToken).ConfigureAwait(false)
                is not TypeDeclarationSyntax declaration || Convert(declaration) is null)
            {
                continue;
            }

            string name = declaration.Identifier.ValueText;
            string title = declaration switch
            {
                ClassDeclarationSyntax => $"Make '{name}' a partial struct",
                RecordDeclarationSyntax r when !r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => $"Make '{name}' a partial record struct",
                _ => $"Make '{name}' partial",
            };
            context.RegisterCodeFix(
                CodeAction.Create(title, ct => FixAsync(context.Document, declaration, ct), EquivalenceKey),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(Document document, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        TypeDeclarationSyntax? converted = Convert(declaration);
        return converted is null ? document : document.WithSyntaxRoot(root.ReplaceNode(declaration, converted));
    }

    /// <summary>The declaration as a partial struct, or null where no single fix is right.</summary>
    private static TypeDeclarationSyntax? Convert(TypeDeclarationSyntax declaration)
    {
        if (declaration.TypeParameterList is not null || declaration.Modifiers.Any(SyntaxKind.RefKeyword))
        {
            return null;
        }

        switch (declaration)
        {
            case ClassDeclarationSyntax c:
            {
                SyntaxTokenList modifiers = StructModifiers(c.Modifiers, c.Keyword, out SyntaxToken classKeyword);
                SyntaxToken structKeyword = SyntaxFactory.Token(classKeyword.LeadingTrivia, SyntaxKind.StructKeyword, classKeyword.TrailingTrivia);
                return SyntaxFactory.StructDeclaration(c.AttributeLists, modifiers, structKeyword, c.Identifier, c.TypeParameterList,
                    c.ParameterList, c.BaseList, c.ConstraintClauses, c.OpenBraceToken, c.Members, c.CloseBraceToken, c.SemicolonToken);
            }

            case RecordDeclarationSyntax r when !r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword):
            {
                SyntaxTokenList modifiers = StructModifiers(r.Modifiers, r.Keyword, out SyntaxToken recordKeyword);
                SyntaxToken structKeyword = r.ClassOrStructKeyword.IsKind(SyntaxKind.None)
                    ? SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.StructKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space))
                    : SyntaxFactory.Token(r.ClassOrStructKeyword.LeadingTrivia, SyntaxKind.StructKeyword, r.ClassOrStructKeyword.TrailingTrivia);
                if (r.ClassOrStructKeyword.IsKind(SyntaxKind.None) && !recordKeyword.TrailingTrivia.Any())
                {
                    recordKeyword = recordKeyword.WithTrailingTrivia(SyntaxFactory.Space);
                }

                return SyntaxFactory.RecordDeclaration(SyntaxKind.RecordStructDeclaration, r.AttributeLists, modifiers, recordKeyword, structKeyword,
                    r.Identifier, r.TypeParameterList, r.ParameterList, r.BaseList, r.ConstraintClauses, r.OpenBraceToken, r.Members,
                    r.CloseBraceToken, r.SemicolonToken);
            }

            case StructDeclarationSyntax or RecordDeclarationSyntax when !declaration.Modifiers.Any(SyntaxKind.PartialKeyword):
                return CodeFixHelpers.MakePartial(declaration);

            default:
                return null;
        }
    }

    /// <summary>The modifiers of a class made a struct: without those only classes take, ending with <c>partial</c>.</summary>
    private static SyntaxTokenList StructModifiers(SyntaxTokenList modifiers, SyntaxToken keyword, out SyntaxToken newKeyword)
    {
        SyntaxTriviaList leading = modifiers.Count > 0 ? modifiers[0].LeadingTrivia : keyword.LeadingTrivia;
        var kept = new System.Collections.Generic.List<SyntaxToken>();
        foreach (SyntaxToken modifier in modifiers)
        {
            if (!modifier.IsKind(SyntaxKind.SealedKeyword) && !modifier.IsKind(SyntaxKind.AbstractKeyword)
                && !modifier.IsKind(SyntaxKind.StaticKeyword) && !modifier.IsKind(SyntaxKind.PartialKeyword))
            {
                kept.Add(modifier.WithLeadingTrivia().WithTrailingTrivia(SyntaxFactory.Space));
            }
        }

        kept.Add(SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space)));
        kept[0] = kept[0].WithLeadingTrivia(leading);
        newKeyword = keyword.WithLeadingTrivia();
        return SyntaxFactory.TokenList(kept);
    }
}
