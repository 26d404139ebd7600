using System.Globalization;

namespace Sluice.Serve;

/// <summary>One sample of the Prometheus text format: metric name, labels, value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string? Label(string name) => Labels.TryGetValue(name, out var v) ? v : null;
}

/// <summary>Reads the Prometheus text exposition format (what <c>/metrics</c> serves) into samples, for <c>sluice status</c> and tests.</summary>
public static class PrometheusText
{
    /// <summary>Every sample in <paramref name="text"/>; comments (# HELP, # TYPE) and blank lines are skipped.</summary>
    /// <exception cref="FormatException">A line is not a sample.</exception>
    public static IReadOnlyList<PrometheusSample> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<PrometheusSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            samples.Add(ParseLine(line));
        }
        return samples;
    }

    /// <summary>The sum of every sample of <paramref name="name"/> whose labels include <paramref name="match"/>; 0 when there is none.</summary>
    public static double Sum(IEnumerable<PrometheusSample> samples, string name, Func<PrometheusSample, bool>? match = null) =>
        samples.Where(s => s.Name == name && (match is null || match(s))).Sum(s => s.Value);

    private static PrometheusSample ParseLine(string line)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        int rest;
        var brace = line.IndexOf('{', StringComparison.Ordinal);
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        string name;
        if (brace >= 0 && (space < 0 || brace < space))
        {
            name = line[..brace];
            var i = brace + 1;
            while (i < line.Length && line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"') throw new FormatException($"not a Prometheus sample: {line}");
                var key = line[i..eq].Trim().TrimStart(',').Trim();
                var value = new System.Text.StringBuilder();
                var j = eq + 2;
                for (; j < line.Length && line[j] != '"'; j++)
                {
                    if (line[j] == '\\' && j + 1 < line.Length)
                    {
                        j++;
                        value.Append(line[j] == 'n' ? '\n' : line[j]);
                    }
                    else value.Append(line[j]);
                }
                labels[key] = value.ToString();
                i = j + 1;
                if (i < line.Length && line[i] == ',') i++;
            }
            rest = i + 1;
        }
        else
        {
            if (space < 0) throw new FormatException($"not a Prometheus sample: {line}");
            name = line[..space];
            rest = space;
        }
        var fields = line[Math.Min(rest, line.Length)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0) throw new FormatException($"not a Prometheus sample: {line}");
        var number = fields[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var f => double.Parse(f, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new PrometheusSample(name, labels, number);
    }
}
