using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Domains;

namespace Sluice.Verification;

public sealed partial class BatchRecomputation
{
    // The domain file's own aggregates as group-bys over a partition's on-time events, each measure restated over the
    // window's group as its definition says (docs/domains.md): the topology's accumulators are not used.
    private void AddFileAggregates(int partition, List<EnrichedEvent> events, long finalWatermark, List<OutputRecord> rows)
    {
        var domain = _options.Domain;
        if (domain.Aggregates.Count == 0) return;
        var fields = EnrichedEventFields.For(domain, _options.AllowedLateness);
        foreach (var spec in domain.Aggregates)
        {
            var parts = spec.GroupBy.Select(name => fields.TextOf(fields.IndexOf(name))).ToList();
            var dimension = parts.Count == 0 ? "all" : string.Join(",", spec.GroupBy);
            var size = Ms(spec.Window.Size);
            foreach (var w in WindowsOf(events, size, Ms(spec.Window.Advance)))
            {
                var groups = w.GroupBy(e => parts.Count == 0 ? "all" : string.Join('|', parts.Select(p => p(e) ?? "")), StringComparer.Ordinal);
                EmitRows(rows, partition, spec.Name, w.Key, size, finalWatermark, row =>
                {
                    foreach (var g in groups)
                    {
                        var written = new Dictionary<string, double>(StringComparer.Ordinal);
                        foreach (var m in spec.Measures)
                        {
                            if (m.Kind == MeasureKind.TopK)
                            {
                                // A row per value among the k most frequent: the field joins the dimension, the value the group.
                                var of = fields.TextOf(fields.IndexOf(m.Field!));
                                foreach (var top in g.Select(e => of(e)).OfType<string>().GroupBy(v => v, StringComparer.Ordinal)
                                             .OrderByDescending(t => t.Count()).ThenBy(t => t.Key, StringComparer.Ordinal).Take(m.K))
                                    row(dimension == "all" ? m.Field! : $"{dimension},{m.Field}", g.Key == "all" ? top.Key : $"{g.Key}|{top.Key}", m.Name, top.Count());
                                continue;
                            }
                            // A ratio divides the values its parts wrote for this group; none when either has no row or the denominator is 0.
                            var figures = m.Parts is var (numerator, denominator)
                                ? written.TryGetValue(numerator, out var n) && written.TryGetValue(denominator, out var d) && d != 0 ? [(m.Name, n / d)] : []
                                : Measure(m, fields, g.ToList()).ToList();
                            foreach (var (metric, value) in figures)
                            {
                                written[metric] = value;
                                row(dimension, g.Key, metric, value);
                            }
                        }
                    }
                });
            }
        }
    }

    private static IEnumerable<(string Metric, double Value)> Measure(
        MeasureSpec m, Pipelines.Domains.Topology.AggregateFields<EnrichedEvent> fields, List<EnrichedEvent> group)
    {
        switch (m.Kind)
        {
            case MeasureKind.Count:
                yield return (m.Name, group.Count);
                break;
            case MeasureKind.CountWhere:
                yield return (m.Name, group.Count(e => m.Where.All(c => Holds(c, fields, e))));
                break;
            case MeasureKind.Distinct:
                var text = fields.TextOf(fields.IndexOf(m.Field!));
                yield return (m.Name, group.Select(e => text(e)).Where(v => v is not null).Distinct(StringComparer.Ordinal).Count());
                break;
            default:
                var number = fields.NumberOf(fields.IndexOf(m.Field!));
                var values = group.Select(e => number(e)).Where(v => v.HasValue).Select(v => v!.Value).ToList();
                switch (m.Kind)
                {
                    case MeasureKind.Sum:
                        yield return (m.Name, values.Sum());
                        break;
                    case MeasureKind.Mean:
                        if (values.Count > 0) yield return (m.Name, values.Sum() / values.Count);
                        yield return (m.Name + "_sum", values.Sum());
                        yield return (m.Name + "_count", values.Count);
                        break;
                    case MeasureKind.Min when values.Count > 0:
                        yield return (m.Name, values.Min());
                        break;
                    case MeasureKind.Max when values.Count > 0:
                        yield return (m.Name, values.Max());
                        break;
                }
                break;
        }
    }

    // A countWhere clause: one of the listed values, or present / absent (text: not blank).
    private static bool Holds(ConditionSpec c, Pipelines.Domains.Topology.AggregateFields<EnrichedEvent> fields, EnrichedEvent e)
    {
        var field = fields.Fields[fields.IndexOf(c.Field)];
        if (c.Values is { } values) return field.Text!(e) is { } v && values.Contains(v, StringComparer.Ordinal);
        var present = field.Text is { } t ? !string.IsNullOrWhiteSpace(t(e)) : fields.NumberOf(fields.IndexOf(c.Field))(e).HasValue;
        return present == c.Present;
    }
}
