using System.Buffers;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;

namespace Sluice.Verification;

public sealed partial class BatchRecomputation
{
    private const long Hour = 60 * Minute;

    // The aggregates as group-bys over a partition's on-time events. A window that holds at least one event gives rows;
    // it is final once the partition's watermark reaches its end plus the allowed lateness, pending otherwise.
    private void AddAggregates(int partition, List<EnrichedEvent> events, long finalWatermark, List<OutputRecord> rows)
    {
        void Emit(string aggregate, long start, long size, Action<Action<string, string, string, double>> rowsOf) =>
            EmitRows(rows, partition, aggregate, start, size, finalWatermark, rowsOf);

        // events_1m: tumbling 1 minute.
        foreach (var w in WindowsOf(events, size: Minute, advance: Minute))
        {
            Emit(AggregateNames.Events1m, w.Key, Minute, row =>
            {
                foreach (var type in w.GroupBy(e => e.EventType).OrderBy(g => g.Key))
                    row("event_type", type.Key.ToWireName(), "events", type.Count());
                row("all", "all", "events", w.Count());
                row("all", "all", "unique_users", DistinctUsers(w));
                row("all", "all", "unique_sessions", w.Select(e => e.Event.SessionId).Distinct(StringComparer.Ordinal).Count());
            });
        }

        // commerce_5m: tumbling 5 minutes.
        foreach (var w in WindowsOf(events, size: 5 * Minute, advance: 5 * Minute))
        {
            Emit(AggregateNames.Commerce5m, w.Key, 5 * Minute, row =>
            {
                var purchases = w.Count(e => e.EventType == EventType.Purchase);
                var carts = w.Count(e => e.EventType == EventType.AddToCart);
                var sessions = w.Select(e => e.Event.SessionId).Distinct(StringComparer.Ordinal).Count();
                var converted = w.Where(e => e.EventType == EventType.Purchase).Select(e => e.Event.SessionId).Distinct(StringComparer.Ordinal).Count();
                row("all", "all", "revenue_cents", w.Where(e => e.EventType == EventType.Purchase).Sum(e => e.RevenueCents));
                row("all", "all", "purchases", purchases);
                row("all", "all", "add_to_carts", carts);
                row("all", "all", "sessions", sessions);
                row("all", "all", "converted_sessions", converted);
                row("all", "all", "conversion_rate_sessions", sessions == 0 ? 0 : (double)converted / sessions);
                row("all", "all", "conversion_rate_carts", carts == 0 ? 0 : (double)purchases / carts);
            });
        }

        // active_users_5m: 5 minutes every minute.
        foreach (var w in WindowsOf(events, size: 5 * Minute, advance: Minute))
            Emit(AggregateNames.ActiveUsers5m, w.Key, 5 * Minute, row => row("all", "all", "active_users", DistinctUsers(w)));

        // products_1h: an hour every 5 minutes; page views, cart adds and purchases of events with a product.
        foreach (var w in WindowsOf(events, size: Hour, advance: 5 * Minute))
        {
            Emit(AggregateNames.Products1h, w.Key, Hour, row =>
            {
                var counted = w.Where(e => e.Event.ProductId is not null && e.EventType is EventType.PageView or EventType.AddToCart or EventType.Purchase).ToList();
                void Stats(string dimension, string value, IReadOnlyCollection<EnrichedEvent> of)
                {
                    row(dimension, value, "product_views", of.Count(e => e.EventType == EventType.PageView));
                    row(dimension, value, "cart_adds", of.Count(e => e.EventType == EventType.AddToCart));
                    row(dimension, value, "purchases", of.Count(e => e.EventType == EventType.Purchase));
                    row(dimension, value, "revenue_cents", of.Sum(e => e.RevenueCents));
                }
                Stats("all", "all", counted);
                foreach (var (name, of) in Top(counted.GroupBy(e => e.Event.ProductId!, StringComparer.Ordinal), _options.TopProducts)) Stats("product", name, of);
                foreach (var (name, of) in Top(counted.Where(e => e.Event.ProductCategory is not null)
                             .GroupBy(e => e.Event.ProductCategory!, StringComparer.Ordinal), _options.TopCategories)) Stats("category", name, of);
            });
        }
    }

    /// <summary>Events grouped by every window of <paramref name="size"/> starting each <paramref name="advance"/> that contains them.</summary>
    // The rows of one window, written as the topology writes them; final once the watermark has passed its end plus the
    // allowed lateness, pending otherwise.
    private void EmitRows(List<OutputRecord> rows, int partition, string aggregate, long start, long size, long finalWatermark,
        Action<Action<string, string, string, double>> rowsOf)
    {
        var pending = start + size + _latenessMs > finalWatermark;
        rowsOf((dimension, value, metric, figure) =>
        {
            var row = new AggregateRow(aggregate, start, start + size, partition, dimension, value, metric, figure);
            var key = new ArrayBufferWriter<byte>(64);
            RecordKeys.Write(new AggregateRowKey(row), key);
            var json = new ArrayBufferWriter<byte>(256);
            ClickstreamJson.Write(row, json);
            rows.Add(new OutputRecord(key.WrittenSpan.ToArray(), json.WrittenSpan.ToArray(), pending));
        });
    }

    private static IEnumerable<IGrouping<long, EnrichedEvent>> WindowsOf(List<EnrichedEvent> events, long size, long advance) =>
        events
            .SelectMany(e =>
            {
                var last = Floor(e.Timestamp, advance);
                var starts = new List<long>();
                for (var start = last; start > e.Timestamp - size; start -= advance) starts.Add(start);
                return starts.Select(start => (start, e));
            })
            .GroupBy(x => x.start, x => x.e)
            .OrderBy(g => g.Key);

    private static int DistinctUsers(IEnumerable<EnrichedEvent> events) =>
        events.Where(e => e.Event.UserId is not null).Select(e => e.Event.UserId).Distinct(StringComparer.Ordinal).Count();

    /// <summary>The best <paramref name="n"/> groups by revenue, then purchases, then views, all descending; ties by name.</summary>
    private static IEnumerable<(string Name, List<EnrichedEvent> Events)> Top(IEnumerable<IGrouping<string, EnrichedEvent>> groups, int n) =>
        groups
            .Select(g => (Name: g.Key, Events: g.ToList()))
            .OrderByDescending(g => g.Events.Sum(e => e.RevenueCents))
            .ThenByDescending(g => g.Events.Count(e => e.EventType == EventType.Purchase))
            .ThenByDescending(g => g.Events.Count(e => e.EventType == EventType.PageView))
            .ThenBy(g => g.Name, StringComparer.Ordinal)
            .Take(n);
}
