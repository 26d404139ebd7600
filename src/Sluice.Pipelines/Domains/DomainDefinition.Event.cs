using Sluice.Core.Configuration;
using YamlDotNet.RepresentationModel;
using static Sluice.Pipelines.Domains.DomainFileErrors;

namespace Sluice.Pipelines.Domains;

// The sections of a domain that describes its own event: event, topics, aggregates. Their form is checked here; what they
// refer to (fields, types, roles) when the schema is compiled (DomainSchema, DomainAggregates).
public sealed partial class DomainDefinition
{
    private static readonly ProcessorOptions EventDefaults = new();

    private static EventSpec? ParseEvent(YamlNode? node, string source)
    {
        if (node is null) return null;
        var map = Mapping(node, source, "event", "a mapping such as { key: device_id, time: timestamp, id: reading_id }");
        string? key = null, time = null, id = null;
        var horizon = EventDefaults.DedupHorizon;
        var disorder = EventDefaults.MaxOutOfOrderness;
        var lateness = EventDefaults.AllowedLateness;
        foreach (var (pk, pv) in map.Children)
        {
            var prop = Scalar(pk);
            var at = $"event.{prop}";
            switch (prop)
            {
                case "key": key = FieldName(pv, source, at); break;
                case "time": time = FieldName(pv, source, at); break;
                case "id": id = FieldName(pv, source, at); break;
                case "dedupHorizon":
                    horizon = Duration(pv, source, at);
                    if (horizon <= TimeSpan.Zero) Fail(source, pv, at, "must be positive, such as 1h");
                    break;
                case "maxOutOfOrderness": disorder = Duration(pv, source, at); break;
                case "allowedLateness": lateness = Duration(pv, source, at); break;
                default:
                    Fail(source, pk, at, "unknown property; event has key, time, id, dedupHorizon, maxOutOfOrderness and allowedLateness");
                    break;
            }
        }
        if (key is null) Fail(source, map, "event.key", "missing; name the field records are keyed and partitioned by, such as device_id");
        if (time is null) Fail(source, map, "event.time", "missing; name the event-time field (a timestamp)");
        return new EventSpec(key, time, id, horizon, disorder, lateness, (int)map.Start.Line);
    }

    private static TopicsSpec ParseTopics(YamlNode? node, string source, string domain)
    {
        var topics = TopicsSpec.For(domain);
        if (node is null) return topics;
        var map = Mapping(node, source, "topics", "a mapping such as { input: iot.readings, aggregated: iot.aggregated }");
        foreach (var (pk, pv) in map.Children)
        {
            var prop = Scalar(pk);
            var at = $"topics.{prop}";
            var topic = Value(pv, at).Trim();
            if (topic.Length == 0) Fail(source, pv, at, "must name a topic");
            topics = prop switch
            {
                "input" => topics with { Input = topic },
                "deadLetters" => topics with { DeadLetters = topic },
                "valid" => topics with { Valid = topic },
                "late" => topics with { Late = topic },
                "aggregated" => topics with { Aggregated = topic },
                _ => Invalid<TopicsSpec>(source, pk, at, "unknown topic; topics has input, deadLetters, valid, late and aggregated"),
            };
        }
        return topics;
    }

