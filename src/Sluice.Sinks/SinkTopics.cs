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
}

/// <summary>The output topics' names, as the processor writes them (configuration decides them).</summary>
public sealed record SinkTopics(string Enriched, string DeadLetters, string Late, string Bots, string Aggregated, string Sessions)
{
    /// <summary>The processor's default topic names.</summary>
    public static SinkTopics Default { get; } = new("clickstream.enriched", "clickstream.dlq", "clickstream.late", "clickstream.bots",
        "clickstream.aggregated", "clickstream.sessions");

    public IReadOnlyList<string> All => [Enriched, DeadLetters, Late, Bots, Aggregated, Sessions];

    public string Topic(OutputKind kind) => kind switch
    {
        OutputKind.Enriched => Enriched,
        OutputKind.DeadLetters => DeadLetters,
        OutputKind.Late => Late,
        OutputKind.Bots => Bots,
        OutputKind.Aggregated => Aggregated,
        OutputKind.Sessions => Sessions,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Which output a topic carries; null for a topic that is none of them.</summary>
    public OutputKind? KindOf(string topic)
    {
        for (var k = OutputKind.Enriched; k <= OutputKind.Sessions; k++)
            if (string.Equals(Topic(k), topic, StringComparison.Ordinal)) return k;
        return null;
    }
}
