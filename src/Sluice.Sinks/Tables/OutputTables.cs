using Sluice.Sinks.Rows;

namespace Sluice.Sinks.Tables;

/// <summary>The clickstream's tables, column by column, as every SQL sink holds them (the migrations spell out the same).</summary>
public static class OutputTables
{
    /// <summary>The profile columns of <see cref="Events"/> (declared first: Events reads them): the processor's as-of join to the user dimension.</summary>
    public static IReadOnlyList<string> ProfileColumns { get; } = ["profile_version", "profile_position", "profile_segment", "profile_country", "signup_date"];

    public static readonly OutputTable<EventRow> Events = new("events", OutputKind.Enriched, OnConflict.Nothing, ["event_id"],
    [
        .. EventColumns(),
        new("revenue_cents", ColumnType.BigInt, (r, w) => w.BigInt(r.RevenueCents), (r, v) => r.RevenueCents = v.BigInt()),
        new("event_hour", ColumnType.Integer, (r, w) => w.Integer(r.EventHour), (r, v) => r.EventHour = v.Integer()),
        new("event_date", ColumnType.Date, (r, w) => w.Date(r.EventDate), (r, v) => r.EventDate = v.Date()),
        new("is_mobile", ColumnType.Boolean, (r, w) => w.Boolean(r.IsMobile), (r, v) => r.IsMobile = v.Boolean()),
        new("processing_time", ColumnType.Timestamp, (r, w) => w.Timestamp(r.ProcessingTime), (r, v) => r.ProcessingTime = v.Timestamp()),
        new("ingest_lag_ms", ColumnType.BigInt, (r, w) => w.BigInt(r.IngestLagMs), (r, v) => r.IngestLagMs = v.BigInt()),
        new("source_partition", ColumnType.Integer, (r, w) => w.Integer(r.SourcePartition), (r, v) => r.SourcePartition = v.Integer()),
        new("source_offset", ColumnType.BigInt, (r, w) => w.BigInt(r.SourceOffset), (r, v) => r.SourceOffset = v.BigInt()),
        new("profile_version", ColumnType.Integer, (r, w) => w.Integer(r.ProfileVersion), (r, v) => r.ProfileVersion = v.Integer()),
        new("profile_position", ColumnType.BigInt, (r, w) => w.BigInt(r.ProfilePosition), (r, v) => r.ProfilePosition = v.BigInt()),
        new("profile_segment", ColumnType.Text, (r, w) => w.Text(r.ProfileSegment), (r, v) => r.ProfileSegment = v.Text()),
        new("profile_country", ColumnType.Text, (r, w) => w.Text(r.ProfileCountry), (r, v) => r.ProfileCountry = v.Text()),
        new("signup_date", ColumnType.Date, (r, w) => w.Date(r.SignupDate), (r, v) => r.SignupDate = v.Date()),
    ], refreshed: [.. ProfileColumns]);

    public static readonly OutputTable<EventRow> Bots = new("bot_events", OutputKind.Bots, OnConflict.Nothing, ["event_id"], EventColumns());

