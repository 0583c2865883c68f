using System.Text;

namespace MapGen.Generator.Emitter;

/// <summary>A string builder that indents: the cheap way to emit source (no syntax trees, no normalisation).</summary>
internal sealed class SourceWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _builder = new(4096);
    private int _indent;

    public SourceWriter Line(string text)
    {
        if (text.Length != 0)
        {
            for (int i = 0; i < _indent; i++)
            {
                _builder.Append(IndentUnit);
            }

            _builder.Append(text);
        }

        _builder.Append('\n');
        return this;
    }

    public SourceWriter Line() => Line(string.Empty);

    public SourceWriter Open(string text)
    {
        Line(text);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    /// <summary>Writes an XML doc comment of one or more lines.</summary>
    public SourceWriter Doc(string summary)
    {
        Line("/// <summary>" + summary + "</summary>");
        return this;
    }

    public override string ToString() => _builder.ToString();
}
