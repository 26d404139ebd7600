using Sluice.Core.Configuration;

namespace Sluice.Pipelines.Hosting;

/// <summary>The topics the clickstream pipeline reads and writes, as configured.</summary>
public static class PipelineTopics
{
    /// <summary>The events topic, every output topic of the topology, and the CDC topic of user changes: what a broker must create.</summary>
    public static IReadOnlyList<string> All(SluiceOptions options)
    {
        var t = ClickstreamProcessor.TopologyOptions(options);
        // A domain file that describes its own event names its own topics.
        if (t.Domain.Topics is { } own) return [own.Input, own.DeadLetters, own.Valid, own.Late, own.Aggregated, ReplayLog(own.DeadLetters)];
        string[] quality = t.Quality.Enabled ? [t.Quality.Topic] : [];
        string[] users = t.JoinsUsers ? [t.UserVersionsTopic, t.CorrectionsTopic] : [];
        return [t.InputTopic, t.EnrichedTopic, t.DeadLetterTopic, t.LateTopic, t.AggregatedTopic, t.SessionsTopic, t.BotsTopic, .. quality,
            options.Kafka.Topics.CdcUsers, .. users, ReplayLog(t.DeadLetterTopic)];
    }

    /// <summary>The dead-letter topic of the configured topology (the clickstream's, or a domain file's own).</summary>
    public static string DeadLetters(SluiceOptions options)
    {
        var t = ClickstreamProcessor.TopologyOptions(options);
        return t.Domain.Topics?.DeadLetters ?? t.DeadLetterTopic;
    }

    /// <summary>Where <c>sluice dlq replay</c> marks the letters of <paramref name="deadLetterTopic"/> it replayed.</summary>
    public static string ReplayLog(string deadLetterTopic) => deadLetterTopic + ".replays";
}
