using Sluice.Pipelines.Clickstream;

namespace Sluice.Verification;

/// <summary>The clickstream topology's outputs, each compared on its own.</summary>
public enum ClickstreamOutput
{
    Enriched,
    DeadLetters,
    Late,
    Bots,
    Aggregated,
    Sessions,
    /// <summary>dim_users: each version's last record on clickstream.dim_users.</summary>
    UserVersions,
    /// <summary>clickstream.corrections, read to apply to the enriched events' profiles.</summary>
    Corrections,
    /// <summary>Each enriched event's profile as joined, or as its last correction says: no topic of its own.</summary>
    EventProfiles,
}

/// <summary>Topic names and stable ids of the outputs.</summary>
public static class ClickstreamOutputs
{
    /// <summary>The outputs every clickstream run writes, each a topic compared record by record.</summary>
    public static IReadOnlyList<ClickstreamOutput> All { get; } =
    [
        ClickstreamOutput.Enriched, ClickstreamOutput.DeadLetters, ClickstreamOutput.Late, ClickstreamOutput.Bots,
        ClickstreamOutput.Aggregated, ClickstreamOutput.Sessions,
    ];

    /// <summary>The user dimension's topics, read when the processor joins users.</summary>
    public static IReadOnlyList<ClickstreamOutput> Users { get; } = [ClickstreamOutput.UserVersions, ClickstreamOutput.Corrections];

    public static string Topic(this ClickstreamOutput output, ClickstreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return output switch
        {
            ClickstreamOutput.Enriched => options.EnrichedTopic,
            ClickstreamOutput.DeadLetters => options.DeadLetterTopic,
            ClickstreamOutput.Late => options.LateTopic,
            ClickstreamOutput.Bots => options.BotsTopic,
            ClickstreamOutput.Aggregated => options.AggregatedTopic,
            ClickstreamOutput.UserVersions => options.UserVersionsTopic,
            ClickstreamOutput.Corrections => options.CorrectionsTopic,
            ClickstreamOutput.EventProfiles => "profiles: enriched + corrections",
            _ => options.SessionsTopic,
        };
    }

    /// <summary>What identifies a record of the output, for the report.</summary>
    public static string IdDescription(this ClickstreamOutput output) => output switch
    {
        ClickstreamOutput.Enriched or ClickstreamOutput.Bots => "event_id",
        ClickstreamOutput.DeadLetters => "source topic, partition, offset",
        ClickstreamOutput.Late => "source topic, partition, offset, aggregate",
        ClickstreamOutput.Aggregated => "key: aggregate|window start|dimension=value|partition|metric",
        ClickstreamOutput.UserVersions => "user_id|source_position",
        ClickstreamOutput.Corrections or ClickstreamOutput.EventProfiles => "event_id",
        _ => "key: user or session|start",
    };
}

/// <summary>One output record: Kafka key and value bytes, as the processor writes them.</summary>
/// <param name="Pending">Expected records only: a window or session the input's own watermark has not closed. A
/// processor still running has not emitted it; one stopped at the end of a bounded input has. Either is right, so its
/// absence is not counted as missing, but a record that is there must be equal.</param>
/// <param name="Position">Actual records only: where it was read ("clickstream.enriched[2]@17"), for examples.</param>
public sealed record OutputRecord(byte[]? Key, byte[] Value, bool Pending = false, string? Position = null);
