using Npgsql;
using NpgsqlTypes;
using Sluice.Sinks.Rows;

namespace Sluice.Sinks.Postgres;

/// <summary>A column of a target table: its SQL type and how a row's value is written in binary COPY.</summary>
internal sealed record PgColumn<T>(string Name, string Type, Action<NpgsqlBinaryImporter, T> Write);

/// <summary>What a duplicate id does to the stored row.</summary>
internal enum OnConflict
{
    /// <summary>The id means identical content (an event, a dead letter): the stored row stays.</summary>
    Nothing,

    /// <summary>A later record of the id may carry a newer value (a window re-emitted, a session extended): it replaces the row.</summary>
    Update,
}

/// <summary>A target table and its staging table: rows are COPYed into the stage, then merged into the target by key in one statement.</summary>
/// <remarks>
/// The stage is a temporary table created once per connection whose rows go at every commit (ON COMMIT DELETE ROWS),
/// so a batch costs no catalog changes. The merge keeps one row per key (DISTINCT ON, the latest in the batch), so
/// a batch holding an id twice cannot make ON CONFLICT affect a row twice; an update that would change nothing is
/// skipped, so replaying a batch writes no new row versions.
/// </remarks>
internal sealed class PgTable<T> where T : OutputRow
{
    private readonly string _copy;

    public PgTable(string name, OnConflict onConflict, string[] key, params PgColumn<T>[] columns)
    {
        Name = name;
        Columns = columns;
        var names = string.Join(", ", columns.Select(c => c.Name));
        var stage = $"stage_{name}";
        CreateStage = $"CREATE TEMP TABLE IF NOT EXISTS {stage} ({ColumnDefinitions}, _seq integer NOT NULL) ON COMMIT DELETE ROWS";
        _copy = $"COPY {stage} ({names}, _seq) FROM STDIN (FORMAT BINARY)";
        var keys = string.Join(", ", key);
        var update = columns.Where(c => !key.Contains(c.Name)).Select(c => c.Name).ToList();
        var conflict = onConflict == OnConflict.Nothing
            ? "DO NOTHING"
            : $"DO UPDATE SET {string.Join(", ", update.Select(c => $"{c} = EXCLUDED.{c}"))} " +
              $"WHERE ({string.Join(", ", update.Select(c => $"t.{c}"))}) IS DISTINCT FROM ({string.Join(", ", update.Select(c => $"EXCLUDED.{c}"))})";
        Merge = $"INSERT INTO {name} AS t ({names}) SELECT DISTINCT ON ({keys}) {names} FROM {stage} ORDER BY {keys}, _seq DESC ON CONFLICT ({keys}) {conflict}";
    }

    public string Name { get; }
    public IReadOnlyList<PgColumn<T>> Columns { get; }
    public string CreateStage { get; }

    /// <summary>The INSERT … SELECT … ON CONFLICT from the stage into the table.</summary>
    public string Merge { get; }

    /// <summary>Binary COPY of <paramref name="rows"/> into the stage.</summary>
    public void Copy(NpgsqlConnection connection, IReadOnlyList<T> rows) => Copy(connection, rows, _copy, sequence: true);

    /// <summary>Binary COPY of <paramref name="rows"/> into <paramref name="table"/>, which has this table's columns (the benchmark's baseline).</summary>
    public void CopyInto(NpgsqlConnection connection, string table, IReadOnlyList<T> rows) =>
        Copy(connection, rows, $"COPY {table} ({string.Join(", ", Columns.Select(c => c.Name))}) FROM STDIN (FORMAT BINARY)", sequence: false);

    /// <summary>The columns as CREATE TABLE lists them, without keys or constraints.</summary>
    public string ColumnDefinitions => string.Join(", ", Columns.Select(c => $"{c.Name} {c.Type}"));

