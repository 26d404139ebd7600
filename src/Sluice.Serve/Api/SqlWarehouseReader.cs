using System.Data.Common;
using System.Globalization;
using System.Numerics;

namespace Sluice.Serve.Api;

/// <summary>The API's queries in the SQL DuckDB and PostgreSQL share; a store supplies its connections and its spelling of epoch milliseconds.</summary>
/// <remarks>
/// Each query opens a connection, reads, and closes it. Instants are selected as epoch milliseconds, so both stores
/// return the same plain integers; sums are cast back to BIGINT (DuckDB widens them to HUGEINT, PostgreSQL to numeric).
/// Whole numbers the API validated are written into the SQL; text is always a parameter.
/// </remarks>
public abstract class SqlWarehouseReader : IWarehouseReader
{
    public abstract string Kind { get; }

    /// <summary>Where the warehouse is, for messages (a file, or host:port/database); never a password.</summary>
    public abstract string Location { get; }

    /// <summary>An open connection to the warehouse.</summary>
    /// <exception cref="WarehouseUnavailableException">It cannot be opened.</exception>
    protected abstract DbConnection Open();

    /// <summary>The store's SQL for <paramref name="column"/> (a timestamptz expression) as epoch milliseconds.</summary>
    protected abstract string EpochMs(string column);

    public IReadOnlyList<WindowRow> LatestWindows(string? aggregate, int limit) => Query(
        $"""
        SELECT w.aggregate, {EpochMs("w.window_start")}, {EpochMs("w.window_end")}, w.dimension, w.dimension_value, w.metric, w.value
        FROM window_totals w
        JOIN (SELECT aggregate, max(window_start) AS window_start FROM window_aggregates {(aggregate is null ? "" : "WHERE aggregate = $1")}
              GROUP BY aggregate) l ON l.aggregate = w.aggregate AND l.window_start = w.window_start
        ORDER BY w.aggregate, w.dimension, w.dimension_value, w.metric
        LIMIT {Int(limit)}
        """,
        r => new WindowRow(r.GetString(0), Instant(r, 1), Instant(r, 2), r.GetString(3), r.GetString(4), r.GetString(5), Double(r, 6)),
        aggregate is null ? [] : [aggregate]);

    public FunnelTotals Funnel() => Query(
        """
        SELECT CAST(coalesce(sum(sessions), 0) AS BIGINT), CAST(coalesce(sum(viewed), 0) AS BIGINT), CAST(coalesce(sum(added_to_cart), 0) AS BIGINT),
               CAST(coalesce(sum(converted), 0) AS BIGINT), CAST(coalesce(sum(abandoned_cart), 0) AS BIGINT)
        FROM funnel
        """,
        r =>
        {
            var sessions = Long(r, 0);
            var converted = Long(r, 3);
            return new FunnelTotals(sessions, Long(r, 1), Long(r, 2), converted, Long(r, 4), sessions > 0 ? (double)converted / sessions : 0);
        }).Single();

    public SessionTotals Sessions() => Query(
        """
        SELECT count(*), count(DISTINCT user_id), coalesce(avg(duration_ms), 0) / 1000.0, coalesce(avg(events), 0),
               CAST(coalesce(sum(revenue_cents), 0) AS BIGINT), count(*) FILTER (WHERE converted), count(*) FILTER (WHERE abandoned_cart)
        FROM sessions
        """,
        r =>
        {
            var sessions = Long(r, 0);
            double Share(int i) => sessions > 0 ? (double)Long(r, i) / sessions : 0;
            return new SessionTotals(sessions, Long(r, 1), Double(r, 2), Double(r, 3), Long(r, 4), Share(5), Share(6));
        }).Single();

