using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;
using Sluice.Sinks.Rows;

namespace Sluice.Sinks.Lake;

// The rows of the lake's data files, one class per table. Column names are the JSON property names; times are Parquet
// timestamps (microseconds, UTC), Delta's "timestamp". The partition column event_date is not in the files: Delta keeps
// it in each add's partitionValues and Hive-style readers take it from the folder name.

/// <summary>bronze/events: an input record exactly as Kafka held it, valid or not.</summary>
public sealed class BronzeRow
{
    [JsonPropertyName("topic")] public string Topic { get; set; } = "";
    [JsonPropertyName("partition")] public int Partition { get; set; }
    [JsonPropertyName("offset")] public long Offset { get; set; }
    [JsonPropertyName("timestamp"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime Timestamp { get; set; }
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("value")] public byte[]? Value { get; set; }

    public static BronzeRow From(SinkRecord r) => new()
    {
        Topic = r.Topic, Partition = r.Partition, Offset = r.Offset, Timestamp = LakeTime.Utc(r.Timestamp), Key = r.Key, Value = r.Value,
    };
}

/// <summary>silver/events and silver/bot_events: a click event; the derived fields are null on bots'.</summary>
public sealed class EventLakeRow
{
    [JsonPropertyName("event_id")] public string EventId { get; set; } = "";
    [JsonPropertyName("event_type")] public string EventType { get; set; } = "";
    [JsonPropertyName("event_time"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime EventTime { get; set; }
    [JsonPropertyName("user_id")] public string? UserId { get; set; }
    [JsonPropertyName("session_id")] public string SessionId { get; set; } = "";
    [JsonPropertyName("product_id")] public string? ProductId { get; set; }
    [JsonPropertyName("product_category")] public string? ProductCategory { get; set; }
    [JsonPropertyName("price_cents")] public long? PriceCents { get; set; }
    [JsonPropertyName("quantity")] public int? Quantity { get; set; }
    [JsonPropertyName("search_query")] public string? SearchQuery { get; set; }
    [JsonPropertyName("page_url")] public string? PageUrl { get; set; }
    [JsonPropertyName("referrer")] public string? Referrer { get; set; }
    [JsonPropertyName("user_agent")] public string? UserAgent { get; set; }
    [JsonPropertyName("ip_address")] public string? IpAddress { get; set; }
    [JsonPropertyName("geo_country")] public string? GeoCountry { get; set; }
    [JsonPropertyName("geo_city")] public string? GeoCity { get; set; }
    [JsonPropertyName("user_segment")] public string? UserSegment { get; set; }
    [JsonPropertyName("device_type")] public string? DeviceType { get; set; }
    [JsonPropertyName("browser")] public string? Browser { get; set; }
    [JsonPropertyName("campaign_id")] public string? CampaignId { get; set; }
    [JsonPropertyName("schema_version")] public int SchemaVersion { get; set; }
    [JsonPropertyName("revenue_cents")] public long? RevenueCents { get; set; }
    [JsonPropertyName("event_hour")] public int? EventHour { get; set; }
    [JsonPropertyName("is_mobile")] public bool? IsMobile { get; set; }
    [JsonPropertyName("processing_time"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime? ProcessingTime { get; set; }
    [JsonPropertyName("ingest_lag_ms")] public long? IngestLagMs { get; set; }
    [JsonPropertyName("source_partition")] public int? SourcePartition { get; set; }
    [JsonPropertyName("source_offset")] public long? SourceOffset { get; set; }
    [JsonPropertyName("profile_version")] public int? ProfileVersion { get; set; }
    [JsonPropertyName("profile_position")] public long? ProfilePosition { get; set; }
    [JsonPropertyName("profile_segment")] public string? ProfileSegment { get; set; }
    [JsonPropertyName("profile_country")] public string? ProfileCountry { get; set; }
    [JsonPropertyName("signup_date")] public DateOnly? SignupDate { get; set; }

    public static EventLakeRow From(EventRow e) => new()
    {
        EventId = e.EventId, EventType = e.EventType, EventTime = LakeTime.Utc(e.Timestamp), UserId = e.UserId, SessionId = e.SessionId,
        ProductId = e.ProductId, ProductCategory = e.ProductCategory, PriceCents = e.PriceCents, Quantity = e.Quantity, SearchQuery = e.SearchQuery,
        PageUrl = e.PageUrl, Referrer = e.Referrer, UserAgent = e.UserAgent, IpAddress = e.IpAddress, GeoCountry = e.GeoCountry, GeoCity = e.GeoCity,
        UserSegment = e.UserSegment, DeviceType = e.DeviceType, Browser = e.Browser, CampaignId = e.CampaignId, SchemaVersion = e.SchemaVersion,
        RevenueCents = e.RevenueCents, EventHour = e.EventHour, IsMobile = e.IsMobile,
        ProcessingTime = e.ProcessingTime is { } p ? LakeTime.Utc(p) : null, IngestLagMs = e.IngestLagMs, SourcePartition = e.SourcePartition,
        SourceOffset = e.SourceOffset, ProfileVersion = e.ProfileVersion, ProfilePosition = e.ProfilePosition, ProfileSegment = e.ProfileSegment,
        ProfileCountry = e.ProfileCountry, SignupDate = e.SignupDate,
    };
}

/// <summary>silver/dim_users: one state of a user-dimension version, as the processor emitted it.</summary>
/// <remarks>The lake appends: a version that opens and later closes is two rows here, where the SQL stores update one.
/// The latest state of a version (user_id, source_position) is its row with the highest <c>output_offset</c>: a user's
/// records share their Kafka key and so one partition of the topic, in the order the processor wrote them.</remarks>
public sealed class UserVersionLakeRow
{
    [JsonPropertyName("user_id")] public string UserId { get; set; } = "";
    [JsonPropertyName("source_position")] public long SourcePosition { get; set; }
    [JsonPropertyName("version")] public int Version { get; set; }
    [JsonPropertyName("op")] public string Op { get; set; } = "";
    [JsonPropertyName("valid_from"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime ValidFrom { get; set; }
    [JsonPropertyName("valid_to"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime? ValidTo { get; set; }
    [JsonPropertyName("is_current")] public bool IsCurrent { get; set; }
    [JsonPropertyName("deleted_at"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime? DeletedAt { get; set; }
    [JsonPropertyName("email")] public string? Email { get; set; }
    [JsonPropertyName("segment")] public string? Segment { get; set; }
    [JsonPropertyName("country")] public string? Country { get; set; }
    [JsonPropertyName("city")] public string? City { get; set; }
    [JsonPropertyName("created_at"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime? CreatedAt { get; set; }
    [JsonPropertyName("signup_date")] public DateOnly? SignupDate { get; set; }
    [JsonPropertyName("source_topic")] public string SourceTopic { get; set; } = "";
    [JsonPropertyName("source_partition")] public int SourcePartition { get; set; }
    [JsonPropertyName("source_offset")] public long SourceOffset { get; set; }
    /// <summary>Where the sink read this state in the dim_users topic: partition and offset.</summary>
    [JsonPropertyName("output_partition")] public int OutputPartition { get; set; }
    [JsonPropertyName("output_offset")] public long OutputOffset { get; set; }

    public static UserVersionLakeRow From(UserVersionRow u, SinkRecord record) => new()
    {
        UserId = u.UserId, SourcePosition = u.SourcePosition, Version = u.Version, Op = u.Op, ValidFrom = LakeTime.Utc(u.ValidFrom),
        ValidTo = u.ValidTo is { } to ? LakeTime.Utc(to) : null, IsCurrent = u.IsCurrent, DeletedAt = u.DeletedAt is { } d ? LakeTime.Utc(d) : null,
        Email = u.Email, Segment = u.Segment, Country = u.Country, City = u.City, CreatedAt = u.CreatedAt is { } c ? LakeTime.Utc(c) : null,
        SignupDate = u.SignupDate, SourceTopic = u.SourceTopic, SourcePartition = u.SourcePartition, SourceOffset = u.SourceOffset,
        OutputPartition = record.Partition, OutputOffset = record.Offset,
    };
}

/// <summary>silver/profile_corrections: the profile a joined event should have, as one correction said it.</summary>
/// <remarks>Appended as dim_users is: an event corrected twice has two rows, the later with the higher <c>output_offset</c>
/// (an event's corrections share its user's key, and so a partition).</remarks>
public sealed class CorrectionLakeRow
{
    [JsonPropertyName("event_id")] public string EventId { get; set; } = "";
    [JsonPropertyName("user_id")] public string UserId { get; set; } = "";
    [JsonPropertyName("event_time"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime EventTime { get; set; }
    [JsonPropertyName("old_version")] public int? OldVersion { get; set; }
    [JsonPropertyName("old_position")] public long? OldPosition { get; set; }
    [JsonPropertyName("new_version")] public int? NewVersion { get; set; }
    [JsonPropertyName("new_position")] public long? NewPosition { get; set; }
    [JsonPropertyName("profile_segment")] public string? ProfileSegment { get; set; }
    [JsonPropertyName("profile_country")] public string? ProfileCountry { get; set; }
    [JsonPropertyName("signup_date")] public DateOnly? SignupDate { get; set; }
    [JsonPropertyName("corrected_at"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime CorrectedAt { get; set; }
    /// <summary>Where the sink read this correction in the corrections topic: partition and offset.</summary>
    [JsonPropertyName("output_partition")] public int OutputPartition { get; set; }
    [JsonPropertyName("output_offset")] public long OutputOffset { get; set; }

    public static CorrectionLakeRow From(CorrectionRow c, SinkRecord record) => new()
    {
        EventId = c.EventId, UserId = c.UserId, EventTime = LakeTime.Utc(c.EventTime), OldVersion = c.OldVersion, OldPosition = c.OldPosition,
        NewVersion = c.NewVersion, NewPosition = c.NewPosition, ProfileSegment = c.ProfileSegment, ProfileCountry = c.ProfileCountry,
        SignupDate = c.SignupDate, CorrectedAt = LakeTime.Utc(c.CorrectedAt), OutputPartition = record.Partition, OutputOffset = record.Offset,
    };
}

/// <summary>silver/dead_letters: an input record the processor refused, with its reason.</summary>
public sealed class DeadLetterLakeRow
{
    [JsonPropertyName("reason_code")] public string ReasonCode { get; set; } = "";
    [JsonPropertyName("detail")] public string Detail { get; set; } = "";
    [JsonPropertyName("source_topic")] public string SourceTopic { get; set; } = "";
    [JsonPropertyName("source_partition")] public int SourcePartition { get; set; }
    [JsonPropertyName("source_offset")] public long SourceOffset { get; set; }
    [JsonPropertyName("failed_at"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime FailedAt { get; set; }
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("payload")] public byte[]? Payload { get; set; }
    [JsonPropertyName("payload_truncated")] public bool PayloadTruncated { get; set; }
    [JsonPropertyName("payload_length")] public long? PayloadLength { get; set; }
    [JsonPropertyName("payload_sha256")] public string? PayloadSha256 { get; set; }

    public static DeadLetterLakeRow From(DeadLetterRow d) => new()
    {
        ReasonCode = d.ReasonCode, Detail = d.Detail, SourceTopic = d.SourceTopic, SourcePartition = d.SourcePartition, SourceOffset = d.SourceOffset,
        FailedAt = LakeTime.Utc(d.FailedAt), Key = d.Key, Payload = d.Payload, PayloadTruncated = d.PayloadTruncated, PayloadLength = d.PayloadLength,
        PayloadSha256 = d.PayloadSha256,
    };
}

/// <summary>silver/late_events: an event a window aggregate refused as late.</summary>
public sealed class LateLakeRow
{
    [JsonPropertyName("aggregate")] public string Aggregate { get; set; } = "";
    [JsonPropertyName("reason_code")] public string ReasonCode { get; set; } = "";
    [JsonPropertyName("event_time"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime EventTime { get; set; }
    [JsonPropertyName("window_start"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime WindowStart { get; set; }
    [JsonPropertyName("window_end"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime WindowEnd { get; set; }
    [JsonPropertyName("watermark"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime Watermark { get; set; }
    [JsonPropertyName("source_topic")] public string SourceTopic { get; set; } = "";
    [JsonPropertyName("source_partition")] public int SourcePartition { get; set; }
    [JsonPropertyName("source_offset")] public long SourceOffset { get; set; }
    [JsonPropertyName("event_id")] public string EventId { get; set; } = "";
    [JsonPropertyName("event")] public string Event { get; set; } = "";

    public static LateLakeRow From(LateRow l) => new()
    {
        Aggregate = l.Aggregate, ReasonCode = l.ReasonCode, EventTime = LakeTime.Utc(l.EventTimestamp), WindowStart = LakeTime.Utc(l.WindowStart),
        WindowEnd = LakeTime.Utc(l.WindowEnd), Watermark = LakeTime.Utc(l.Watermark), SourceTopic = l.SourceTopic, SourcePartition = l.SourcePartition,
        SourceOffset = l.SourceOffset, EventId = l.EventId, Event = l.Event,
    };
}

/// <summary>gold/window_aggregates: one partial value of one partition; sum over partition for the window's total.</summary>
public sealed class AggregateLakeRow
{
    [JsonPropertyName("aggregate")] public string Aggregate { get; set; } = "";
    [JsonPropertyName("window_start"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime WindowStart { get; set; }
    [JsonPropertyName("window_end"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime WindowEnd { get; set; }
    [JsonPropertyName("dimension")] public string Dimension { get; set; } = "";
    [JsonPropertyName("dimension_value")] public string DimensionValue { get; set; } = "";
    [JsonPropertyName("partition")] public int Partition { get; set; }
    [JsonPropertyName("metric")] public string Metric { get; set; } = "";
    [JsonPropertyName("value")] public double Value { get; set; }

    public static AggregateLakeRow From(AggregateRow a) => new()
    {
        Aggregate = a.Aggregate, WindowStart = LakeTime.Utc(a.WindowStart), WindowEnd = LakeTime.Utc(a.WindowEnd), Dimension = a.Dimension,
        DimensionValue = a.DimensionValue, Partition = a.Partition, Metric = a.Metric, Value = a.Value,
    };
}

/// <summary>gold/sessions: a closed session.</summary>
public sealed class SessionLakeRow
{
    [JsonPropertyName("session_key")] public string SessionKey { get; set; } = "";
    [JsonPropertyName("user_id")] public string? UserId { get; set; }
    [JsonPropertyName("session_id")] public string SessionId { get; set; } = "";
    [JsonPropertyName("partition")] public int Partition { get; set; }
    [JsonPropertyName("session_start"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime SessionStart { get; set; }
    [JsonPropertyName("session_end"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime SessionEnd { get; set; }
    [JsonPropertyName("duration_ms")] public long DurationMs { get; set; }
    [JsonPropertyName("events")] public int Events { get; set; }
    [JsonPropertyName("page_views")] public int PageViews { get; set; }
    [JsonPropertyName("cart_adds")] public int CartAdds { get; set; }
    [JsonPropertyName("purchases")] public int Purchases { get; set; }
    [JsonPropertyName("revenue_cents")] public long RevenueCents { get; set; }
    [JsonPropertyName("converted")] public bool Converted { get; set; }
    [JsonPropertyName("abandoned_cart")] public bool AbandonedCart { get; set; }
    [JsonPropertyName("landing_page")] public string? LandingPage { get; set; }
    [JsonPropertyName("exit_page")] public string? ExitPage { get; set; }

    public static SessionLakeRow From(SessionRow s) => new()
    {
        SessionKey = s.SessionKey, UserId = s.UserId, SessionId = s.SessionId, Partition = s.Partition, SessionStart = LakeTime.Utc(s.SessionStart),
        SessionEnd = LakeTime.Utc(s.SessionEnd), DurationMs = s.DurationMs, Events = s.Events, PageViews = s.PageViews, CartAdds = s.CartAdds,
        Purchases = s.Purchases, RevenueCents = s.RevenueCents, Converted = s.Converted, AbandonedCart = s.AbandonedCart, LandingPage = s.LandingPage,
        ExitPage = s.ExitPage,
    };
}

/// <summary>gold/quality: one partition's data-quality report for one window; sum the counts over partition for a window's total and recompute the rates from them.</summary>
public sealed class QualityLakeRow
{
    [JsonPropertyName("window_start"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime WindowStart { get; set; }
    [JsonPropertyName("window_end"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime WindowEnd { get; set; }
    [JsonPropertyName("partition")] public int Partition { get; set; }
    [JsonPropertyName("records_in")] public long RecordsIn { get; set; }
    [JsonPropertyName("valid")] public long Valid { get; set; }
    [JsonPropertyName("invalid")] public long Invalid { get; set; }
    [JsonPropertyName("duplicates")] public long Duplicates { get; set; }
    [JsonPropertyName("bots")] public long Bots { get; set; }
    [JsonPropertyName("late")] public long Late { get; set; }
    [JsonPropertyName("accepted")] public long Accepted { get; set; }
    [JsonPropertyName("invalid_by_reason")] public string InvalidByReason { get; set; } = "{}";
    [JsonPropertyName("null_counts")] public string NullCounts { get; set; } = "{}";
    [JsonPropertyName("ingest_lag_ms_sum")] public long IngestLagMsSum { get; set; }
    [JsonPropertyName("ingest_lag_ms_max")] public long? IngestLagMsMax { get; set; }
    [JsonPropertyName("ingest_lag_ms_mean")] public double? IngestLagMsMean { get; set; }
    [JsonPropertyName("volume_baseline")] public double? VolumeBaseline { get; set; }
    [JsonPropertyName("volume_ratio")] public double? VolumeRatio { get; set; }
    [JsonPropertyName("invalid_rate")] public double InvalidRate { get; set; }
    [JsonPropertyName("duplicate_rate")] public double DuplicateRate { get; set; }
    [JsonPropertyName("late_rate")] public double LateRate { get; set; }
    [JsonPropertyName("bot_rate")] public double BotRate { get; set; }
    [JsonPropertyName("completeness")] public double Completeness { get; set; }
    [JsonPropertyName("score")] public double Score { get; set; }
    [JsonPropertyName("grade")] public string Grade { get; set; } = "";

    public static QualityLakeRow From(QualityRow q) => new()
    {
        WindowStart = LakeTime.Utc(q.WindowStart), WindowEnd = LakeTime.Utc(q.WindowEnd), Partition = q.Partition, RecordsIn = q.RecordsIn,
        Valid = q.Valid, Invalid = q.Invalid, Duplicates = q.Duplicates, Bots = q.Bots, Late = q.Late, Accepted = q.Accepted,
        InvalidByReason = q.InvalidByReason, NullCounts = q.NullCounts, IngestLagMsSum = q.IngestLagMsSum, IngestLagMsMax = q.IngestLagMsMax,
        IngestLagMsMean = q.IngestLagMsMean, VolumeBaseline = q.VolumeBaseline, VolumeRatio = q.VolumeRatio, InvalidRate = q.InvalidRate,
        DuplicateRate = q.DuplicateRate, LateRate = q.LateRate, BotRate = q.BotRate, Completeness = q.Completeness, Score = q.Score, Grade = q.Grade,
    };
}

internal static class LakeTime
{
    public static DateTime Utc(long epochMilliseconds) => DateTime.UnixEpoch.AddMilliseconds(epochMilliseconds);

    public static DateOnly Date(DateTime utc) => DateOnly.FromDateTime(utc);
}