    public static readonly OutputTable<DeadLetterRow> DeadLetters = new("dead_letters", OutputKind.DeadLetters, OnConflict.Nothing,
        ["source_topic", "source_partition", "source_offset"],
    [
        new("source_topic", ColumnType.Text, (r, w) => w.Text(r.SourceTopic), (r, v) => r.SourceTopic = v.Text() ?? ""),
        new("source_partition", ColumnType.Integer, (r, w) => w.Integer(r.SourcePartition), (r, v) => r.SourcePartition = v.Integer() ?? 0),
        new("source_offset", ColumnType.BigInt, (r, w) => w.BigInt(r.SourceOffset), (r, v) => r.SourceOffset = v.BigInt() ?? 0),
        new("reason_code", ColumnType.Text, (r, w) => w.Text(r.ReasonCode), (r, v) => r.ReasonCode = v.Text() ?? ""),
        new("detail", ColumnType.Text, (r, w) => w.Text(r.Detail), (r, v) => r.Detail = v.Text() ?? ""),
        new("failed_at", ColumnType.Timestamp, (r, w) => w.Timestamp(r.FailedAt), (r, v) => r.FailedAt = v.Timestamp() ?? 0),
        new("key", ColumnType.Bytes, (r, w) => w.Bytes(r.Key), (r, v) => r.Key = v.Bytes()),
        new("payload", ColumnType.Bytes, (r, w) => w.Bytes(r.Payload), (r, v) => r.Payload = v.Bytes() ?? []),
        new("payload_truncated", ColumnType.Boolean, (r, w) => w.Boolean(r.PayloadTruncated), (r, v) => r.PayloadTruncated = v.Boolean() ?? false),
        new("payload_length", ColumnType.BigInt, (r, w) => w.BigInt(r.PayloadLength), (r, v) => r.PayloadLength = v.BigInt()),
        new("payload_sha256", ColumnType.Text, (r, w) => w.Text(r.PayloadSha256), (r, v) => r.PayloadSha256 = v.Text()),
    ]);

    public static readonly OutputTable<LateRow> Late = new("late_events", OutputKind.Late, OnConflict.Nothing,
        ["aggregate", "source_topic", "source_partition", "source_offset"],
    [
        new("aggregate", ColumnType.Text, (r, w) => w.Text(r.Aggregate), (r, v) => r.Aggregate = v.Text() ?? ""),
        new("source_topic", ColumnType.Text, (r, w) => w.Text(r.SourceTopic), (r, v) => r.SourceTopic = v.Text() ?? ""),
        new("source_partition", ColumnType.Integer, (r, w) => w.Integer(r.SourcePartition), (r, v) => r.SourcePartition = v.Integer() ?? 0),
        new("source_offset", ColumnType.BigInt, (r, w) => w.BigInt(r.SourceOffset), (r, v) => r.SourceOffset = v.BigInt() ?? 0),
        new("reason_code", ColumnType.Text, (r, w) => w.Text(r.ReasonCode), (r, v) => r.ReasonCode = v.Text() ?? ""),
        new("event_id", ColumnType.Text, (r, w) => w.Text(r.EventId), (r, v) => r.EventId = v.Text() ?? ""),
        new("event_time", ColumnType.Timestamp, (r, w) => w.Timestamp(r.EventTimestamp), (r, v) => r.EventTimestamp = v.Timestamp() ?? 0),
        new("window_start", ColumnType.Timestamp, (r, w) => w.Timestamp(r.WindowStart), (r, v) => r.WindowStart = v.Timestamp() ?? 0),
        new("window_end", ColumnType.Timestamp, (r, w) => w.Timestamp(r.WindowEnd), (r, v) => r.WindowEnd = v.Timestamp() ?? 0),
        new("watermark", ColumnType.Timestamp, (r, w) => w.Timestamp(r.Watermark), (r, v) => r.Watermark = v.Timestamp() ?? 0),
        new("event", ColumnType.Json, (r, w) => w.Json(r.Event), (r, v) => r.Event = v.Json()),
    ]);

    public static readonly OutputTable<AggregateRow> Aggregates = new("window_aggregates", OutputKind.Aggregated, OnConflict.Update,
        ["aggregate", "window_start", "dimension", "dimension_value", "partition", "metric"],
    [
        new("aggregate", ColumnType.Text, (r, w) => w.Text(r.Aggregate), (r, v) => r.Aggregate = v.Text() ?? ""),
        new("window_start", ColumnType.Timestamp, (r, w) => w.Timestamp(r.WindowStart), (r, v) => r.WindowStart = v.Timestamp() ?? 0),
        new("window_end", ColumnType.Timestamp, (r, w) => w.Timestamp(r.WindowEnd), (r, v) => r.WindowEnd = v.Timestamp() ?? 0),
        new("dimension", ColumnType.Text, (r, w) => w.Text(r.Dimension), (r, v) => r.Dimension = v.Text() ?? ""),
        new("dimension_value", ColumnType.Text, (r, w) => w.Text(r.DimensionValue), (r, v) => r.DimensionValue = v.Text() ?? ""),
        new("partition", ColumnType.Integer, (r, w) => w.Integer(r.Partition), (r, v) => r.Partition = v.Integer() ?? 0),
        new("metric", ColumnType.Text, (r, w) => w.Text(r.Metric), (r, v) => r.Metric = v.Text() ?? ""),
        new("value", ColumnType.Double, (r, w) => w.Double(r.Value), (r, v) => r.Value = v.Double() ?? double.NaN),
    ]);