    public IReadOnlyList<ProductRow> TopProducts(int limit) => Query(
        $"""
        SELECT product_id, product_category, views, cart_adds, purchases, revenue_cents FROM top_products
        ORDER BY revenue_cents DESC, product_id, product_category LIMIT {Int(limit)}
        """,
        r => new ProductRow(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), Long(r, 2), Long(r, 3), Long(r, 4), Long(r, 5)));

    public IReadOnlyList<CategoryRow> Categories() => Query(
        "SELECT category, views, cart_adds, purchases, revenue_cents, buyers FROM category_performance ORDER BY revenue_cents DESC, category",
        r => new CategoryRow(r.GetString(0), Long(r, 1), Long(r, 2), Long(r, 3), Long(r, 4), Long(r, 5)));

    public IReadOnlyList<RevenuePoint> Revenue(int hours, int bucketMinutes)
    {
        var latest = Query($"SELECT {EpochMs("max(event_time)")} FROM events", r => r.IsDBNull(0) ? (long?)null : Long(r, 0)).Single();
        if (latest is not { } end) return [];
        var bucketMs = bucketMinutes * 60_000L;
        var buckets = hours * 60 / bucketMinutes;
        var last = Math.DivRem(end, bucketMs, out var rem) * bucketMs - (rem < 0 ? bucketMs : 0);
        var first = last - (buckets - 1) * bucketMs;
        var sums = Query(
            $"""
            SELECT CAST(floor({EpochMs("event_time")} / {bucketMs}.0) AS BIGINT) AS bucket, CAST(coalesce(sum(revenue_cents), 0) AS BIGINT),
                   count(*) FILTER (WHERE event_type = 'purchase')
            FROM events WHERE {EpochMs("event_time")} >= {first}
            GROUP BY 1
            """,
            r => (Bucket: Long(r, 0) * bucketMs, Revenue: Long(r, 1), Purchases: Long(r, 2))).ToDictionary(s => s.Bucket);
        return Enumerable.Range(0, buckets).Select(i =>
        {
            var t = first + i * bucketMs;
            return sums.TryGetValue(t, out var s) ? new RevenuePoint(DateTimeOffset.FromUnixTimeMilliseconds(t), s.Revenue, s.Purchases)
                : new RevenuePoint(DateTimeOffset.FromUnixTimeMilliseconds(t), 0, 0);
        }).ToList();
    }

    public IReadOnlyList<ReasonRow> DeadLettersByReason() => Query(
        $"""
        SELECT reason_code, dead_letters, truncated, {EpochMs("first_failed_at")}, {EpochMs("last_failed_at")}
        FROM dead_letters_by_reason ORDER BY dead_letters DESC, reason_code
        """,
        r => new ReasonRow(r.GetString(0), Long(r, 1), Long(r, 2), Instant(r, 3), Instant(r, 4)));

    public DeadLetterPage DeadLetters(string? reason, int page, int pageSize)
    {
        var where = reason is null ? "" : "WHERE reason_code = $1";
        object[] args = reason is null ? [] : [reason];
        var total = Query($"SELECT count(*) FROM dead_letters {where}", r => Long(r, 0), args).Single();
        var offset = (long)(page - 1) * pageSize;
        var items = Query(
            $"""
            SELECT source_topic, source_partition, source_offset, reason_code, detail, {EpochMs("failed_at")}, payload, payload_truncated, payload_length
            FROM dead_letters {where}
            ORDER BY failed_at DESC, source_topic, source_partition, source_offset
            LIMIT {Int(pageSize)} OFFSET {offset.ToString(CultureInfo.InvariantCulture)}
            """,
            r => new DeadLetterRow(r.GetString(0), (int)Long(r, 1), Long(r, 2), r.GetString(3), r.GetString(4), Instant(r, 5), Bytes(r, 6),
                r.GetBoolean(7), r.IsDBNull(8) ? null : Long(r, 8)),
            args);
        return new DeadLetterPage(total, items);
    }

    public IReadOnlyList<LateRow> LateEvents(int limit) => Query(
        $"""
        SELECT aggregate, event_id, {EpochMs("event_time")}, {EpochMs("window_start")}, {EpochMs("window_end")}, {EpochMs("watermark")}, reason_code
        FROM late_events ORDER BY watermark DESC, event_time DESC, aggregate, event_id LIMIT {Int(limit)}
        """,
        // Text; a store the sink has not migrated yet still holds a uuid, whose text is the same lower-case form.
        r => new LateRow(r.GetString(0), Convert.ToString(r.GetValue(1), CultureInfo.InvariantCulture)!, Instant(r, 2), Instant(r, 3), Instant(r, 4),
            Instant(r, 5), r.GetString(6)));

    public IReadOnlyList<QualityWindow> Quality(int limit) => Query(
        $"""
        SELECT {EpochMs("window_start")}, {EpochMs("window_end")}, partitions, records_in, valid, invalid, duplicates, bots, late, accepted,
               invalid_rate, duplicate_rate, late_rate, bot_rate, completeness, ingest_lag_ms_mean, score, grade
        FROM quality_totals ORDER BY window_start DESC LIMIT {Int(limit)}
        """,
        r => new QualityWindow(Instant(r, 0), Instant(r, 1), Long(r, 2), Long(r, 3), Long(r, 4), Long(r, 5), Long(r, 6), Long(r, 7), Long(r, 8),
            Long(r, 9), Double(r, 10), Double(r, 11), Double(r, 12), Double(r, 13), Double(r, 14), r.IsDBNull(15) ? null : Double(r, 15),
            Double(r, 16), r.GetString(17)));

    private List<T> Query<T>(string sql, Func<DbDataReader, T> read, params object[] args)
    {
        using var connection = Open();
        try
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            foreach (var arg in args)
            {
                var p = cmd.CreateParameter();
                p.Value = arg;
                cmd.Parameters.Add(p);
            }
            using var reader = cmd.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read()) rows.Add(read(reader));
            return rows;
        }
        catch (DbException ex)
        {
            throw new WarehouseUnavailableException(
                $"no warehouse in this process: the {Kind} warehouse at {Location} did not answer the query ({OneLine(ex.Message)}); a store the sinks have not created yet " +
                "has no tables: start the pipeline with that store (sluice demo, sluice sink)", ex);
        }
    }

    /// <summary>The first line of a store's message.</summary>
    protected static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim().TrimEnd('.');

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static long Long(DbDataReader r, int i) => r.GetValue(i) switch
    {
        long l => l,
        int n => n,
        short s => s,
        decimal d => (long)d,
        double d => (long)d,
        BigInteger b => (long)b,
        var v => Convert.ToInt64(v, CultureInfo.InvariantCulture),
    };

    private static double Double(DbDataReader r, int i) => r.GetValue(i) switch
    {
        double d => d,
        float f => f,
        decimal d => (double)d,
        BigInteger b => (double)b,
        var v => Convert.ToDouble(v, CultureInfo.InvariantCulture),
    };

    private static DateTimeOffset Instant(DbDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(Long(r, i));

    private static byte[] Bytes(DbDataReader r, int i)
    {
        switch (r.GetValue(i))
        {
            case byte[] bytes:
                return bytes;
            case Stream stream:
                using (stream)
                {
                    using var copy = new MemoryStream();
                    stream.CopyTo(copy);
                    return copy.ToArray();
                }
            case var v:
                throw new InvalidCastException($"a payload read as {v.GetType().Name}");
        }
    }
}
