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
