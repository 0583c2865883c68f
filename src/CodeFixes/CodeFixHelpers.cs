using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MapGen.CodeFixes;

/// <summary>Syntax helpers shared by MapGen's code fixes.</summary>
internal static class CodeFixHelpers
{
    /// <summary>The type declaration whose identifier a diagnostic points at.</summary>
    public static async Task<BaseTypeDeclarationSyntax?> FindDeclarationAsync(Document document, Location location, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root?.FindToken(location.SourceSpan.Start).Parent as BaseTypeDeclarationSyntax;
    }

    /// <summary>Adds <c>partial</c> as the last modifier, where C# requires it (just before the type keyword).</summary>
    public static SyntaxTokenList WithPartial(SyntaxTokenList modifiers, SyntaxToken keyword, out SyntaxToken keywordWithoutLeadingTrivia)
    {
        if (modifiers.Any(SyntaxKind.PartialKeyword))
        {
            keywordWithoutLeadingTrivia = keyword;
            return modifiers;
        }

        if (modifiers.Count == 0)
        {
            // The keyword carries the declaration's leading trivia: move it to 'partial'.
            SyntaxToken first = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
            keywordWithoutLeadingTrivia = keyword.WithLeadingTrivia();
            return SyntaxFactory.TokenList(first);
        }

        keywordWithoutLeadingTrivia = keyword;
        return modifiers.Add(SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space)));
    }

    /// <summary>Adds <c>partial</c> to a class, struct, record or interface declaration.</summary>
    public static TypeDeclarationSyntax MakePartial(TypeDeclarationSyntax declaration)
    {
        SyntaxTokenList modifiers = WithPartial(declaration.Modifiers, declaration.Keyword, out SyntaxToken keyword);
        return declaration.WithModifiers(modifiers).WithKeyword(keyword);
    }

    /// <summary>The <c>[BpfMap]</c> attribute on a declaration, recognised by its symbol.</summary>
    public static AttributeSyntax? FindBpfMapAttribute(MemberDeclarationSyntax declaration, SemanticModel model, CancellationToken cancellationToken) =>
        declaration.AttributeLists.SelectMany(list => list.Attributes).FirstOrDefault(attribute =>
            model.GetSymbolInfo(attribute, cancellationToken).Symbol is IMethodSymbol { ContainingType: { Name: "BpfMapAttribute" } type }
            && type.ContainingNamespace?.ToDisplayString() == "MapGen");
}
