using Sluice.Core.Events;
using Sluice.Streaming.Processing;
using Sluice.Streaming.Windows;

namespace Sluice.Pipelines.Clickstream;

/// <summary>Turns window results into <see cref="AggregateRow"/>s, one per (dimension, metric), for the aggregated output.</summary>
public abstract class AggregateRowEmitter<TResult>(string aggregate, IProcessor<AggregateRowKey, AggregateRow> sink) : IProcessor<int, WindowResult<int, TResult>>
{
    private Record<int, WindowResult<int, TResult>> _current;

    protected string Aggregate { get; } = aggregate;

    public void Init(IProcessorContext context)
    {
    }

    public void Process(in Record<int, WindowResult<int, TResult>> record)
    {
        _current = record;
        Emit(record.Value.Result);
    }

    public void Close()
    {
    }

    /// <summary>Writes the rows of one result through <see cref="Row"/>.</summary>
    protected abstract void Emit(TResult result);

    protected void Row(string dimension, string dimensionValue, string metric, double value)
    {
        var w = _current.Value.Window;
        var row = new AggregateRow(Aggregate, w.Start, w.End, _current.Key, dimension, dimensionValue, metric, value);
        sink.Process(_current.With(new AggregateRowKey(row), row));
    }

    /// <summary>a / b, or 0 when b is 0.</summary>
    protected static double Ratio(long a, long b) => b == 0 ? 0 : (double)a / b;
}

/// <summary>events_1m rows: events per event type (non-zero types only), and for all: events, unique_users, unique_sessions.</summary>
public sealed class EventCountsEmitter(IProcessor<AggregateRowKey, AggregateRow> sink)
    : AggregateRowEmitter<EventCountsAggregator.Acc>(AggregateNames.Events1m, sink)
{
    protected override void Emit(EventCountsAggregator.Acc result)
    {
        long total = 0;
        for (var i = 0; i < result.ByType.Length; i++)
        {
            if (result.ByType[i] == 0) continue;
            total += result.ByType[i];
            Row("event_type", ((EventType)i).ToWireName(), "events", result.ByType[i]);
        }
        Row("all", "all", "events", total);
        Row("all", "all", "unique_users", result.Users.Count);
        Row("all", "all", "unique_sessions", result.Sessions.Count);
    }
}

/// <summary>commerce_5m rows: revenue_cents, purchases, add_to_carts, sessions, converted_sessions and the two conversion rates.</summary>
/// <remarks>The session conversion rate is sessions with a purchase over sessions, so never above 1; readers that sum
/// partitions recompute both rates from the summed counts.</remarks>
public sealed class CommerceEmitter(IProcessor<AggregateRowKey, AggregateRow> sink)
    : AggregateRowEmitter<CommerceAggregator.Acc>(AggregateNames.Commerce5m, sink)
{
    protected override void Emit(CommerceAggregator.Acc result)
    {
        Row("all", "all", "revenue_cents", result.RevenueCents);
        Row("all", "all", "purchases", result.Purchases);
        Row("all", "all", "add_to_carts", result.AddToCarts);
        Row("all", "all", "sessions", result.Sessions.Count);
        Row("all", "all", "converted_sessions", result.ConvertedSessions.Count);
        Row("all", "all", "conversion_rate_sessions", Ratio(result.ConvertedSessions.Count, result.Sessions.Count));
        Row("all", "all", "conversion_rate_carts", Ratio(result.Purchases, result.AddToCarts));
    }
}

/// <summary>active_users_5m rows: active_users.</summary>
public sealed class ActiveUsersEmitter(IProcessor<AggregateRowKey, AggregateRow> sink)
    : AggregateRowEmitter<int>(AggregateNames.ActiveUsers5m, sink)
{
    protected override void Emit(int result) => Row("all", "all", "active_users", result);
}

/// <summary>products_1h rows: totals, then the top products and categories by revenue with their four metrics.</summary>
public sealed class ProductsEmitter(int topProducts, int topCategories, IProcessor<AggregateRowKey, AggregateRow> sink)
    : AggregateRowEmitter<ProductsAggregator.Acc>(AggregateNames.Products1h, sink)
{
    protected override void Emit(ProductsAggregator.Acc result)
    {
        Stats("all", "all", result.Total);
        foreach (var (product, stats) in ProductsAggregator.Top(result.Products, topProducts)) Stats("product", product, stats);
        foreach (var (category, stats) in ProductsAggregator.Top(result.Categories, topCategories)) Stats("category", category, stats);
    }

    private void Stats(string dimension, string value, ProductStats s)
    {
        Row(dimension, value, "product_views", s.Views);
        Row(dimension, value, "cart_adds", s.CartAdds);
        Row(dimension, value, "purchases", s.Purchases);
        Row(dimension, value, "revenue_cents", s.RevenueCents);
    }
}

/// <summary>Closed sessions to <see cref="SessionSummary"/> records keyed by user and start.</summary>
public sealed class SessionEmitter(IProcessor<SessionKey, SessionSummary> sink) : IProcessor<string, WindowResult<string, SessionAggregator.Acc>>
{
    private int _partition;

    public void Init(IProcessorContext context) => _partition = context.TaskId.Partition;

    public void Process(in Record<string, WindowResult<string, SessionAggregator.Acc>> record)
    {
        var a = record.Value.Result;
        var summary = new SessionSummary(
            record.Key, a.UserId, a.SessionId, _partition, a.First, a.Last, a.Last - a.First, a.Events, a.PageViews,
            a.CartAdds, a.Purchases, a.RevenueCents, Converted: a.Purchases > 0, AbandonedCart: a.CartAdds > 0 && a.Purchases == 0,
            a.LandingPage, a.ExitPage);
        sink.Process(record.With(summary.RecordKey, summary));
    }

    public void Close()
    {
    }
}
