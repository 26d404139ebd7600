using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Errors;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Pipelines;

/// <summary>The e-commerce file's own aggregates, computed by the clickstream topology beside its built-in ones.</summary>
public class FileAggregatesTests
{
    internal const string Aggregates = """

        aggregates:
          - name: country_revenue_15m
            window: { tumbling: 15m }
            groupBy: [geo_country]
            measures:
              - { name: events, count: true }
              - { name: purchases, countWhere: { event_type: [purchase] } }
              - { name: revenue_cents, sum: revenue_cents }
              - { name: price, mean: price_cents }
              - { name: buyers, distinct: user_id }
              - { name: purchase_share, ratio: [purchases, events] }
              - { name: top_products, top: product_id, k: 1 }
          - name: mobile_hourly
            window: { hopping: 10m, every: 5m }
            groupBy: [is_mobile, event_type]
            measures:
              - { name: events, count: true }
              - { name: top_price, max: price_cents }
        """;

    private static ClickstreamOptions WithAggregates(string aggregates = Aggregates) =>
        new() { Domain = EcommerceDomain.Parse(EcommerceDomain.Text + aggregates) };

    [Fact]
    public void a_file_aggregate_groups_on_time_events_by_its_dimensions_and_writes_a_row_per_measure()
    {
        using var d = Driver(WithAggregates());
        d.Pipe(Event(EventType.Purchase, at: T0 + Minute, user: "u1", product: "p1", price: 500, quantity: 2, country: "de"));
        d.Pipe(Event(EventType.Purchase, at: T0 + 2 * Minute, user: "u2", product: "p2", price: 100, quantity: 1, country: "DE"));
        d.Pipe(Event(EventType.PageView, at: T0 + 3 * Minute, user: "u2", country: "FR"));
        d.Pipe(Event(EventType.PageView, at: T0 + 4 * Minute, user: null, country: "DE"));
        d.EndOfInput();

        var rows = d.Rows("country_revenue_15m");
        Assert.All(rows.Where(r => r.Metric != "top_products"), r => Assert.Equal("geo_country", r.Dimension));
        Assert.All(rows, r => Assert.Equal((T0, T0 + 15 * Minute), (r.WindowStart, r.WindowEnd)));
        // "de" is normalised to DE, as the enriched event's country.
        Assert.Equal(3, rows.Metric("events", "geo_country", "DE"));
        Assert.Equal(2, rows.Metric("purchases", "geo_country", "DE"));
        Assert.Equal(1_100, rows.Metric("revenue_cents", "geo_country", "DE"));
        Assert.Equal(300, rows.Metric("price", "geo_country", "DE"));
        Assert.Equal(600, rows.Metric("price_sum", "geo_country", "DE"));
        Assert.Equal(2, rows.Metric("price_count", "geo_country", "DE"));
        Assert.Equal(2, rows.Metric("buyers", "geo_country", "DE"));
        Assert.Equal(2.0 / 3, rows.Metric("purchase_share", "geo_country", "DE"), 12);
        Assert.Equal(1, rows.Metric("events", "geo_country", "FR"));
        Assert.Equal(0, rows.Metric("purchase_share", "geo_country", "FR"));
        // Top 1 of DE's products: p1 and p2 came once each, so the first by name; FR's page view has no product.
        var top = Assert.Single(rows, r => r.Metric == "top_products");
        Assert.Equal(("geo_country,product_id", "DE|p1", 1.0), (top.Dimension, top.DimensionValue, top.Value));
        Assert.DoesNotContain(rows, r => r.DimensionValue == "FR" && r.Metric == "price");

        var hopping = d.Rows("mobile_hourly");
        Assert.Equal("is_mobile,event_type", hopping[0].Dimension);
        // Events at minutes 1-4 fall in the windows starting at -5m and 0m.
        Assert.Equal([T0 - 5 * Minute, T0], hopping.Select(r => r.WindowStart).Distinct().Order());
        Assert.Equal(2, hopping.Where(r => r.WindowStart == T0).Metric("events", "is_mobile,event_type", "false|purchase"));
        Assert.Equal(500, hopping.Where(r => r.WindowStart == T0).Metric("top_price", "is_mobile,event_type", "false|purchase"));
        // The built-in aggregates are unchanged beside them.
        Assert.Equal(4, d.Rows(AggregateNames.Events1m).Where(r => r.Metric == "events" && r.Dimension == "all").Sum(r => r.Value));
    }

    [Fact]
    public void an_event_late_for_its_minute_is_in_no_file_aggregate_and_written_late_once()
    {
        using var d = Driver(WithAggregates());
        d.Pipe(Event(at: T0 + 20 * Minute, user: "u1"));
        d.Pipe(Event(at: T0 + Minute, user: "u2"));
        d.EndOfInput();

        Assert.Single(d.Output<LateRecord<EnrichedEvent>>("clickstream.late"));
        Assert.Equal(1, d.Rows("country_revenue_15m").Where(r => r.Metric == "events").Sum(r => r.Value));
    }

    [Fact]
    public void the_topology_describes_its_file_aggregates_as_stages()
    {
        var stages = new ClickstreamTopology(WithAggregates()).Describe();
        var stage = Assert.Single(stages, s => s.Acts.StartsWith("country_revenue_15m", StringComparison.Ordinal));
        Assert.Equal("tumbling window", stage.Stage);
        Assert.Contains("by geo_country", stage.Detail, StringComparison.Ordinal);
        Assert.Contains("revenue_cents (sum of revenue_cents)", stage.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("    window: { session: 30m }\n    groupBy: [user_id]", "aggregates[0].window", "built-in sessions window")]
    [InlineData("    window: { tumbling: 90s }", "aggregates[0].window", "whole minutes")]
    [InlineData("    window: { tumbling: 5m }\n    groupBy: [price_cents]", "aggregates[0].groupBy[0]", "groups by dimensions")]
    [InlineData("    window: { tumbling: 5m }\n    groupBy: [shoe_size]", "aggregates[0].groupBy[0]", "not a field")]
    public void an_aggregate_the_clickstream_cannot_compute_is_refused_naming_the_key(string window, string key, string problem)
    {
        var yaml = $"\naggregates:\n  - name: mine\n{window}\n    measures: [{{ name: events, count: true }}]\n";
        var error = Assert.Throws<ConfigurationException>(() => new ClickstreamTopology(WithAggregates(yaml)));
        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains("test.yaml, line", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_ratio_of_a_measure_not_listed_before_it_is_refused()
    {
        var yaml = "\naggregates:\n  - name: mine\n    window: { tumbling: 5m }\n    measures:\n      - { name: share, ratio: [purchases, events] }\n"
                   + "      - { name: events, count: true }\n      - { name: purchases, countWhere: { event_type: [purchase] } }\n";
        var error = Assert.Throws<ConfigurationException>(() => WithAggregates(yaml));
        Assert.Equal("aggregates[0].measures[0].ratio", error.Key);
        Assert.Contains("'purchases' is not an earlier measure", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_built_in_aggregate_s_name_is_refused()
    {
        var yaml = "\naggregates:\n  - name: events_1m\n    window: { tumbling: 1m }\n    measures: [{ name: events, count: true }]\n";
        var error = Assert.Throws<ConfigurationException>(() => new ClickstreamTopology(WithAggregates(yaml)));
        Assert.Equal("aggregates[0].name", error.Key);
    }
}
