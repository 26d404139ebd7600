using Sluice.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Tokens;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

/// <summary>Loads YAML text; a syntax error is one line that names the file, the line and, where it can, the fix.</summary>
public static class YamlFile
{
    /// <summary>Parses <paramref name="yaml"/>; <paramref name="source"/> (a path) names it in errors.</summary>
    public static YamlStream Load(TextReader yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var text = yaml.ReadToEnd();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        // YamlDotNet's scanner throws InvalidOperationException, not YamlException, on some unclosed flow collections.
        catch (Exception ex) when (ex is YamlException or InvalidOperationException)
        {
            throw new SluiceException($"{source}: {Describe(text, ex)}", ex);
        }
        return stream;
    }

    // YamlDotNet reports an unclosed [ or { where it gave up, often the end of the file, not where the bracket opened.
    private static string Describe(string text, Exception ex)
    {
        if (UnclosedFlow(text) is { } open)
            return $"invalid YAML: the '{open.Bracket}' at line {open.Line}, column {open.Column} is never closed; close it with '{(open.Bracket == '[' ? ']' : '}')}'";
        return ex is YamlException y
            ? $"invalid YAML at line {y.Start.Line}, column {y.Start.Column}: {(y.InnerException?.Message ?? y.Message).TrimEnd('.')}"
            : $"invalid YAML: {ex.Message.TrimEnd('.')}";
    }

    private static (char Bracket, long Line, long Column)? UnclosedFlow(string text)
    {
        var opened = new Stack<(char, long, long)>();
        var scanner = new Scanner(new StringReader(text));
        try
        {
            while (scanner.MoveNext())
            {
                switch (scanner.Current)
                {
                    case FlowSequenceStart t: opened.Push(('[', t.Start.Line, t.Start.Column)); break;
                    case FlowMappingStart t: opened.Push(('{', t.Start.Line, t.Start.Column)); break;
                    case FlowSequenceEnd or FlowMappingEnd when opened.Count > 0: opened.Pop(); break;
                }
            }
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException)
        {
            // The scanner stops at the same error; what it saw up to there is enough.
        }
        return opened.Count > 0 ? opened.Peek() : null;
    }
}
