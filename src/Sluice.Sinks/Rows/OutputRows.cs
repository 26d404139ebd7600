namespace Sluice.Sinks.Rows;

/// <summary>A parsed output record; <see cref="Sequence"/> is its place in the batch, so that of two records with one id the later wins.</summary>
public abstract class OutputRow
{
    public int Sequence { get; set; }

    /// <summary>The stable id as text: rows with equal ids are one row in every sink.</summary>
    public abstract string Id { get; }
}

/// <summary>A click event: an enriched one (clickstream.enriched, with the derived fields) or a bot's (clickstream.bots, without). Id: <see cref="EventId"/>.</summary>
public sealed class EventRow : OutputRow
{
    public override string Id => EventId;

    /// <summary>The event id as the processor wrote it: a UUID in lower case, any other id as it was sent.</summary>
    public string EventId { get; set; } = "";
    public string EventType { get; set; } = "";
    /// <summary>Event time, epoch milliseconds.</summary>
    public long Timestamp { get; set; }
    public string? UserId { get; set; }
    public string SessionId { get; set; } = "";
    public string? ProductId { get; set; }
    public string? ProductCategory { get; set; }
    public long? PriceCents { get; set; }
    public int? Quantity { get; set; }
    public string? SearchQuery { get; set; }
    public string? PageUrl { get; set; }
    public string? Referrer { get; set; }
    public string? UserAgent { get; set; }
    public string? IpAddress { get; set; }
    public string? GeoCountry { get; set; }
    public string? GeoCity { get; set; }
    public string? UserSegment { get; set; }
    public string? DeviceType { get; set; }
    public string? Browser { get; set; }
    public string? CampaignId { get; set; }
    public int SchemaVersion { get; set; }

    // Derived by the processor: present on enriched events, absent on bots'.
    public long? RevenueCents { get; set; }
    public int? EventHour { get; set; }
    public DateOnly? EventDate { get; set; }
    public bool? IsMobile { get; set; }
    /// <summary>When the processor handled it, epoch milliseconds.</summary>
    public long? ProcessingTime { get; set; }
    public long? IngestLagMs { get; set; }
    /// <summary>Partition of the input record.</summary>
    public int? SourcePartition { get; set; }
    /// <summary>Offset of the input record.</summary>
    public long? SourceOffset { get; set; }

    // The user's profile as of the event's time (the processor's as-of join): null for anonymous visitors, users without
    // a profile then, bot events, and records of a processor that does not join users.
    /// <summary>The joined <c>dim_users</c> version's number.</summary>
    public int? ProfileVersion { get; set; }
    /// <summary>The joined version's source position: with the user id, its stable id.</summary>
    public long? ProfilePosition { get; set; }
    public string? ProfileSegment { get; set; }
    public string? ProfileCountry { get; set; }
    public DateOnly? SignupDate { get; set; }
}

/// <summary>A dead letter (clickstream.dlq). Id: its source position (topic, partition, offset).</summary>
public sealed class DeadLetterRow : OutputRow
{
    public override string Id => $"{SourceTopic}[{SourcePartition}]@{SourceOffset}";

    public string ReasonCode { get; set; } = "";
    public string Detail { get; set; } = "";
    public string SourceTopic { get; set; } = "";
    public int SourcePartition { get; set; }
    public long SourceOffset { get; set; }
    /// <summary>Epoch milliseconds.</summary>
    public long FailedAt { get; set; }
    public byte[]? Key { get; set; }
    public byte[] Payload { get; set; } = [];
    /// <summary>True when <see cref="Payload"/> is a prefix of the original, whose length and SHA-256 follow.</summary>
    public bool PayloadTruncated { get; set; }
    public long? PayloadLength { get; set; }
    public string? PayloadSha256 { get; set; }
}

/// <summary>An event an aggregate refused as late (clickstream.late). Id: aggregate and source position.</summary>
public sealed class LateRow : OutputRow
{
    public override string Id => $"{Aggregate}|{SourceTopic}[{SourcePartition}]@{SourceOffset}";

    public string Aggregate { get; set; } = "";
    public string ReasonCode { get; set; } = "";
    public long EventTimestamp { get; set; }
    public long WindowStart { get; set; }
    public long WindowEnd { get; set; }
    public long Watermark { get; set; }
    public string SourceTopic { get; set; } = "";
    public int SourcePartition { get; set; }
    public long SourceOffset { get; set; }
    public string EventId { get; set; } = "";
    /// <summary>The refused event as the processor wrote it (JSON).</summary>
    public string Event { get; set; } = "{}";
}

/// <summary>One partial aggregate value of one partition (clickstream.aggregated). Id: aggregate, window start, dimension, value, partition, metric.</summary>
public sealed class AggregateRow : OutputRow
{
    /// <summary>The Kafka key's form: "{aggregate}|{window start}|{dimension}={value}|{partition}|{metric}".</summary>
    public override string Id => $"{Aggregate}|{WindowStart}|{Dimension}={DimensionValue}|{Partition}|{Metric}";

    public string Aggregate { get; set; } = "";
    public long WindowStart { get; set; }
    public long WindowEnd { get; set; }
    public int Partition { get; set; }
    public string Dimension { get; set; } = "";
    public string DimensionValue { get; set; } = "";
    public string Metric { get; set; } = "";
    public double Value { get; set; }
}