    public static readonly OutputTable<SessionRow> Sessions = new("sessions", OutputKind.Sessions, OnConflict.Update, ["session_key", "session_start"],
    [
        new("session_key", ColumnType.Text, (r, w) => w.Text(r.SessionKey), (r, v) => r.SessionKey = v.Text() ?? ""),
        new("session_start", ColumnType.Timestamp, (r, w) => w.Timestamp(r.SessionStart), (r, v) => r.SessionStart = v.Timestamp() ?? 0),
        new("session_end", ColumnType.Timestamp, (r, w) => w.Timestamp(r.SessionEnd), (r, v) => r.SessionEnd = v.Timestamp() ?? 0),
        new("user_id", ColumnType.Text, (r, w) => w.Text(r.UserId), (r, v) => r.UserId = v.Text()),
        new("session_id", ColumnType.Text, (r, w) => w.Text(r.SessionId), (r, v) => r.SessionId = v.Text() ?? ""),
        new("partition", ColumnType.Integer, (r, w) => w.Integer(r.Partition), (r, v) => r.Partition = v.Integer() ?? 0),
        new("duration_ms", ColumnType.BigInt, (r, w) => w.BigInt(r.DurationMs), (r, v) => r.DurationMs = v.BigInt() ?? 0),
        new("events", ColumnType.Integer, (r, w) => w.Integer(r.Events), (r, v) => r.Events = v.Integer() ?? 0),
        new("page_views", ColumnType.Integer, (r, w) => w.Integer(r.PageViews), (r, v) => r.PageViews = v.Integer() ?? 0),
        new("cart_adds", ColumnType.Integer, (r, w) => w.Integer(r.CartAdds), (r, v) => r.CartAdds = v.Integer() ?? 0),
        new("purchases", ColumnType.Integer, (r, w) => w.Integer(r.Purchases), (r, v) => r.Purchases = v.Integer() ?? 0),
        new("revenue_cents", ColumnType.BigInt, (r, w) => w.BigInt(r.RevenueCents), (r, v) => r.RevenueCents = v.BigInt() ?? 0),
        new("converted", ColumnType.Boolean, (r, w) => w.Boolean(r.Converted), (r, v) => r.Converted = v.Boolean() ?? false),
        new("abandoned_cart", ColumnType.Boolean, (r, w) => w.Boolean(r.AbandonedCart), (r, v) => r.AbandonedCart = v.Boolean() ?? false),
        new("landing_page", ColumnType.Text, (r, w) => w.Text(r.LandingPage), (r, v) => r.LandingPage = v.Text()),
        new("exit_page", ColumnType.Text, (r, w) => w.Text(r.ExitPage), (r, v) => r.ExitPage = v.Text()),
    ]);

