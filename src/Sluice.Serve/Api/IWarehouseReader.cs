namespace Sluice.Serve.Api;

/// <summary>The queries the REST API answers from the warehouse (DuckDB or PostgreSQL); each returns plain records.</summary>
/// <remarks>Every method may throw <see cref="WarehouseUnavailableException"/> when the store cannot be reached or holds no warehouse yet.</remarks>
public interface IWarehouseReader
{
    /// <summary><c>duckdb</c> or <c>postgres</c>.</summary>
    string Kind { get; }

    /// <summary>Rows of <c>window_totals</c> at the latest window start of each aggregate (or of <paramref name="aggregate"/> only), at most <paramref name="limit"/>.</summary>
    IReadOnlyList<WindowRow> LatestWindows(string? aggregate, int limit);

    FunnelTotals Funnel();

    SessionTotals Sessions();

    /// <summary>The <paramref name="limit"/> products with the most revenue.</summary>
    IReadOnlyList<ProductRow> TopProducts(int limit);

    /// <summary>Every category, most revenue first.</summary>
    IReadOnlyList<CategoryRow> Categories();

    /// <summary>Revenue per <paramref name="bucketMinutes"/> of event time over the <paramref name="hours"/> before the latest event, empty buckets included; empty when there is no event.</summary>
    IReadOnlyList<RevenuePoint> Revenue(int hours, int bucketMinutes);

    /// <summary>Dead letters per reason code, most first.</summary>
    IReadOnlyList<ReasonRow> DeadLettersByReason();

    /// <summary>Page <paramref name="page"/> (from 1) of <paramref name="pageSize"/> dead letters, of <paramref name="reason"/> only when given.</summary>
    DeadLetterPage DeadLetters(string? reason, int page, int pageSize);

    /// <summary>The <paramref name="limit"/> late events with the latest watermark.</summary>
    IReadOnlyList<LateRow> LateEvents(int limit);

    /// <summary>The <paramref name="limit"/> latest windows of <c>quality_totals</c>, latest first.</summary>
    IReadOnlyList<QualityWindow> Quality(int limit);
}

/// <summary>No warehouse can answer: none configured, not created yet, or not reachable; the message says which and how to fix it.</summary>
public sealed class WarehouseUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
