using Sluice.Core.Errors;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Topology;

namespace Sluice.UnitTests.Pipelines.Domains;

public class DomainEventSectionTests
{
    private const string Fields = """
        fields:
          reading_id: { type: string,    required: true }
          device_id:  { type: string,    required: true, role: dimension }
          site_id:    { type: string,    role: dimension }
          metric:     { type: enum,      required: true, role: dimension, values: [temperature, co2] }
          value:      { type: double,    required: true, role: metric }
          timestamp:  { type: timestamp, required: true }

        """;

    private const string Event = "event: { key: device_id, time: timestamp, id: reading_id }\n";

    private static string Aggregate(string window, string groupBy, params string[] measures) =>
        "aggregates:\n  - name: stats\n    window: " + window + "\n    groupBy: " + groupBy + "\n    measures:\n"
        + string.Concat(measures.Select(m => "      - " + m + "\n"));

    private static readonly string Count = "{ name: readings, count: true }";

    public static TheoryData<string, string, string> BadFiles => new()
    {
        { Fields + "event: { time: timestamp }\n", "event.key", "missing" },
        { Fields + "event: { key: device_id }\n", "event.time", "missing" },
        { Fields + "event: { key: device_id, time: timestamp, horizon: 1h }\n", "event.horizon", "unknown property" },
        { Fields + "event: { key: device_id, time: timestamp, dedupHorizon: soon }\n", "event.dedupHorizon", "not a duration" },
        { Fields + "event: { key: serial, time: timestamp }\n", "event.key", "'serial' is not a field" },
        { Fields + "event: { key: value, time: timestamp }\n", "event.key", "value is double" },
        { Fields + "event: { key: device_id, time: device_id }\n", "event.time", "the event time is timestamp" },
        { Fields + "event: { key: site_id, time: timestamp }\n", "event.key", "must be declared required: true" },
        { Fields + "event: { key: device_id, time: timestamp, id: value }\n", "event.id", "the id is string" },
        { Fields + Event + "topics: { input: a, output: b }\n", "topics.output", "unknown topic" },
        { Fields + Event + "topics: { input: \"\" }\n", "topics.input", "must name a topic" },
        { Fields + "topics: { input: a }\n", "topics", "describes its own event" },
        { Fields + Event + "aggregates: { name: x }\n", "aggregates", "must be a list" },
        { Fields + Event + Aggregate("{ tumbling: 1m, every: 1m }", "[device_id]", Count), "aggregates[0].window.every", "only a hopping window" },
        { Fields + Event + Aggregate("{ hopping: 5m, every: 10m }", "[device_id]", Count), "aggregates[0].window.every", "longer than the window" },
        { Fields + Event + Aggregate("{ hopping: 10m, every: 3m }", "[device_id]", Count), "aggregates[0].window.every", "does not divide" },
        { Fields + Event + Aggregate("{ hopping: 10m }", "[device_id]", Count), "aggregates[0].window.every", "missing" },
        { Fields + Event + Aggregate("{ weekly: 1 }", "[device_id]", Count), "aggregates[0].window.weekly", "unknown property" },
        { Fields + Event + Aggregate("{ tumbling: 0s }", "[device_id]", Count), "aggregates[0].window.tumbling", "at least one millisecond" },
        { Fields + Event + Aggregate("{ session: 10m }", "[]", Count), "aggregates[0].groupBy", "a session is per group" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[serial]", Count), "aggregates[0].groupBy[0]", "'serial' is not a field" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id, reading_id]", Count), "aggregates[0].groupBy[1]", "groups by dimensions" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id, device_id]", Count), "aggregates[0].groupBy", "names a field twice" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: total, sum: device_id }"), "aggregates[0].measures[0].sum", "needs a number" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: avg_time, mean: timestamp }"), "aggregates[0].measures[0].mean", "needs a number" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: top, max: metric }"), "aggregates[0].measures[0].max", "needs a number or a timestamp" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: top, max: speed }"), "aggregates[0].measures[0].max", "'speed' is not a field" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: values, distinct: value }"), "aggregates[0].measures[0].distinct", "is a double" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: hot, countWhere: { metric: [wind] } }"), "aggregates[0].measures[0].countWhere.metric", "not a value of metric" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: hot, countWhere: { value: [1] } }"), "aggregates[0].measures[0].countWhere.value", "is a number" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", Count, Count), "aggregates[0].measures[1].name", "already written" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: v, mean: value }", "{ name: v_sum, sum: value }"), "aggregates[0].measures[1].name", "already written" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: Readings, count: true }"), "aggregates[0].measures[0].name", "snake_case" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: v, min: value, max: value }"), "aggregates[0].measures[0].max", "computes one thing" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: v, median: value }"), "aggregates[0].measures[0].median", "unknown property" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: v }"), "aggregates[0].measures[0]", "computes nothing" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", "{ name: v, count: false }"), "aggregates[0].measures[0].count", "write true" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]"), "aggregates[0].measures", "must be a list" },
        { Fields + Event + "aggregates:\n  - { name: stats, window: { tumbling: 1m }, groupBy: [device_id] }\n", "aggregates[0].measures", "missing" },
        { Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", Count) + "  - name: stats\n    window: { tumbling: 5m }\n    groupBy: []\n    measures: [{ name: n, count: true }]\n",
            "aggregates[1].name", "name of an earlier aggregate" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void a_mistake_in_the_event_topics_or_aggregates_is_one_error_naming_the_key_the_file_and_the_line(string yaml, string key, string problem)
    {
        var ex = Assert.Throws<ConfigurationException>(() => new DomainTopology(DomainDefinition.Parse(new StringReader(yaml), "test.yaml", "iot")));
        Assert.Equal(key, ex.Key);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Matches(@"\(test\.yaml, line [0-9]+\)$", ex.Message);
    }

    [Fact]
    public void the_line_in_an_aggregate_error_is_the_aggregate_s_own()
    {
        var yaml = Fields + Event + Aggregate("{ tumbling: 1m }", "[device_id]", Count) + "  - name: other\n    window: { tumbling: 5m }\n    groupBy: [reading_id]\n    measures: [{ name: n, count: true }]\n";
        var ex = Assert.Throws<ConfigurationException>(() => new DomainTopology(DomainDefinition.Parse(new StringReader(yaml), "test.yaml", "iot")));
        Assert.Equal("aggregates[1].groupBy[0]", ex.Key);
        var line = yaml.Split('\n').ToList().FindIndex(l => l.Contains("name: other", StringComparison.Ordinal)) + 1;
        Assert.EndsWith($"(test.yaml, line {line})", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_domain_without_an_event_section_has_no_domain_topology()
    {
        var ex = Assert.Throws<ConfigurationException>(() => new DomainTopology(DomainDefinition.Ecommerce));
        Assert.Equal("event", ex.Key);
        Assert.Contains("has no event section", ex.Message, StringComparison.Ordinal);
    }
}