    /// <summary>One row per window and partition, replaced by a later emission of its key (a processor replay re-emits the same row).</summary>
    public static readonly OutputTable<QualityRow> Quality = new("quality", OutputKind.Quality, OnConflict.Update, ["window_start", "partition"],
    [
        new("window_start", ColumnType.Timestamp, (r, w) => w.Timestamp(r.WindowStart), (r, v) => r.WindowStart = v.Timestamp() ?? 0),
        new("window_end", ColumnType.Timestamp, (r, w) => w.Timestamp(r.WindowEnd), (r, v) => r.WindowEnd = v.Timestamp() ?? 0),
        new("partition", ColumnType.Integer, (r, w) => w.Integer(r.Partition), (r, v) => r.Partition = v.Integer() ?? 0),
        new("records_in", ColumnType.BigInt, (r, w) => w.BigInt(r.RecordsIn), (r, v) => r.RecordsIn = v.BigInt() ?? 0),
        new("valid", ColumnType.BigInt, (r, w) => w.BigInt(r.Valid), (r, v) => r.Valid = v.BigInt() ?? 0),
        new("invalid", ColumnType.BigInt, (r, w) => w.BigInt(r.Invalid), (r, v) => r.Invalid = v.BigInt() ?? 0),
        new("duplicates", ColumnType.BigInt, (r, w) => w.BigInt(r.Duplicates), (r, v) => r.Duplicates = v.BigInt() ?? 0),
        new("bots", ColumnType.BigInt, (r, w) => w.BigInt(r.Bots), (r, v) => r.Bots = v.BigInt() ?? 0),
        new("late", ColumnType.BigInt, (r, w) => w.BigInt(r.Late), (r, v) => r.Late = v.BigInt() ?? 0),
        new("accepted", ColumnType.BigInt, (r, w) => w.BigInt(r.Accepted), (r, v) => r.Accepted = v.BigInt() ?? 0),
        new("invalid_by_reason", ColumnType.Json, (r, w) => w.Json(r.InvalidByReason), (r, v) => r.InvalidByReason = v.Json()),
        new("null_counts", ColumnType.Json, (r, w) => w.Json(r.NullCounts), (r, v) => r.NullCounts = v.Json()),
        new("ingest_lag_ms_sum", ColumnType.BigInt, (r, w) => w.BigInt(r.IngestLagMsSum), (r, v) => r.IngestLagMsSum = v.BigInt() ?? 0),
        new("ingest_lag_ms_max", ColumnType.BigInt, (r, w) => w.BigInt(r.IngestLagMsMax), (r, v) => r.IngestLagMsMax = v.BigInt()),
        new("ingest_lag_ms_mean", ColumnType.Double, (r, w) => w.Double(r.IngestLagMsMean), (r, v) => r.IngestLagMsMean = v.Double()),
        new("volume_baseline", ColumnType.Double, (r, w) => w.Double(r.VolumeBaseline), (r, v) => r.VolumeBaseline = v.Double()),
        new("volume_ratio", ColumnType.Double, (r, w) => w.Double(r.VolumeRatio), (r, v) => r.VolumeRatio = v.Double()),
        new("invalid_rate", ColumnType.Double, (r, w) => w.Double(r.InvalidRate), (r, v) => r.InvalidRate = v.Double() ?? double.NaN),
        new("duplicate_rate", ColumnType.Double, (r, w) => w.Double(r.DuplicateRate), (r, v) => r.DuplicateRate = v.Double() ?? double.NaN),
        new("late_rate", ColumnType.Double, (r, w) => w.Double(r.LateRate), (r, v) => r.LateRate = v.Double() ?? double.NaN),
        new("bot_rate", ColumnType.Double, (r, w) => w.Double(r.BotRate), (r, v) => r.BotRate = v.Double() ?? double.NaN),
        new("completeness", ColumnType.Double, (r, w) => w.Double(r.Completeness), (r, v) => r.Completeness = v.Double() ?? double.NaN),
        new("score", ColumnType.Double, (r, w) => w.Double(r.Score), (r, v) => r.Score = v.Double() ?? double.NaN),
        new("grade", ColumnType.Text, (r, w) => w.Text(r.Grade), (r, v) => r.Grade = v.Text() ?? ""),
    ]);