    private static List<AggregateSpec> ParseAggregates(YamlNode? node, string source)
    {
        if (node is null) return [];
        if (node is not YamlSequenceNode list)
        {
            Fail(source, node, "aggregates", "must be a list: - { name: ..., window: ..., groupBy: [...], measures: [...] }");
            return null!;
        }
        var aggregates = new List<AggregateSpec>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var aggregate = ParseAggregate(list.Children[i], source, $"aggregates[{i}]");
            if (aggregates.Any(a => a.Name == aggregate.Name))
                Fail(source, aggregate.Line, $"aggregates[{i}].name", $"'{aggregate.Name}' is the name of an earlier aggregate; each names its own rows");
            aggregates.Add(aggregate);
        }
        return aggregates;
    }

    private static AggregateSpec ParseAggregate(YamlNode node, string source, string key)
    {
        var map = Mapping(node, source, key, "an aggregate is a mapping: { name: ..., window: ..., groupBy: [...], measures: [...] }");
        string? name = null;
        WindowSpec? window = null;
        List<string> groupBy = [];
        List<MeasureSpec>? measures = null;
        foreach (var (pk, pv) in map.Children)
        {
            var prop = Scalar(pk);
            var at = $"{key}.{prop}";
            switch (prop)
            {
                case "name": name = SnakeName(pv, source, at, "an aggregate name"); break;
                case "window": window = ParseWindow(pv, source, at); break;
                case "groupBy": groupBy = Strings(pv, source, at); break;
                case "measures": measures = ParseMeasures(pv, source, at); break;
                default: Fail(source, pk, at, "unknown property; an aggregate has name, window, groupBy and measures"); break;
            }
        }
        if (name is null) Fail(source, map, $"{key}.name", "missing; the name is what the aggregate's rows are called, such as device_stats_1m");
        if (window is null) Fail(source, map, $"{key}.window", "missing; write { tumbling: 1m }, { hopping: 15m, every: 5m } or { session: 10m }");
        if (measures is null || measures.Count == 0) Fail(source, map, $"{key}.measures", "missing; list at least one, such as - { name: readings, count: true }");
        if (groupBy.Distinct(StringComparer.Ordinal).Count() != groupBy.Count) Fail(source, map, $"{key}.groupBy", "names a field twice");
        if (window.Kind == WindowKind.Session && groupBy.Count == 0)
            Fail(source, map, $"{key}.groupBy", "a session is per group: name the fields whose sessions these are, such as [device_id]");
        return new AggregateSpec(name, window, groupBy, measures, key, (int)map.Start.Line);
    }

    private static WindowSpec ParseWindow(YamlNode node, string source, string key)
    {
        var map = Mapping(node, source, key, "write { tumbling: 1m }, { hopping: 15m, every: 5m } or { session: 10m }");
        var kinds = map.Children.Keys.Select(Scalar).Where(k => k is "tumbling" or "hopping" or "session").ToList();
        foreach (var (pk, _) in map.Children)
            if (Scalar(pk) is not ("tumbling" or "hopping" or "session" or "every"))
                Fail(source, pk, $"{key}.{Scalar(pk)}", "unknown property; a window is { tumbling: D }, { hopping: D, every: D } or { session: GAP }");
        if (kinds.Count != 1) Fail(source, map, key, "has one kind: tumbling, hopping or session");
        var kind = kinds[0];
        var size = Positive(Child(map, kind)!, source, $"{key}.{kind}");
        var every = Child(map, "every");
        if (kind != "hopping")
        {
            if (every is not null) Fail(source, every, $"{key}.every", $"only a hopping window has every; a {kind} window is {{ {kind}: D }}");
            return new WindowSpec(kind == "tumbling" ? WindowKind.Tumbling : WindowKind.Session, size, size);
        }
        if (every is null)
        {
            Fail(source, map, $"{key}.every", "missing; a hopping window starts every D: { hopping: 15m, every: 5m }");
            return null!;
        }
        var advance = Positive(every, source, $"{key}.every");
        if (advance > size) Fail(source, every, $"{key}.every", $"{advance:c} is longer than the window ({size:c}); windows would leave gaps");
        if (size.Ticks % advance.Ticks != 0)
            Fail(source, every, $"{key}.every", $"{advance:c} does not divide the window ({size:c}); so that every record is in the same number of windows, it must");
        return new WindowSpec(WindowKind.Hopping, size, advance);
    }

    private static List<MeasureSpec> ParseMeasures(YamlNode node, string source, string key)
    {
        if (node is not YamlSequenceNode list)
        {
            Fail(source, node, key, "must be a list: - { name: readings, count: true }");
            return null!;
        }
        var measures = new List<MeasureSpec>();
        var metrics = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Children.Count; i++)
        {
            var measure = ParseMeasure(list.Children[i], source, $"{key}[{i}]");
            if (measure.Parts is var (numerator, denominator))
            {
                foreach (var part in new[] { numerator, denominator })
                    if (!measures.Any(m => m.Name == part && m.Kind != MeasureKind.Ratio))
                        Fail(source, measure.Line, $"{measure.Key}.ratio", $"'{part}' is not an earlier measure of this aggregate (nor a ratio); a ratio divides two measures listed before it");
            }
            foreach (var metric in measure.Metrics)
            {
                if (!metrics.Add(metric))
                    Fail(source, measure.Line, $"{measure.Key}.name", $"the metric '{metric}' is already written by an earlier measure of this aggregate (a mean also writes NAME_sum and NAME_count)");
            }
            measures.Add(measure);
        }
        return measures;
    }

    private static MeasureSpec ParseMeasure(YamlNode node, string source, string key)
    {
        const string Kinds = "count: true, countWhere: { field: [values] }, sum, min, max, mean or distinct: FIELD, top: FIELD (with k), ratio: [NUMERATOR, DENOMINATOR]";
        var map = Mapping(node, source, key, $"a measure is a mapping: {{ name: ..., <{Kinds}> }}");
        string? name = null, field = null;
        MeasureKind? kind = null;
        IReadOnlyList<ConditionSpec> where = [];
        (string, string)? parts = null;
        int? k = null;
        foreach (var (pk, pv) in map.Children)
        {
            var prop = Scalar(pk);
            var at = $"{key}.{prop}";
            MeasureKind? found = prop switch
            {
                "count" => MeasureKind.Count,
                "countWhere" => MeasureKind.CountWhere,
                "sum" => MeasureKind.Sum,
                "min" => MeasureKind.Min,
                "max" => MeasureKind.Max,
                "mean" => MeasureKind.Mean,
                "distinct" => MeasureKind.Distinct,
                "ratio" => MeasureKind.Ratio,
                "top" => MeasureKind.TopK,
                _ => null,
            };
            if (prop == "name")
            {
                name = SnakeName(pv, source, at, "a measure name");
                continue;
            }
            if (prop == "k")
            {
                k = Count(pv, source, at);
                if (k is < 1 or > 1_000) Fail(source, pv, at, $"{k} is out of range; a top measure keeps 1 to 1000 values");
                continue;
            }
            if (found is null)
            {
                Fail(source, pk, at, $"unknown property; a measure has a name and one of {Kinds}");
                continue;
            }
            if (kind is not null) Fail(source, pk, at, $"a measure computes one thing, and this one is {kind.Value.ToString().ToLowerInvariant()} already (write two measures)");
            kind = found;
            switch (found)
            {
                case MeasureKind.Count: _ = True(pv, source, at); break;
                case MeasureKind.CountWhere: where = Conditions(pv, source, at); break;
                case MeasureKind.Ratio:
                    var names = Strings(pv, source, at);
                    if (names.Count != 2) Fail(source, pv, at, "lists two measures: [numerator, denominator], such as [purchases, sessions]");
                    parts = (names[0], names[1]);
                    break;
                default: field = FieldName(pv, source, at); break;
            }
        }
        if (name is null) Fail(source, map, $"{key}.name", "missing; the name is the metric the measure's rows carry, such as value_mean");
        if (kind is null) Fail(source, map, key, $"computes nothing; add one of {Kinds}");
        if (kind == MeasureKind.TopK && k is null) Fail(source, map, $"{key}.k", "missing; a top measure says how many values it keeps: { name: top_products, top: product_id, k: 10 }");
        if (kind != MeasureKind.TopK && k is not null) Fail(source, map, $"{key}.k", "only a top measure has k");
        return new MeasureSpec(name, kind.Value, field, where, key, (int)map.Start.Line) { Parts = parts, K = k ?? 0 };
    }

    private static YamlMappingNode Mapping(YamlNode node, string source, string key, string expected)
    {
        if (node is YamlMappingNode map) return map;
        Fail(source, node, key, $"must be {expected}");
        return null!;
    }

    private static string FieldName(YamlNode node, string source, string key)
    {
        var name = Scalar(node);
        if (node is not YamlScalarNode || string.IsNullOrWhiteSpace(name)) Fail(source, node, key, "must name a field");
        return name;
    }

    private static string SnakeName(YamlNode node, string source, string key, string what)
    {
        var name = Scalar(node);
        if (!SnakeCase().IsMatch(name) || name.Length > 64)
            Fail(source, node, key, $"'{name}' is not {what}; write snake_case of at most 64 characters");
        return name;
    }

    private static TimeSpan Positive(YamlNode node, string source, string key)
    {
        var span = Duration(node, source, key);
        if (span < TimeSpan.FromMilliseconds(1)) Fail(source, node, key, "must be at least one millisecond, such as 1m");
        return span;
    }
}