/// <summary>A closed session (clickstream.sessions). Id: session key (user, or session for anonymous visitors) and start.</summary>
public sealed class SessionRow : OutputRow
{
    /// <summary>The Kafka key's form: "{key}|{start}".</summary>
    public override string Id => $"{SessionKey}|{SessionStart}";

    public string SessionKey { get; set; } = "";
    public string? UserId { get; set; }
    public string SessionId { get; set; } = "";
    public int Partition { get; set; }
    public long SessionStart { get; set; }
    public long SessionEnd { get; set; }
    public long DurationMs { get; set; }
    public int Events { get; set; }
    public int PageViews { get; set; }
    public int CartAdds { get; set; }
    public int Purchases { get; set; }
    public long RevenueCents { get; set; }
    public bool Converted { get; set; }
    public bool AbandonedCart { get; set; }
    public string? LandingPage { get; set; }
    public string? ExitPage { get; set; }
}

/// <summary>One partition's data-quality report for one window (the quality topic; docs/quality.md). Id: window start and partition.</summary>
/// <remarks>The per-reason dead letters and per-field nulls stay JSON objects, as the processor wrote them: their keys
/// (reason codes, tracked fields) grow with the processor, and readers sum them per key.</remarks>
public sealed class QualityRow : OutputRow
{
    /// <summary>The Kafka key's form: "{window start}|{partition}".</summary>
    public override string Id => $"{WindowStart}|{Partition}";

    public long WindowStart { get; set; }
    public long WindowEnd { get; set; }
    public int Partition { get; set; }
    public long RecordsIn { get; set; }
    public long Valid { get; set; }
    public long Invalid { get; set; }
    public long Duplicates { get; set; }
    public long Bots { get; set; }
    public long Late { get; set; }
    public long Accepted { get; set; }
    /// <summary>Dead letters per reason code, a JSON object.</summary>
    public string InvalidByReason { get; set; } = "{}";
    /// <summary>Valid events lacking each tracked field, a JSON object.</summary>
    public string NullCounts { get; set; } = "{}";
    public long IngestLagMsSum { get; set; }
    public long? IngestLagMsMax { get; set; }
    public double? IngestLagMsMean { get; set; }
    public double? VolumeBaseline { get; set; }
    public double? VolumeRatio { get; set; }
    public double InvalidRate { get; set; }
    public double DuplicateRate { get; set; }
    public double LateRate { get; set; }
    public double BotRate { get; set; }
    public double Completeness { get; set; }
    public double Score { get; set; }
    public string Grade { get; set; } = "";
}

/// <summary>One version of a user's profile (clickstream.dim_users, SCD type 2). Id: user id and the source position of the change that opened it.</summary>
/// <remarks>The processor writes a version when it opens and again when it closes or its number changes: a later record of the id replaces the row.</remarks>
public sealed class UserVersionRow : OutputRow
{
    /// <summary>The Kafka key's form is the user id alone; the version is "{user}|{source position}".</summary>
    public override string Id => $"{UserId}|{SourcePosition}";

    public string UserId { get; set; } = "";
    /// <summary>Where the change stands in the user's change history (its order); with the user id, the stable id.</summary>
    public long SourcePosition { get; set; }
    /// <summary>1, 2, 3 … per user in source-position order.</summary>
    public int Version { get; set; }
    /// <summary>The change's operation: r (snapshot read), c (create), u (update).</summary>
    public string Op { get; set; } = "";
    /// <summary>Epoch milliseconds.</summary>
    public long ValidFrom { get; set; }
    /// <summary>Epoch milliseconds; null while the version is current.</summary>
    public long? ValidTo { get; set; }
    public bool IsCurrent { get; set; }
    /// <summary>When a delete closed the version, epoch milliseconds.</summary>
    public long? DeletedAt { get; set; }
    public string? Email { get; set; }
    public string? Segment { get; set; }
    public string? Country { get; set; }
    public string? City { get; set; }
    /// <summary>When the user signed up, epoch milliseconds.</summary>
    public long? CreatedAt { get; set; }
    /// <summary>The UTC date of <see cref="CreatedAt"/>: derived by the sink, not sent.</summary>
    public DateOnly? SignupDate { get; set; }
    /// <summary>The CDC record the version came from.</summary>
    public string SourceTopic { get; set; } = "";
    public int SourcePartition { get; set; }
    public long SourceOffset { get; set; }
}

/// <summary>The profile an enriched event should have (clickstream.corrections): a change to the user dimension arrived after the event had been joined with an older version. Id: <see cref="EventId"/>.</summary>
/// <remarks>A later correction of the same event replaces the earlier one.</remarks>
public sealed class CorrectionRow : OutputRow
{
    public override string Id => EventId;

    public string EventId { get; set; } = "";
    public string UserId { get; set; } = "";
    /// <summary>The event's time, epoch milliseconds.</summary>
    public long EventTime { get; set; }
    /// <summary>The version the event was joined with; null when it had none.</summary>
    public int? OldVersion { get; set; }
    public long? OldPosition { get; set; }
    /// <summary>The version it should have; null when the user had no profile at the event's time (deleted).</summary>
    public int? NewVersion { get; set; }
    public long? NewPosition { get; set; }
    public string? ProfileSegment { get; set; }
    public string? ProfileCountry { get; set; }
    public DateOnly? SignupDate { get; set; }
    /// <summary>Epoch milliseconds.</summary>
    public long CorrectedAt { get; set; }
}