    private void Copy(NpgsqlConnection connection, IReadOnlyList<T> rows, string copy, bool sequence)
    {
        using var writer = connection.BeginBinaryImport(copy);
        foreach (var row in rows)
        {
            writer.StartRow();
            foreach (var c in Columns) c.Write(writer, row);
            if (sequence) writer.Write(row.Sequence, NpgsqlDbType.Integer);
        }
        writer.Complete();
    }
}

/// <summary>The clickstream's tables, column by column as migration 1 creates them.</summary>
internal static class PostgresTables
{
    public static readonly PgTable<EventRow> Events = new("events", OnConflict.Nothing, ["event_id"],
    [
        .. EventColumns(),
        new("revenue_cents", "bigint", (w, r) => Opt(w, r.RevenueCents, NpgsqlDbType.Bigint)),
        new("event_hour", "integer", (w, r) => Opt(w, r.EventHour, NpgsqlDbType.Integer)),
        new("event_date", "date", (w, r) => Opt(w, r.EventDate, NpgsqlDbType.Date)),
        new("is_mobile", "boolean", (w, r) => Opt(w, r.IsMobile, NpgsqlDbType.Boolean)),
        new("processing_time", "timestamptz", (w, r) => Opt(w, r.ProcessingTime is { } t ? Time(t) : (DateTime?)null, NpgsqlDbType.TimestampTz)),
        new("ingest_lag_ms", "bigint", (w, r) => Opt(w, r.IngestLagMs, NpgsqlDbType.Bigint)),
        new("source_partition", "integer", (w, r) => Opt(w, r.SourcePartition, NpgsqlDbType.Integer)),
        new("source_offset", "bigint", (w, r) => Opt(w, r.SourceOffset, NpgsqlDbType.Bigint)),
    ]);

    public static readonly PgTable<EventRow> Bots = new("bot_events", OnConflict.Nothing, ["event_id"], EventColumns());

    public static readonly PgTable<DeadLetterRow> DeadLetters = new("dead_letters", OnConflict.Nothing,
        ["source_topic", "source_partition", "source_offset"],
        new("source_topic", "text", (w, r) => w.Write(r.SourceTopic, NpgsqlDbType.Text)),
        new("source_partition", "integer", (w, r) => w.Write(r.SourcePartition, NpgsqlDbType.Integer)),
        new("source_offset", "bigint", (w, r) => w.Write(r.SourceOffset, NpgsqlDbType.Bigint)),
        new("reason_code", "text", (w, r) => w.Write(r.ReasonCode, NpgsqlDbType.Text)),
        new("detail", "text", (w, r) => w.Write(r.Detail, NpgsqlDbType.Text)),
        new("failed_at", "timestamptz", (w, r) => w.Write(Time(r.FailedAt), NpgsqlDbType.TimestampTz)),
        new("key", "bytea", (w, r) => Ref(w, r.Key, NpgsqlDbType.Bytea)),
        new("payload", "bytea", (w, r) => w.Write(r.Payload, NpgsqlDbType.Bytea)),
        new("payload_truncated", "boolean", (w, r) => w.Write(r.PayloadTruncated, NpgsqlDbType.Boolean)),
        new("payload_length", "bigint", (w, r) => Opt(w, r.PayloadLength, NpgsqlDbType.Bigint)),
        new("payload_sha256", "text", (w, r) => Ref(w, r.PayloadSha256, NpgsqlDbType.Text)));

