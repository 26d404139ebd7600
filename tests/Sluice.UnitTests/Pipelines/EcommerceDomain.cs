using Sluice.Pipelines.Domains;
using Sluice.TestKit;

namespace Sluice.UnitTests.Pipelines;

/// <summary>The repository's e-commerce domain file, as text to edit the way a user edits a copy.</summary>
internal static class EcommerceDomain
{
    public static string FilePath { get; } = Path.Combine(RepoRoot.Path, "config", "domains", "ecommerce.yaml");

    public static string Text { get; } = File.ReadAllText(FilePath);

    /// <summary>The file with the one line containing <paramref name="find"/> replaced by <paramref name="line"/>.</summary>
    public static string With(string find, string line)
    {
        var lines = Text.Split('\n');
        var matches = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains(find, StringComparison.Ordinal)).ToList();
        if (matches.Count != 1) throw new InvalidOperationException($"'{find}' is on {matches.Count} lines of ecommerce.yaml, not one");
        lines[matches[0]] = line;
        return string.Join('\n', lines);
    }

    /// <summary>Parses <paramref name="yaml"/> as a domain file named test.yaml.</summary>
    public static DomainDefinition Parse(string yaml) => DomainDefinition.Parse(new StringReader(yaml), "test.yaml", "ecommerce");

    /// <summary>The e-commerce file with its price rule and future skew set.</summary>
    public static DomainDefinition WithThresholds(long? maxPriceCents = null, string? maxFutureSkew = null)
    {
        var text = Text;
        if (maxPriceCents is { } max)
            text = Replace(text, "code: price_above_maximum", $"  - {{ code: price_above_maximum,    field: price_cents, max: {max} }}");
        if (maxFutureSkew is { } skew)
            text = Replace(text, "code: timestamp_in_future", $"  - {{ code: timestamp_in_future,    field: timestamp, maxFutureSkew: \"{skew}\" }}");
        return Parse(text);
    }

    private static string Replace(string text, string find, string line)
    {
        var lines = text.Split('\n');
        var i = Array.FindIndex(lines, l => l.Contains(find, StringComparison.Ordinal));
        lines[i] = line;
        return string.Join('\n', lines);
    }
}