    /// <summary>The user dimension, one row per version; a version written again (closed, or renumbered) replaces its row.</summary>
    public static readonly OutputTable<UserVersionRow> UserVersions = new("dim_users", OutputKind.UserVersions, OnConflict.Update, ["user_id", "source_position"],
    [
        new("user_id", ColumnType.Text, (r, w) => w.Text(r.UserId), (r, v) => r.UserId = v.Text() ?? ""),
        new("source_position", ColumnType.BigInt, (r, w) => w.BigInt(r.SourcePosition), (r, v) => r.SourcePosition = v.BigInt() ?? 0),
        new("version", ColumnType.Integer, (r, w) => w.Integer(r.Version), (r, v) => r.Version = v.Integer() ?? 0),
        new("op", ColumnType.Text, (r, w) => w.Text(r.Op), (r, v) => r.Op = v.Text() ?? ""),
        new("valid_from", ColumnType.Timestamp, (r, w) => w.Timestamp(r.ValidFrom), (r, v) => r.ValidFrom = v.Timestamp() ?? 0),
        new("valid_to", ColumnType.Timestamp, (r, w) => w.Timestamp(r.ValidTo), (r, v) => r.ValidTo = v.Timestamp()),
        new("is_current", ColumnType.Boolean, (r, w) => w.Boolean(r.IsCurrent), (r, v) => r.IsCurrent = v.Boolean() ?? false),
        new("deleted_at", ColumnType.Timestamp, (r, w) => w.Timestamp(r.DeletedAt), (r, v) => r.DeletedAt = v.Timestamp()),
        new("email", ColumnType.Text, (r, w) => w.Text(r.Email), (r, v) => r.Email = v.Text()),
        new("segment", ColumnType.Text, (r, w) => w.Text(r.Segment), (r, v) => r.Segment = v.Text()),
        new("country", ColumnType.Text, (r, w) => w.Text(r.Country), (r, v) => r.Country = v.Text()),
        new("city", ColumnType.Text, (r, w) => w.Text(r.City), (r, v) => r.City = v.Text()),
        new("created_at", ColumnType.Timestamp, (r, w) => w.Timestamp(r.CreatedAt), (r, v) => r.CreatedAt = v.Timestamp()),
        new("signup_date", ColumnType.Date, (r, w) => w.Date(r.SignupDate), (r, v) => r.SignupDate = v.Date()),
        new("source_topic", ColumnType.Text, (r, w) => w.Text(r.SourceTopic), (r, v) => r.SourceTopic = v.Text() ?? ""),
        new("source_partition", ColumnType.Integer, (r, w) => w.Integer(r.SourcePartition), (r, v) => r.SourcePartition = v.Integer() ?? 0),
        new("source_offset", ColumnType.BigInt, (r, w) => w.BigInt(r.SourceOffset), (r, v) => r.SourceOffset = v.BigInt() ?? 0),
    ]);

    /// <summary>The profile each corrected event should have; a later correction of the event replaces the row.</summary>
    public static readonly OutputTable<CorrectionRow> Corrections = new("profile_corrections", OutputKind.Corrections, OnConflict.Update, ["event_id"],
    [
        new("event_id", ColumnType.Text, (r, w) => w.Text(r.EventId), (r, v) => r.EventId = v.Text() ?? ""),
        new("user_id", ColumnType.Text, (r, w) => w.Text(r.UserId), (r, v) => r.UserId = v.Text() ?? ""),
        new("event_time", ColumnType.Timestamp, (r, w) => w.Timestamp(r.EventTime), (r, v) => r.EventTime = v.Timestamp() ?? 0),
        new("old_version", ColumnType.Integer, (r, w) => w.Integer(r.OldVersion), (r, v) => r.OldVersion = v.Integer()),
        new("old_position", ColumnType.BigInt, (r, w) => w.BigInt(r.OldPosition), (r, v) => r.OldPosition = v.BigInt()),
        new("new_version", ColumnType.Integer, (r, w) => w.Integer(r.NewVersion), (r, v) => r.NewVersion = v.Integer()),
        new("new_position", ColumnType.BigInt, (r, w) => w.BigInt(r.NewPosition), (r, v) => r.NewPosition = v.BigInt()),
        new("profile_segment", ColumnType.Text, (r, w) => w.Text(r.ProfileSegment), (r, v) => r.ProfileSegment = v.Text()),
        new("profile_country", ColumnType.Text, (r, w) => w.Text(r.ProfileCountry), (r, v) => r.ProfileCountry = v.Text()),
        new("signup_date", ColumnType.Date, (r, w) => w.Date(r.SignupDate), (r, v) => r.SignupDate = v.Date()),
        new("corrected_at", ColumnType.Timestamp, (r, w) => w.Timestamp(r.CorrectedAt), (r, v) => r.CorrectedAt = v.Timestamp() ?? 0),
    ]);

