using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Pipelines.Domains;

namespace Sluice.Pipelines.Clickstream;

/// <summary>Topics, thresholds and state limits of the clickstream topology; every value has a production default.</summary>
public sealed class ClickstreamOptions
{
    // The defaults are the configuration's (the processor section), so the binaries and the code agree by construction.
    private static readonly ProcessorOptions Defaults = new();

    public string InputTopic { get; set; } = "clickstream.events";
    public string EnrichedTopic { get; set; } = "clickstream.enriched";
    public string DeadLetterTopic { get; set; } = "clickstream.dlq";
    public string LateTopic { get; set; } = "clickstream.late";
    public string AggregatedTopic { get; set; } = "clickstream.aggregated";
    public string SessionsTopic { get; set; } = "clickstream.sessions";
    public string BotsTopic { get; set; } = "clickstream.bots";

    /// <summary>Debezium-style user-profile changes (keyed by user_id, partitioned as the events are); null or empty: no user dimension and no join.</summary>
    public string? UserChangesTopic { get; set; } = "clickstream.cdc.users";

    /// <summary>The SCD2 rows of <c>dim_users</c>: each version as it opens and again when it closes, keyed by user_id.</summary>
    public string UserVersionsTopic { get; set; } = "clickstream.dim_users";

    /// <summary>Events whose joined profile a later-arriving change corrected, keyed by user_id.</summary>
    public string CorrectionsTopic { get; set; } = "clickstream.corrections";

    /// <summary>How long (event time, behind the watermark) the join remembers which profile version each event got, so a later change can correct it.</summary>
    public TimeSpan CorrectionHorizon { get; set; } = Defaults.CorrectionHorizon;

    /// <summary>Hard limit of joined events remembered per partition for corrections; beyond it the oldest are forgotten early (counted).</summary>
    public int MaxJoinedEvents { get; set; } = Defaults.MaxJoinedEvents;

    /// <summary>True when the topology reads user changes and joins events to the user dimension.</summary>
    public bool JoinsUsers => !string.IsNullOrWhiteSpace(UserChangesTopic);

    /// <summary>The domain whose fields and validation rules the topology applies: the built-in e-commerce file by default.</summary>
    public DomainDefinition Domain { get; set; } = DomainDefinition.Ecommerce;

    /// <summary>The largest maximum a price rule may set: any price up to it times any quantity fits in a long.</summary>
    public const long MaxPriceCentsLimit = long.MaxValue / int.MaxValue;

    /// <summary>How far behind the newest event an event may be and still count (the watermark lag).</summary>
    public TimeSpan MaxOutOfOrderness { get; set; } = Defaults.MaxOutOfOrderness;

    /// <summary>Processing time after which a silent partition no longer holds its task's watermark back.</summary>
    public TimeSpan IdleTimeout { get; set; } = Defaults.IdleTimeout;

    /// <summary>How long window state is kept past a window's end for stragglers.</summary>
    public TimeSpan AllowedLateness { get; set; } = Defaults.AllowedLateness;

    /// <summary>A duplicate event_id is recognised within this much event time of the first.</summary>
    public TimeSpan DedupHorizon { get; set; } = Defaults.DedupHorizon;

    /// <summary>Hard limit of remembered event ids per partition; beyond it the oldest are forgotten early (counted).</summary>
    public int DedupMaxEntries { get; set; } = Defaults.DedupMaxEntries;

    /// <summary>Session inactivity gap.</summary>
    public TimeSpan SessionGap { get; set; } = Defaults.SessionGap;

    /// <summary>Hard limit of open sessions per partition; beyond it the earliest-ending are closed early (counted).</summary>
    public int MaxOpenSessions { get; set; } = Defaults.MaxOpenSessions;

    /// <summary>Hard limit of window-store entries per aggregate and partition.</summary>
    public int MaxWindowEntries { get; set; } = Defaults.MaxWindowEntries;

    /// <summary>Products (by revenue) listed per hourly window.</summary>
    public int TopProducts { get; set; } = Defaults.TopProducts;

    /// <summary>Categories (by revenue) listed per hourly window.</summary>
    public int TopCategories { get; set; } = Defaults.TopCategories;

    /// <summary>The per-window data-quality report and its alerts (the <c>quality:</c> section; its keys are named quality.* wherever read).</summary>
    public QualityOptions Quality { get; set; } = new();