    public static readonly PgTable<LateRow> Late = new("late_events", OnConflict.Nothing,
        ["aggregate", "source_topic", "source_partition", "source_offset"],
        new("aggregate", "text", (w, r) => w.Write(r.Aggregate, NpgsqlDbType.Text)),
        new("source_topic", "text", (w, r) => w.Write(r.SourceTopic, NpgsqlDbType.Text)),
        new("source_partition", "integer", (w, r) => w.Write(r.SourcePartition, NpgsqlDbType.Integer)),
        new("source_offset", "bigint", (w, r) => w.Write(r.SourceOffset, NpgsqlDbType.Bigint)),
        new("reason_code", "text", (w, r) => w.Write(r.ReasonCode, NpgsqlDbType.Text)),
        new("event_id", "uuid", (w, r) => w.Write(r.EventId, NpgsqlDbType.Uuid)),
        new("event_time", "timestamptz", (w, r) => w.Write(Time(r.EventTimestamp), NpgsqlDbType.TimestampTz)),
        new("window_start", "timestamptz", (w, r) => w.Write(Time(r.WindowStart), NpgsqlDbType.TimestampTz)),
        new("window_end", "timestamptz", (w, r) => w.Write(Time(r.WindowEnd), NpgsqlDbType.TimestampTz)),
        new("watermark", "timestamptz", (w, r) => w.Write(Time(r.Watermark), NpgsqlDbType.TimestampTz)),
        new("event", "jsonb", (w, r) => w.Write(r.Event, NpgsqlDbType.Jsonb)));

    public static readonly PgTable<AggregateRow> Aggregates = new("window_aggregates", OnConflict.Update,
        ["aggregate", "window_start", "dimension", "dimension_value", "partition", "metric"],
        new("aggregate", "text", (w, r) => w.Write(r.Aggregate, NpgsqlDbType.Text)),
        new("window_start", "timestamptz", (w, r) => w.Write(Time(r.WindowStart), NpgsqlDbType.TimestampTz)),
        new("window_end", "timestamptz", (w, r) => w.Write(Time(r.WindowEnd), NpgsqlDbType.TimestampTz)),
        new("dimension", "text", (w, r) => w.Write(r.Dimension, NpgsqlDbType.Text)),
        new("dimension_value", "text", (w, r) => w.Write(r.DimensionValue, NpgsqlDbType.Text)),
        new("partition", "integer", (w, r) => w.Write(r.Partition, NpgsqlDbType.Integer)),
        new("metric", "text", (w, r) => w.Write(r.Metric, NpgsqlDbType.Text)),
        new("value", "double precision", (w, r) => w.Write(r.Value, NpgsqlDbType.Double)));

    public static readonly PgTable<SessionRow> Sessions = new("sessions", OnConflict.Update, ["session_key", "session_start"],
        new("session_key", "text", (w, r) => w.Write(r.SessionKey, NpgsqlDbType.Text)),
        new("session_start", "timestamptz", (w, r) => w.Write(Time(r.SessionStart), NpgsqlDbType.TimestampTz)),
        new("session_end", "timestamptz", (w, r) => w.Write(Time(r.SessionEnd), NpgsqlDbType.TimestampTz)),
        new("user_id", "text", (w, r) => Ref(w, r.UserId, NpgsqlDbType.Text)),
        new("session_id", "text", (w, r) => w.Write(r.SessionId, NpgsqlDbType.Text)),
        new("partition", "integer", (w, r) => w.Write(r.Partition, NpgsqlDbType.Integer)),
        new("duration_ms", "bigint", (w, r) => w.Write(r.DurationMs, NpgsqlDbType.Bigint)),
        new("events", "integer", (w, r) => w.Write(r.Events, NpgsqlDbType.Integer)),
        new("page_views", "integer", (w, r) => w.Write(r.PageViews, NpgsqlDbType.Integer)),
        new("cart_adds", "integer", (w, r) => w.Write(r.CartAdds, NpgsqlDbType.Integer)),
        new("purchases", "integer", (w, r) => w.Write(r.Purchases, NpgsqlDbType.Integer)),
        new("revenue_cents", "bigint", (w, r) => w.Write(r.RevenueCents, NpgsqlDbType.Bigint)),
        new("converted", "boolean", (w, r) => w.Write(r.Converted, NpgsqlDbType.Boolean)),
        new("abandoned_cart", "boolean", (w, r) => w.Write(r.AbandonedCart, NpgsqlDbType.Boolean)),
        new("landing_page", "text", (w, r) => Ref(w, r.LandingPage, NpgsqlDbType.Text)),
        new("exit_page", "text", (w, r) => Ref(w, r.ExitPage, NpgsqlDbType.Text)));