    /// <summary>Every table the sinks write, in the order they are merged.</summary>
    public static IReadOnlyList<IOutputTable> All { get; } = [Events, Bots, DeadLetters, Late, Aggregates, Sessions, Quality, UserVersions, Corrections];

    /// <summary>The table of an output.</summary>
    public static IOutputTable Of(OutputKind kind) => All.Single(t => t.Kind == kind);

    /// <summary>The v3 event's own fields, which enriched and bot events share.</summary>
    private static OutputColumn<EventRow>[] EventColumns() =>
    [
        new("event_id", ColumnType.Text, (r, w) => w.Text(r.EventId), (r, v) => r.EventId = v.Text() ?? ""),
        new("event_type", ColumnType.Text, (r, w) => w.Text(r.EventType), (r, v) => r.EventType = v.Text() ?? ""),
        new("event_time", ColumnType.Timestamp, (r, w) => w.Timestamp(r.Timestamp), (r, v) => r.Timestamp = v.Timestamp() ?? 0),
        new("user_id", ColumnType.Text, (r, w) => w.Text(r.UserId), (r, v) => r.UserId = v.Text()),
        new("session_id", ColumnType.Text, (r, w) => w.Text(r.SessionId), (r, v) => r.SessionId = v.Text() ?? ""),
        new("product_id", ColumnType.Text, (r, w) => w.Text(r.ProductId), (r, v) => r.ProductId = v.Text()),
        new("product_category", ColumnType.Text, (r, w) => w.Text(r.ProductCategory), (r, v) => r.ProductCategory = v.Text()),
        new("price_cents", ColumnType.BigInt, (r, w) => w.BigInt(r.PriceCents), (r, v) => r.PriceCents = v.BigInt()),
        new("quantity", ColumnType.Integer, (r, w) => w.Integer(r.Quantity), (r, v) => r.Quantity = v.Integer()),
        new("search_query", ColumnType.Text, (r, w) => w.Text(r.SearchQuery), (r, v) => r.SearchQuery = v.Text()),
        new("page_url", ColumnType.Text, (r, w) => w.Text(r.PageUrl), (r, v) => r.PageUrl = v.Text()),
        new("referrer", ColumnType.Text, (r, w) => w.Text(r.Referrer), (r, v) => r.Referrer = v.Text()),
        new("user_agent", ColumnType.Text, (r, w) => w.Text(r.UserAgent), (r, v) => r.UserAgent = v.Text()),
        new("ip_address", ColumnType.Text, (r, w) => w.Text(r.IpAddress), (r, v) => r.IpAddress = v.Text()),
        new("geo_country", ColumnType.Text, (r, w) => w.Text(r.GeoCountry), (r, v) => r.GeoCountry = v.Text()),
        new("geo_city", ColumnType.Text, (r, w) => w.Text(r.GeoCity), (r, v) => r.GeoCity = v.Text()),
        new("user_segment", ColumnType.Text, (r, w) => w.Text(r.UserSegment), (r, v) => r.UserSegment = v.Text()),
        new("device_type", ColumnType.Text, (r, w) => w.Text(r.DeviceType), (r, v) => r.DeviceType = v.Text()),
        new("browser", ColumnType.Text, (r, w) => w.Text(r.Browser), (r, v) => r.Browser = v.Text()),
        new("campaign_id", ColumnType.Text, (r, w) => w.Text(r.CampaignId), (r, v) => r.CampaignId = v.Text()),
        new("schema_version", ColumnType.Integer, (r, w) => w.Integer(r.SchemaVersion), (r, v) => r.SchemaVersion = v.Integer() ?? 0),
    ];
}