    /// <summary>The configuration section these options were read from: errors name keys in it (clickstream.maxPriceCents, or
    /// processor.maxPriceCents when read from sluice.yaml).</summary>
    public string ConfigSection { get; init; } = "clickstream";

    /// <summary>The state limits and idle timeout as a file-described domain's topology reads them.</summary>
    public ProcessorOptions Limits() => new()
    {
        IdleTimeout = IdleTimeout, DedupMaxEntries = DedupMaxEntries, MaxOpenSessions = MaxOpenSessions, MaxWindowEntries = MaxWindowEntries,
    };

    /// <summary>Throws <see cref="ConfigurationException"/> naming the first invalid key.</summary>
    public void Validate()
    {
        foreach (var (key, topic) in new[]
                 {
                     ($"{ConfigSection}.inputTopic", InputTopic), ($"{ConfigSection}.enrichedTopic", EnrichedTopic),
                     ($"{ConfigSection}.deadLetterTopic", DeadLetterTopic), ($"{ConfigSection}.lateTopic", LateTopic),
                     ($"{ConfigSection}.aggregatedTopic", AggregatedTopic), ($"{ConfigSection}.sessionsTopic", SessionsTopic),
                     ($"{ConfigSection}.botsTopic", BotsTopic), ($"{ConfigSection}.userVersionsTopic", UserVersionsTopic),
                     ($"{ConfigSection}.correctionsTopic", CorrectionsTopic),
                 })
        {
            if (string.IsNullOrWhiteSpace(topic)) ThrowHelper.ThrowConfiguration(key, "must name a topic");
        }
        if (Domain is null) ThrowHelper.ThrowConfiguration($"{ConfigSection}.domain", "must name a domain file");
        // A domain that describes its own event runs as a DomainTopology; the e-commerce event's rules compile against ClickEvent.
        if (Domain.Event is null) _ = ClickstreamRules.Compile(Domain);
        else _ = new Domains.Topology.DomainTopology(Domain, Limits());
        if (MaxOutOfOrderness < TimeSpan.Zero) ThrowHelper.ThrowConfiguration($"{ConfigSection}.maxOutOfOrderness", "must be zero or positive");
        if (IdleTimeout <= TimeSpan.Zero) ThrowHelper.ThrowConfiguration($"{ConfigSection}.idleTimeout", "must be positive, for example 00:01:00");
        if (AllowedLateness < TimeSpan.Zero) ThrowHelper.ThrowConfiguration($"{ConfigSection}.allowedLateness", "must be zero or positive");
        if (DedupHorizon <= TimeSpan.Zero) ThrowHelper.ThrowConfiguration($"{ConfigSection}.dedupHorizon", "must be positive, for example 01:00:00");
        if (DedupMaxEntries < 1) ThrowHelper.ThrowConfiguration($"{ConfigSection}.dedupMaxEntries", "must be at least 1");
        if (SessionGap <= TimeSpan.Zero) ThrowHelper.ThrowConfiguration($"{ConfigSection}.sessionGap", "must be positive, for example 00:30:00");
        if (MaxOpenSessions < 1) ThrowHelper.ThrowConfiguration($"{ConfigSection}.maxOpenSessions", "must be at least 1");
        if (MaxWindowEntries < 1) ThrowHelper.ThrowConfiguration($"{ConfigSection}.maxWindowEntries", "must be at least 1");
        if (TopProducts < 1) ThrowHelper.ThrowConfiguration($"{ConfigSection}.topProducts", "must be at least 1");
        if (TopCategories < 1) ThrowHelper.ThrowConfiguration($"{ConfigSection}.topCategories", "must be at least 1");
        if (CorrectionHorizon <= TimeSpan.Zero) ThrowHelper.ThrowConfiguration($"{ConfigSection}.correctionHorizon", "must be positive, for example 01:00:00");
        if (MaxJoinedEvents < 1) ThrowHelper.ThrowConfiguration($"{ConfigSection}.maxJoinedEvents", "must be at least 1");
        if (JoinsUsers && (UserChangesTopic == InputTopic))
            ThrowHelper.ThrowConfiguration("kafka.topics.cdcUsers", "must differ from kafka.topics.events: user changes are read as a table beside the events");
        Quality.Validate();
    }
}