    /// <summary>Every table the sink writes, for staging and for tests.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [Events.Name, Bots.Name, DeadLetters.Name, Late.Name, Aggregates.Name, Sessions.Name];

    public static IEnumerable<string> CreateStages() =>
        [Events.CreateStage, Bots.CreateStage, DeadLetters.CreateStage, Late.CreateStage, Aggregates.CreateStage, Sessions.CreateStage];

    /// <summary>The v3 event's own fields, which enriched and bot events share.</summary>
    private static PgColumn<EventRow>[] EventColumns() =>
    [
        new("event_id", "uuid", (w, r) => w.Write(r.EventId, NpgsqlDbType.Uuid)),
        new("event_type", "text", (w, r) => w.Write(r.EventType, NpgsqlDbType.Text)),
        new("event_time", "timestamptz", (w, r) => w.Write(Time(r.Timestamp), NpgsqlDbType.TimestampTz)),
        new("user_id", "text", (w, r) => Ref(w, r.UserId, NpgsqlDbType.Text)),
        new("session_id", "text", (w, r) => w.Write(r.SessionId, NpgsqlDbType.Text)),
        new("product_id", "text", (w, r) => Ref(w, r.ProductId, NpgsqlDbType.Text)),
        new("product_category", "text", (w, r) => Ref(w, r.ProductCategory, NpgsqlDbType.Text)),
        new("price_cents", "bigint", (w, r) => Opt(w, r.PriceCents, NpgsqlDbType.Bigint)),
        new("quantity", "integer", (w, r) => Opt(w, r.Quantity, NpgsqlDbType.Integer)),
        new("search_query", "text", (w, r) => Ref(w, r.SearchQuery, NpgsqlDbType.Text)),
        new("page_url", "text", (w, r) => Ref(w, r.PageUrl, NpgsqlDbType.Text)),
        new("referrer", "text", (w, r) => Ref(w, r.Referrer, NpgsqlDbType.Text)),
        new("user_agent", "text", (w, r) => Ref(w, r.UserAgent, NpgsqlDbType.Text)),
        new("ip_address", "text", (w, r) => Ref(w, r.IpAddress, NpgsqlDbType.Text)),
        new("geo_country", "text", (w, r) => Ref(w, r.GeoCountry, NpgsqlDbType.Text)),
        new("geo_city", "text", (w, r) => Ref(w, r.GeoCity, NpgsqlDbType.Text)),
        new("user_segment", "text", (w, r) => Ref(w, r.UserSegment, NpgsqlDbType.Text)),
        new("device_type", "text", (w, r) => Ref(w, r.DeviceType, NpgsqlDbType.Text)),
        new("browser", "text", (w, r) => Ref(w, r.Browser, NpgsqlDbType.Text)),
        new("campaign_id", "text", (w, r) => Ref(w, r.CampaignId, NpgsqlDbType.Text)),
        new("schema_version", "integer", (w, r) => w.Write(r.SchemaVersion, NpgsqlDbType.Integer)),
    ];

    /// <summary>Epoch milliseconds as a UTC <see cref="DateTime"/>, which Npgsql writes as timestamptz.</summary>
    public static DateTime Time(long epochMs) => new(DateTime.UnixEpoch.Ticks + epochMs * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);

    private static void Opt<TValue>(NpgsqlBinaryImporter w, TValue? value, NpgsqlDbType type) where TValue : struct
    {
        if (value is { } v) w.Write(v, type);
        else w.WriteNull();
    }

    private static void Ref<TValue>(NpgsqlBinaryImporter w, TValue? value, NpgsqlDbType type) where TValue : class
    {
        if (value is null) w.WriteNull();
        else w.Write(value, type);
    }
}
