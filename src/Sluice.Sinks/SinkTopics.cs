namespace Sluice.Sinks;

/// <summary>The clickstream outputs a sink lands, one table (or dataset) each.</summary>
public enum OutputKind
{
    Enriched,
    DeadLetters,
    Late,
    Bots,
    Aggregated,
    Sessions,
    /// <summary>One data-quality row per window and partition (<c>quality.topic</c>), when <c>quality.enabled</c>.</summary>
    Quality,
    /// <summary>The SCD2 rows of the user dimension (<c>dim_users</c>), each version as it opens and again as it changes, when the processor joins users.</summary>
    UserVersions,
    /// <summary>The profile an already joined event should have had, after a late change to the user dimension, when the processor joins users.</summary>
    Corrections,
}

/// <summary>The output topics' names, as the processor writes them (configuration decides them).</summary>
/// <param name="Enriched">The enriched events; null for a domain file with its own event, whose valid records have no table.</param>
/// <param name="Bots">The bot events; null for a domain file with its own event.</param>
/// <param name="Sessions">The clickstream's sessions; null for a domain file with its own event (its sessions are aggregate rows).</param>
/// <param name="Quality">The quality topic; null when the processor writes none (<c>quality.enabled: false</c>), and then no sink reads it.</param>
/// <param name="UserVersions">The user dimension's versions; null when the processor joins no users (<c>processor.userDimension: false</c>) or for a domain file with its own event.</param>
/// <param name="Corrections">The profile corrections of joined events; null when <paramref name="UserVersions"/> is.</param>
public sealed record SinkTopics(string? Enriched, string DeadLetters, string Late, string? Bots, string Aggregated, string? Sessions, string? Quality = null,
    string? UserVersions = null, string? Corrections = null)
{
    /// <summary>The processor's default topic names.</summary>
    public static SinkTopics Default { get; } = new("clickstream.enriched", "clickstream.dlq", "clickstream.late", "clickstream.bots",
        "clickstream.aggregated", "clickstream.sessions", "clickstream.quality", "clickstream.dim_users", "clickstream.corrections");

    /// <summary>The outputs of a domain file with its own event: its dead letters, late records and aggregate rows.</summary>
    public static SinkTopics OfDomain(string deadLetters, string late, string aggregated) => new(null, deadLetters, late, null, aggregated, null);

    /// <summary>Every output topic the sinks read: each output that has a topic here.</summary>
    public IReadOnlyList<string> All => [.. Kinds.Select(Topic)];

    /// <summary>The outputs that have a topic here: every kind, less those without one (quality without <c>quality.enabled</c>,
    /// the user dimension and corrections without the user join, the clickstream's own outputs for a domain file with its own event).</summary>
    public IReadOnlyList<OutputKind> Kinds => [.. Enum.GetValues<OutputKind>().Where(k => TopicOrNull(k) is not null)];

    public string Topic(OutputKind kind) =>
        TopicOrNull(kind) ?? throw new InvalidOperationException($"no {kind} topic here: quality.enabled or processor.userDimension is false, or the domain has no such output");

    /// <summary>The topic of <paramref name="kind"/>; null when the processor writes no such output.</summary>
    public string? TopicOrNull(OutputKind kind) => kind switch
    {
        OutputKind.Enriched => Enriched,
        OutputKind.DeadLetters => DeadLetters,
        OutputKind.Late => Late,
        OutputKind.Bots => Bots,
        OutputKind.Aggregated => Aggregated,
        OutputKind.Sessions => Sessions,
        OutputKind.Quality => Quality,
        OutputKind.UserVersions => UserVersions,
        OutputKind.Corrections => Corrections,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Which output a topic carries; null for a topic that is none of them.</summary>
    public OutputKind? KindOf(string topic)
    {
        // Called per record: a loop over the enum, no list.
        for (var k = OutputKind.Enriched; k <= OutputKind.Corrections; k++)
            if (string.Equals(TopicOrNull(k), topic, StringComparison.Ordinal)) return k;
        return null;
    }
}
