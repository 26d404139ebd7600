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
}

/// <summary>The output topics' names, as the processor writes them (configuration decides them).</summary>
/// <param name="Quality">The quality topic; null when the processor writes none (<c>quality.enabled: false</c>), and then no sink reads it.</param>
public sealed record SinkTopics(string Enriched, string DeadLetters, string Late, string Bots, string Aggregated, string Sessions, string? Quality = null)
{
    /// <summary>The processor's default topic names.</summary>
    public static SinkTopics Default { get; } = new("clickstream.enriched", "clickstream.dlq", "clickstream.late", "clickstream.bots",
        "clickstream.aggregated", "clickstream.sessions", "clickstream.quality");

    /// <summary>Every output topic the sinks read: the six outputs, and the quality topic when there is one.</summary>
    public IReadOnlyList<string> All => Quality is null
        ? [Enriched, DeadLetters, Late, Bots, Aggregated, Sessions]
        : [Enriched, DeadLetters, Late, Bots, Aggregated, Sessions, Quality];

    /// <summary>The outputs that have a topic here: every kind, less <see cref="OutputKind.Quality"/> without a quality topic.</summary>
    public IReadOnlyList<OutputKind> Kinds => Quality is null
        ? [OutputKind.Enriched, OutputKind.DeadLetters, OutputKind.Late, OutputKind.Bots, OutputKind.Aggregated, OutputKind.Sessions]
        : Enum.GetValues<OutputKind>();

    public string Topic(OutputKind kind) => kind switch
    {
        OutputKind.Enriched => Enriched,
        OutputKind.DeadLetters => DeadLetters,
        OutputKind.Late => Late,
        OutputKind.Bots => Bots,
        OutputKind.Aggregated => Aggregated,
        OutputKind.Sessions => Sessions,
        OutputKind.Quality => Quality ?? throw new InvalidOperationException("no quality topic: quality.enabled is false"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Which output a topic carries; null for a topic that is none of them.</summary>
    public OutputKind? KindOf(string topic)
    {
        // Called per record: a loop over the enum, no list.
        for (var k = OutputKind.Enriched; k <= OutputKind.Quality; k++)
            if ((k != OutputKind.Quality || Quality is not null) && string.Equals(Topic(k), topic, StringComparison.Ordinal)) return k;
        return null;
    }
}
