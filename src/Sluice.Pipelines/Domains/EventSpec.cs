namespace Sluice.Pipelines.Domains;

/// <summary>The <c>event</c> section: which fields key, time and identify a domain's records, and how time is treated.</summary>
/// <param name="Key">The partitioning key (a user, a device): records of one key share a partition and its sessions.</param>
/// <param name="Time">The event-time field (a timestamp).</param>
/// <param name="Id">The field that identifies a record for deduplication; null: no deduplication.</param>
/// <param name="DedupHorizon">A repeated id is recognised within this much event time of the first.</param>
/// <param name="MaxOutOfOrderness">How far behind the newest record a record may be and still count (the watermark lag).</param>
/// <param name="AllowedLateness">How long windows keep state past their end for stragglers.</param>
/// <param name="Line">Where the section is (1-based), for errors.</param>
public sealed record EventSpec(
    string Key, string Time, string? Id, TimeSpan DedupHorizon, TimeSpan MaxOutOfOrderness, TimeSpan AllowedLateness, int Line);

/// <summary>The <c>topics</c> section: where a domain's records come from and where each output goes.</summary>
public sealed record TopicsSpec(string Input, string DeadLetters, string Valid, string Late, string Aggregated)
{
    /// <summary>The defaults for a domain: <c>NAME.events</c>, <c>NAME.dlq</c>, <c>NAME.valid</c>, <c>NAME.late</c>, <c>NAME.aggregated</c>.</summary>
    public static TopicsSpec For(string domain) =>
        new($"{domain}.events", $"{domain}.dlq", $"{domain}.valid", $"{domain}.late", $"{domain}.aggregated");
}

/// <summary>How an aggregate cuts time.</summary>
public enum WindowKind
{
    /// <summary>Fixed windows one after another.</summary>
    Tumbling,
    /// <summary>Fixed windows that overlap, a new one every advance.</summary>
    Hopping,
    /// <summary>Per group, readings closer than a silence gap share a window.</summary>
    Session,
}

/// <summary>An aggregate's <c>window</c>: <c>{ tumbling: 1m }</c>, <c>{ hopping: 15m, every: 5m }</c> or <c>{ session: 10m }</c>.</summary>
/// <param name="Size">The window's length; for a session, the silence gap that ends it.</param>
/// <param name="Advance">How often a window starts (the size for tumbling windows and sessions).</param>
public sealed record WindowSpec(WindowKind Kind, TimeSpan Size, TimeSpan Advance);

/// <summary>What a measure computes over a window's records.</summary>
public enum MeasureKind
{
    /// <summary>Records.</summary>
    Count,
    /// <summary>Records whose fields have the listed values.</summary>
    CountWhere,
    /// <summary>The sum of a number field.</summary>
    Sum,
    /// <summary>The smallest value of a number or timestamp field.</summary>
    Min,
    /// <summary>The largest value of a number or timestamp field.</summary>
    Max,
    /// <summary>The mean of a number field, emitted with its sum and count.</summary>
    Mean,
    /// <summary>Distinct values of a field.</summary>
    Distinct,
    /// <summary>One earlier measure's value over another's (a conversion rate): its parts are rows of their own.</summary>
    Ratio,
    /// <summary>The k most frequent values of a field, a row each.</summary>
    TopK,
}

/// <summary>One measure of an aggregate, as the file writes it: <c>{ name: value_mean, mean: value }</c>.</summary>
/// <param name="Field">The field measured; null for <see cref="MeasureKind.Count"/> and <see cref="MeasureKind.CountWhere"/>.</param>
/// <param name="Where">The clauses of a <see cref="MeasureKind.CountWhere"/>, all of which must hold; empty otherwise.</param>
/// <param name="Key">The measure's key in errors: <c>aggregates[0].measures[2]</c>.</param>
public sealed record MeasureSpec(string Name, MeasureKind Kind, string? Field, IReadOnlyList<ConditionSpec> Where, string Key, int Line)
{
    /// <summary>A <see cref="MeasureKind.Ratio"/>'s numerator and denominator: names of earlier measures of the aggregate.</summary>
    public (string Numerator, string Denominator)? Parts { get; init; }

    /// <summary>A <see cref="MeasureKind.TopK"/>'s k: how many values get a row.</summary>
    public int K { get; init; }

    /// <summary>The metric names the measure's rows carry: a mean also carries its sum and count.</summary>
    public IReadOnlyList<string> Metrics => Kind == MeasureKind.Mean ? [Name, Name + "_sum", Name + "_count"] : [Name];
}

/// <summary>One entry of <c>aggregates</c>: a window, the fields grouped by, and the measures.</summary>
/// <param name="GroupBy">Dimension fields; empty: one group, written as dimension <c>all</c>.</param>
/// <param name="Key">The aggregate's key in errors: <c>aggregates[0]</c>.</param>
public sealed record AggregateSpec(string Name, WindowSpec Window, IReadOnlyList<string> GroupBy, IReadOnlyList<MeasureSpec> Measures, string Key, int Line);
