using System.Reflection;
using System.Text.Json;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Pipelines;

/// <summary>The window operators reuse accumulators after <c>Reset</c>: a reset one must be indistinguishable from a new one.</summary>
public class AggregatorResetTests
{
    private static readonly EnrichedEvent[] Events =
    [
        Enriched(EventType.PageView, "u-1", "s-1", "p-1", "shoes", 0, 1_000, "/p/p-1"),
        Enriched(EventType.AddToCart, "u-2", "s-2", "p-2", "books", 0, 2_000, "/p/p-2"),
        Enriched(EventType.Purchase, "u-2", "s-2", "p-2", "books", 1999, 3_000, "/checkout"),
    ];

    [Fact]
    public void event_counts_reset_to_new() => AssertResetsToNew(new EventCountsAggregator());

    [Fact]
    public void commerce_resets_to_new() => AssertResetsToNew(new CommerceAggregator());

    [Fact]
    public void active_users_reset_to_new() => AssertResetsToNew(new ActiveUsersAggregator());

    [Fact]
    public void products_reset_to_new() => AssertResetsToNew(new ProductsAggregator());

    [Fact]
    public void sessions_reset_to_new() => AssertResetsToNew(new SessionAggregator());

    private static void AssertResetsToNew<TAcc, TResult>(IAggregator<EnrichedEvent, TAcc, TResult> aggregator)
    {
        var recycling = (IRecyclingAggregator<TAcc>)aggregator;
        var used = aggregator.CreateAccumulator();
        foreach (var e in Events) used = aggregator.Add(used, e, e.Timestamp);
        var before = Describe(used);
        recycling.Reset(used);

        Assert.NotEqual(Describe(aggregator.CreateAccumulator()), before);
        Assert.Equal(Describe(aggregator.CreateAccumulator()), Describe(used));
    }

    // Every public property, collections included, as JSON: enough to tell any leftover state apart.
    private static string Describe(object? accumulator)
    {
        if (accumulator is null) return "null";
        var type = accumulator.GetType();
        if (accumulator is System.Collections.IEnumerable) return JsonSerializer.Serialize(accumulator, type);
        var parts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            parts[p.Name] = JsonSerializer.Serialize(p.GetValue(accumulator), p.PropertyType);
        foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
            parts[f.Name] = JsonSerializer.Serialize(f.GetValue(accumulator), f.FieldType);
        return string.Join(";", parts.Select(kv => $"{kv.Key}={kv.Value}"));
    }

    private static EnrichedEvent Enriched(EventType type, string user, string session, string product, string category, long price, long ts, string url)
    {
        var e = new ClickEvent
        {
            EventId = Guid.NewGuid(), EventType = type, Timestamp = ts, UserId = user, SessionId = session,
            ProductId = product, ProductCategory = category, PriceCents = price == 0 ? null : price, Quantity = price == 0 ? null : 1, PageUrl = url,
        };
        return new EnrichedEvent { Event = e, Country = "DE", RevenueCents = price };
    }
}

public class ProductsSlidingTests
{
    [Fact]
    public void a_running_total_slid_pane_by_pane_equals_the_merge_of_the_window()
    {
        var aggregator = new ProductsAggregator();
        var random = new Random(3);
        var panes = new List<ProductsAggregator.Acc>();
        for (var p = 0; p < 40; p++)
        {
            var pane = aggregator.CreateAccumulator();
            // Few products per pane, so products often leave the window entirely and must disappear from the total.
            for (var i = 0; i < random.Next(0, 30); i++)
            {
                var type = (EventType)random.Next(0, 6);
                var product = $"p-{random.Next(60)}";
                var e = new ClickEvent
                {
                    EventId = Guid.NewGuid(), EventType = type, Timestamp = 1000 + p, SessionId = "s", UserId = "u", ProductId = product,
                    ProductCategory = $"c-{product.GetHashCode(StringComparison.Ordinal) & 7}", PriceCents = type == EventType.Purchase ? 100 : null,
                };
                pane = aggregator.Add(pane, new EnrichedEvent { Event = e, Country = "DE", RevenueCents = type == EventType.Purchase ? 100 * random.Next(1, 4) : 0 }, e.Timestamp);
            }
            panes.Add(pane);
        }

        const int width = 12;
        var running = aggregator.CreateAccumulator();
        for (var p = 0; p < width; p++) running = aggregator.Merge(running, panes[p]);
        for (var start = 0; start + width <= panes.Count; start++)
        {
            var fresh = aggregator.CreateAccumulator();
            for (var p = start; p < start + width; p++) fresh = aggregator.Merge(fresh, panes[p]);
            Assert.Equal(fresh.Total, running.Total);
            Assert.Equal(fresh.Products.OrderBy(kv => kv.Key, StringComparer.Ordinal), running.Products.OrderBy(kv => kv.Key, StringComparer.Ordinal));
            Assert.Equal(fresh.Categories.OrderBy(kv => kv.Key, StringComparer.Ordinal), running.Categories.OrderBy(kv => kv.Key, StringComparer.Ordinal));
            Assert.Equal(ProductsAggregator.Top(fresh.Products, 10).Select(kv => kv.Key), ProductsAggregator.Top(running.Products, 10).Select(kv => kv.Key));

            if (start + width == panes.Count) break;
            running = aggregator.Subtract(running, panes[start]);
            running = aggregator.Merge(running, panes[start + width]);
        }
    }
    [Fact]
    public void active_users_slid_pane_by_pane_equal_the_distinct_users_of_every_window()
    {
        var aggregator = new ActiveUsersAggregator();
        var random = new Random(7);
        var panes = new List<Dictionary<string, int>>();
        for (var p = 0; p < 40; p++)
        {
            var pane = aggregator.CreateAccumulator();
            for (var i = 0; i < random.Next(0, 30); i++)
            {
                // Anonymous events (no user) must not count; users repeat within and across panes.
                var user = random.Next(5) == 0 ? null : $"u-{random.Next(25)}";
                var e = new ClickEvent { EventId = Guid.NewGuid(), EventType = EventType.PageView, Timestamp = 1000 + p, SessionId = "s", UserId = user };
                pane = aggregator.Add(pane, new EnrichedEvent { Event = e, Country = "DE" }, e.Timestamp);
            }
            panes.Add(pane);
        }

        const int width = 5;
        var running = aggregator.CreateAccumulator();
        for (var p = 0; p < width; p++) running = aggregator.Merge(running, panes[p]);
        for (var start = 0; ; start++)
        {
            var distinct = new HashSet<string>(StringComparer.Ordinal);
            for (var p = start; p < start + width; p++) distinct.UnionWith(panes[p].Keys);
            Assert.Equal(distinct.Count, aggregator.GetResult(running, default));
            Assert.Equal(distinct.Order(StringComparer.Ordinal), running.Keys.Order(StringComparer.Ordinal));

            if (start + width == panes.Count) break;
            running = aggregator.Subtract(running, panes[start]);
            running = aggregator.Merge(running, panes[start + width]);
        }
    }
}
