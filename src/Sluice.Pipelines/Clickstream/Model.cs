using Sluice.Core.Events;

namespace Sluice.Pipelines.Clickstream;

/// <summary>A valid, deduplicated, human event after normalisation, with the fields the topology derives.</summary>
/// <remarks>A struct passed by <c>in</c>: enrichment adds no allocation per event; the <see cref="ClickEvent"/> it wraps is shared.</remarks>
public readonly struct EnrichedEvent
{
    public required ClickEvent Event { get; init; }

    /// <summary>geo_country upper-cased and trimmed; UNKNOWN when absent or blank.</summary>
    public required string Country { get; init; }

    /// <summary>search_query lower-cased and trimmed; null when absent.</summary>
    public string? SearchQuery { get; init; }

    /// <summary>price × quantity for purchases, 0 otherwise.</summary>
    public long RevenueCents { get; init; }

    /// <summary>Hour of day of the event, UTC, 0 to 23.</summary>
    public int EventHour { get; init; }

    /// <summary>Date of the event, UTC.</summary>
    public DateOnly EventDate { get; init; }

    public bool IsMobile { get; init; }

    /// <summary>When this processor handled the event, epoch milliseconds UTC.</summary>
    public long ProcessingTimeMs { get; init; }

    /// <summary>Processing time minus event time, milliseconds.</summary>
    public long IngestLagMs { get; init; }

    /// <summary>Source partition (the partition of the aggregates it feeds).</summary>
    public int Partition { get; init; }

    /// <summary>Source offset.</summary>
    public long Offset { get; init; }

    /// <summary>The user's profile version in effect at the event's time, joined from the user dimension; null for anonymous
    /// visitors, users without a profile then, and topologies that read no user changes.</summary>
    public Users.UserVersion? Profile { get; init; }

    public long Timestamp => Event.Timestamp;

    public EventType EventType => Event.EventType;

    /// <summary>This event joined to <paramref name="profile"/>.</summary>
    public EnrichedEvent WithProfile(Users.UserVersion? profile) => this with { Profile = profile };
}

/// <summary>One partial aggregate value, keyed by (aggregate, window, dimension, partition, metric); consumers sum partitions.</summary>
/// <param name="Aggregate">Which aggregate: events_1m, commerce_5m, active_users_5m, products_1h.</param>
/// <param name="Dimension">What the row is about: all, event_type, product, category.</param>
/// <param name="DimensionValue">The value of the dimension (all for totals).</param>
/// <param name="Metric">For example events, unique_users, revenue_cents, conversion_rate_sessions.</param>
public sealed record AggregateRow(
    string Aggregate, long WindowStart, long WindowEnd, int Partition, string Dimension, string DimensionValue, string Metric, double Value)
{
    /// <summary>The Kafka key: every field that identifies the row.</summary>
    public string Key => $"{Aggregate}|{WindowStart}|{Dimension}={DimensionValue}|{Partition}|{Metric}";
}

/// <summary>The Kafka key of an aggregate row, <see cref="AggregateRow.Key"/>, kept as the row and written as bytes only when sent.</summary>
/// <remarks>Hundreds of rows close with every window: building each key as a string first cost a string per row.</remarks>
public readonly record struct AggregateRowKey(AggregateRow Row)
{
    public override string ToString() => Row.Key;
}

/// <summary>The Kafka key of a session record, "{key}|{start}": a user's sessions never overwrite one another because the start is part of it.</summary>
/// <remarks>Kept as its two parts and written as bytes only when sent, so no string is built per session.</remarks>
public readonly record struct SessionKey(string Key, long Start)
{
    public override string ToString() => $"{Key}|{Start}";
}

/// <summary>A closed session of one user (or anonymous visitor).</summary>
/// <param name="Key">user_id, or session_id for anonymous visitors (the partition key).</param>
/// <param name="SessionId">session_id of the session's first event.</param>
/// <param name="Start">First event time.</param>
/// <param name="End">Last event time.</param>
/// <param name="LandingPage">page_url of the first event that has one.</param>
/// <param name="ExitPage">page_url of the last event that has one.</param>
public sealed record SessionSummary(
    string Key, string? UserId, string SessionId, int Partition, long Start, long End, long DurationMs, int Events,
    int PageViews, int CartAdds, int Purchases, long RevenueCents, bool Converted, bool AbandonedCart,
    string? LandingPage, string? ExitPage)
{
    /// <summary>The Kafka key: a user's sessions never overwrite one another because the start is part of it.</summary>
    public SessionKey RecordKey => new(Key, Start);
}
