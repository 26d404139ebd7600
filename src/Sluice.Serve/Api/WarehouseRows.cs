namespace Sluice.Serve.Api;

/// <summary>One row of <c>window_totals</c>: a metric of one dimension value in one window, summed over partitions.</summary>
public sealed record WindowRow(string Aggregate, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, string Dimension, string DimensionValue, string Metric, double Value);

/// <summary>The <c>funnel</c> view summed over every day; the conversion rate recomputed from the sums.</summary>
public sealed record FunnelTotals(long Sessions, long Viewed, long AddedToCart, long Converted, long AbandonedCart, double ConversionRate);

/// <summary><c>session_stats</c> over every day at once: computed from <c>sessions</c> with the view's expressions and no grouping by day.</summary>
public sealed record SessionTotals(long Sessions, long Users, double AvgDurationSeconds, double AvgEvents, long RevenueCents, double ConvertedShare, double AbandonedCartShare);

/// <summary>One row of <c>top_products</c>.</summary>
public sealed record ProductRow(string ProductId, string? Category, long Views, long CartAdds, long Purchases, long RevenueCents);

/// <summary>One row of <c>category_performance</c>.</summary>
public sealed record CategoryRow(string Category, long Views, long CartAdds, long Purchases, long RevenueCents, long Buyers);

/// <summary>Revenue and purchases of the enriched events whose event time falls in [<see cref="T"/>, T + bucket).</summary>
public sealed record RevenuePoint(DateTimeOffset T, long RevenueCents, long Purchases);

/// <summary>One row of <c>dead_letters_by_reason</c>.</summary>
public sealed record ReasonRow(string Reason, long Count, long Truncated, DateTimeOffset FirstFailedAt, DateTimeOffset LastFailedAt);

/// <summary>One row of <c>dead_letters</c>, the payload as stored.</summary>
public sealed record DeadLetterRow(string SourceTopic, int SourcePartition, long SourceOffset, string Reason, string Detail, DateTimeOffset FailedAt,
    byte[] Payload, bool PayloadTruncated, long? PayloadLength);

/// <summary>A page of <c>dead_letters</c>, newest failure first, and how many match in all.</summary>
public sealed record DeadLetterPage(long Total, IReadOnlyList<DeadLetterRow> Items);

/// <summary>One row of <c>quality_totals</c>: a window's quality over every partition, the rates, score and grade recomputed from the summed counts.</summary>
public sealed record QualityWindow(DateTimeOffset WindowStart, DateTimeOffset WindowEnd, long Partitions, long RecordsIn, long Valid, long Invalid,
    long Duplicates, long Bots, long Late, long Accepted, double InvalidRate, double DuplicateRate, double LateRate, double BotRate,
    double Completeness, double? IngestLagMsMean, double Score, string Grade);

/// <summary>One row of <c>late_events</c>.</summary>
public sealed record LateRow(string Aggregate, string EventId, DateTimeOffset EventTime, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, DateTimeOffset Watermark, string Reason);
