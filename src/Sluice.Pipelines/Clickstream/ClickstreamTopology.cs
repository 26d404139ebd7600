using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream.Users;
using Sluice.Pipelines.Domains.Rules;
using Sluice.Pipelines.Domains.Topology;
using Sluice.Pipelines.Quality;
using Sluice.Pipelines.Quality.Alerts;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Time;
using Sluice.Streaming.Windows;

namespace Sluice.Pipelines.Clickstream;

/// <summary>The clickstream topology: decode → validate → dedupe → bot filter → normalise and enrich → late gate → outputs and windowed aggregates.</summary>
/// <remarks>
/// <code>
/// events ─► decode ─► validate ─► dedupe ─► bots? ─► enrich ─► late? ─┬─► profile join ─► clickstream.enriched
///            │          │                    │                  └─► clickstream.late (once per event)
///            │          │                    └─► clickstream.bots     │
///            └──────────┴─► clickstream.dlq (reason code)             ├─► events_1m       (tumbling 1 min)
///                                                             ├─► commerce_5m     (tumbling 5 min)
///                                                             ├─► active_users_5m (hopping 5 min by 1)  ─► clickstream.aggregated
///                                                             ├─► products_1h     (hopping 1 h by 5 min)
///                                                             └─► sessions        (gap 30 min)          ─► clickstream.sessions
/// </code>
/// User changes (a table topic, with <see cref="ClickstreamOptions.JoinsUsers"/>) build the SCD2 dimension
/// (clickstream.dim_users) that the profile join reads as of each event's time; a change read after events it applies to
/// corrects them (clickstream.corrections). See docs/users.md.
/// An event is late when its 1-minute window (the finest) has closed: it then goes to the late output only, once,
/// and is neither enriched nor aggregated, so every aggregate counts exactly the on-time events. The one exception is
/// sessions: an on-time event inside a user's session that has just closed (its gap ended within the event's minute)
/// goes to the late output from the sessions operator, rather than making a second, overlapping session. Aggregates are
/// per partition (task) and keyed by the partition number; consumers sum the partial rows. Every record's outcome is
/// also counted per window and partition for clickstream.quality (<see cref="QualityWiring"/>, docs/quality.md).
/// </remarks>
public sealed class ClickstreamTopology : ITopology
{
    public const string DedupStore = "dedup";
    public const string UsersStore = "users";

    // The aggregates' windows, before allowed lateness: Build wires them and Describe prints them.
    private static readonly TimeWindows Events1mWindows = TumblingWindows.Of(TimeSpan.FromMinutes(1));
    private static readonly TimeWindows Commerce5mWindows = TumblingWindows.Of(TimeSpan.FromMinutes(5));
    private static readonly TimeWindows ActiveUsers5mWindows = HoppingWindows.Of(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1));
    private static readonly TimeWindows Products1hWindows = HoppingWindows.Of(TimeSpan.FromHours(1), TimeSpan.FromMinutes(5));

    private readonly ClickstreamOptions _options;
    private readonly RuleSet<ClickEvent> _rules;
    private readonly ISchemaSource? _schemas;
    private readonly IQualityAlertSink? _alerts;

    /// <summary>A topology over <paramref name="options"/>; with <paramref name="schemas"/> (the registry client) it also reads Avro frames.</summary>
    /// <param name="alerts">Where quality windows that fail a check raise alerts; none are raised without it.</param>
    public ClickstreamTopology(ClickstreamOptions? options = null, ISchemaSource? schemas = null, IQualityAlertSink? alerts = null)
    {
        _alerts = alerts;
        _options = options ?? new ClickstreamOptions();
        _schemas = schemas;
        _options.Validate();
        _rules = ClickstreamRules.Compile(_options.Domain);
        FileAggregates = Clickstream.FileAggregates.Compile(_options.Domain, _options.AllowedLateness);
        SourceTopics = _options.JoinsUsers ? [_options.InputTopic, _options.UserChangesTopic!] : [_options.InputTopic];
        TableTopics = _options.JoinsUsers ? [_options.UserChangesTopic!] : [];
    }

    public string Name => "clickstream";

    public IReadOnlyList<string> SourceTopics { get; }

    /// <summary>The user changes, when the topology joins users: read as a table, outside the watermark.</summary>
    public IReadOnlyList<string> TableTopics { get; }

    public string DeadLetterTopic => _options.DeadLetterTopic;

    public ClickstreamOptions Options => _options;

    /// <summary>The domain's validation rules, compiled.</summary>
    public RuleSet<ClickEvent> Rules => _rules;

    /// <summary>The domain file's own aggregates, computed beside the built-in ones (<see cref="Clickstream.FileAggregates"/>).</summary>
    public IReadOnlyList<CompiledAggregate<EnrichedEvent>> FileAggregates { get; }

    /// <summary>The watermark strategy this topology expects: the configured out-of-orderness and idle timeout.</summary>
    public WatermarkStrategy WatermarkStrategy =>
        WatermarkStrategy.ForBoundedOutOfOrderness(_options.MaxOutOfOrderness).WithIdleness(_options.IdleTimeout);

    /// <summary>The stages this topology runs, front to back, with what each acts on and where those records go: what <c>sluice domain check</c> prints.</summary>
    public IReadOnlyList<TopologyStage> Describe()
    {
        var o = _options;
        var late = o.AllowedLateness > TimeSpan.Zero ? $", lateness {o.AllowedLateness:c}" : "";
        return
        [
            new("source", "every record", o.InputTopic, "JSON, or Avro frames resolved through the schema registry"),
            new("decode", "an undecodable payload", o.DeadLetterTopic, string.Join(", ", ReasonCodes.Decoding)),
            new("validate", $"the first of {_rules.Rules.Count} rules broken", o.DeadLetterTopic, $"the rules of {o.Domain.Name} ({o.Domain.Source})"),
            new("dedupe", "a repeated event_id (dropped)", "", $"within {o.DedupHorizon:c} of event time, at most {o.DedupMaxEntries:N0} ids per partition"),
            new("bot filter", "a bot user agent", o.BotsTopic,
                $"{(o.Domain.Enrichment.BotSignatures ?? BotDetector.DefaultSignatures).Count} user-agent signatures, whole words, any case"),
            new("enrich", "each valid event", "", "country, search query, revenue_cents, hour, date, is_mobile, ingest lag"),
            new("late gate", "its 1-minute window closed", o.LateTopic, $"watermark: newest event time - {o.MaxOutOfOrderness:c}{late}"),
            .. (o.JoinsUsers
                ? new TopologyStage[]
                {
                    new("user changes", $"each change of {o.UserChangesTopic}", o.UserVersionsTopic,
                        $"SCD2 versions by source position; invalid envelopes to {o.DeadLetterTopic} ({string.Join(", ", UserChangeReasons.All)})"),
                    new("profile join", "each on-time event of a logged-in user", o.CorrectionsTopic,
                        $"the profile in effect at the event's time; a change read later corrects events up to {o.CorrectionHorizon:c} behind the watermark"),
                }
                : []),
            new("output", "each on-time event", o.EnrichedTopic, ""),
            Window(AggregateNames.Events1m, Events1mWindows, "events by type, unique users, unique sessions"),
            Window(AggregateNames.Commerce5m, Commerce5mWindows, "revenue, purchases, add_to_carts, sessions, converted sessions, conversion rates"),
            Window(AggregateNames.ActiveUsers5m, ActiveUsers5mWindows, "active users"),
            Window(AggregateNames.Products1h, Products1hWindows, $"views, carts, purchases, revenue; top {o.TopProducts} products and {o.TopCategories} categories"),
            new("session window", $"{AggregateNames.Sessions}: gap {o.SessionGap:c}", o.SessionsTopic, $"per user, at most {o.MaxOpenSessions:N0} open per partition"),
            .. FileAggregates.Select(a => Window(a.Name, a.TimeWindows!,
                $"{(a.Spec.GroupBy.Count == 0 ? "all events" : $"by {string.Join(", ", a.Spec.GroupBy)}")}: {a.MeasuresText} ({a.Spec.Key} of the file)")),
        ];

        TopologyStage Window(string name, TimeWindows windows, string measures) =>
            new(windows.IsTumbling ? "tumbling window" : "hopping window", $"{name}: {TimeSpan.FromMilliseconds(windows.SizeMs):c}"
                + (windows.IsTumbling ? "" : $" every {TimeSpan.FromMilliseconds(windows.AdvanceMs):c}"), o.AggregatedTopic, measures);
    }

    public TaskTopology Build(TaskId taskId)
    {
        var o = _options;
        var b = new TaskTopologyBuilder();
        var lateness = o.AllowedLateness;
        var quality = QualityWiring.Create(b, o, _alerts);

        IProcessor<string, EnrichedEvent> enrichedSink = b.Add(new SinkProcessor<string, EnrichedEvent>(o.EnrichedTopic));
        IProcessor<byte[]?, byte[]>? userChanges = null;
        if (o.JoinsUsers)
        {
            b.Store(new UserDimensionStore(UsersStore, o.CorrectionHorizon, o.MaxJoinedEvents));
            userChanges = b.Add(new UserChangeProcessor(UsersStore, b.Add(new SinkProcessor<string, UserVersion>(o.UserVersionsTopic)),
                b.Add(new SinkProcessor<string, ProfileCorrection>(o.CorrectionsTopic))));
            enrichedSink = b.Add(new ProfileJoinProcessor(UsersStore, enrichedSink));
        }
        var botsSink = quality.Bots(b.Add(new SinkProcessor<string, ClickEvent>(o.BotsTopic)));
        var lateSink = b.Add(new SinkProcessor<string, LateRecord<EnrichedEvent>>(o.LateTopic));
        var aggregatedSink = b.Add(new SinkProcessor<AggregateRowKey, AggregateRow>(o.AggregatedTopic));
        var sessionsSink = b.Add(new SinkProcessor<SessionKey, SessionSummary>(o.SessionsTopic));
        var lateByPartition = b.Add(new LateRouter<int>(lateSink));
        var lateByUser = b.Add(new LateRouter<string>(lateSink));

        var events1m = b.Add(new WindowAggregateProcessor<int, EnrichedEvent, EventCountsAggregator.Acc, EventCountsAggregator.Acc, EventCountsAggregator>(
            AggregateNames.Events1m, Events1mWindows.WithAllowedLateness(lateness), new EventCountsAggregator(),
            b.Store(new WindowStore<int, EventCountsAggregator.Acc>(AggregateNames.Events1m, o.MaxWindowEntries, valueSerde: ClickstreamSerdes.EventCounts)),
            b.Add(new EventCountsEmitter(aggregatedSink)), lateByPartition));
        var commerce5m = b.Add(new WindowAggregateProcessor<int, EnrichedEvent, CommerceAggregator.Acc, CommerceAggregator.Acc, CommerceAggregator>(
            AggregateNames.Commerce5m, Commerce5mWindows.WithAllowedLateness(lateness), new CommerceAggregator(),
            b.Store(new WindowStore<int, CommerceAggregator.Acc>(AggregateNames.Commerce5m, o.MaxWindowEntries, valueSerde: ClickstreamSerdes.Commerce)),
            b.Add(new CommerceEmitter(aggregatedSink)), lateByPartition));
        var activeUsers = b.Add(new WindowAggregateProcessor<int, EnrichedEvent, Dictionary<string, int>, int, ActiveUsersAggregator>(
            AggregateNames.ActiveUsers5m, ActiveUsers5mWindows.WithAllowedLateness(lateness),
            new ActiveUsersAggregator(), b.Store(new WindowStore<int, Dictionary<string, int>>(AggregateNames.ActiveUsers5m, o.MaxWindowEntries, valueSerde: ClickstreamSerdes.ActiveUsers)),
            b.Add(new ActiveUsersEmitter(aggregatedSink)), lateByPartition));
        var products1h = b.Add(new WindowAggregateProcessor<int, EnrichedEvent, ProductsAggregator.Acc, ProductsAggregator.Acc, ProductsAggregator>(
            AggregateNames.Products1h, Products1hWindows.WithAllowedLateness(lateness),
            new ProductsAggregator(), b.Store(new WindowStore<int, ProductsAggregator.Acc>(AggregateNames.Products1h, o.MaxWindowEntries, valueSerde: ClickstreamSerdes.Products)),
            b.Add(new ProductsEmitter(o.TopProducts, o.TopCategories, aggregatedSink)), lateByPartition));
        var sessions = b.Add(new SessionWindowProcessor<string, EnrichedEvent, SessionAggregator.Acc, SessionAggregator.Acc, SessionAggregator>(
            AggregateNames.Sessions, SessionWindows.WithGap(o.SessionGap).WithAllowedLateness(lateness), new SessionAggregator(),
            b.Store(new SessionStore<string, SessionState<SessionAggregator.Acc>>(
                AggregateNames.Sessions, o.MaxOpenSessions, StringComparer.Ordinal, valueSerde: ClickstreamSerdes.Sessions)),
            b.Add(new SessionEmitter(sessionsSink)), lateByUser));

        var partition = taskId.Partition;
        var byPartition = b.Add(new SelectKeyProcessor<string, int, EnrichedEvent>(
            _ => partition, b.Add(new FanOutProcessor<int, EnrichedEvent>(events1m, commerce5m, activeUsers, products1h))));
        var fanOut = b.Add(new FanOutProcessor<string, EnrichedEvent>([enrichedSink, byPartition, sessions, .. FileAggregateOperators(b, aggregatedSink, lateByUser)]));
        var lateGate = b.Add(new LateEventFilter<string, EnrichedEvent>(
            AggregateNames.Events1m, Events1mWindows.WithAllowedLateness(lateness), fanOut, quality.Late(lateSink)));
        var words = o.Domain.Enrichment;
        var enrich = b.Add(new EnrichProcessor(lateGate, new MobileDetector(words.MobileUserAgents, words.MobileDeviceTypes)));
        var bots = quality.Unique(b.Add(new BotFilterProcessor(new BotDetector(words.BotSignatures), botsSink, enrich)));
        var seenIds = b.Store(new EventIdStore(DedupStore, o.DedupHorizon, o.DedupMaxEntries));
        var dedup = quality.Valid(b.Add(new DedupProcessor(DedupStore, bots)));
        var validate = b.Add(new ValidateProcessor<ClickEvent>(_rules, e => e.Timestamp, dedup));
        // Each task gets its own decoder: its string caches are written on every miss, and a cache shared by tasks on
        // different cores would bounce those cache lines between them. Schemas still come from the one shared source.
        // It also hands over each event id as soon as it has read it (the first field), so that the id's dedup slot is
        // on its way from memory while the rest of the event is decoded, not looked up cold after validation.
        var decoder = _schemas is null ? ClickEventDecoder.JsonOnly : new ClickEventDecoder(_schemas, seenIds.Prefetch);
        var events = quality.Source(b.Add(new DecodeProcessor(quality.Decoded(validate), decoder)));
        return b.Build(userChanges is null ? events : b.Add(new TopicRouter<byte[]?, byte[]>(o.UserChangesTopic!, userChanges, events)));
    }

    // The file's aggregates, each keyed by its group within the task, as a file-described domain's are.
    private IEnumerable<IProcessor<string, EnrichedEvent>> FileAggregateOperators(
        TaskTopologyBuilder b, IProcessor<AggregateRowKey, AggregateRow> aggregatedSink, IProcessor<string, LateRecord<EnrichedEvent>> late)
    {
        foreach (var a in FileAggregates)
        {
            var op = b.Add(new WindowAggregateProcessor<string, EnrichedEvent, DomainAccumulator, DomainAccumulator, DomainAggregator<EnrichedEvent>>(
                a.Name, a.TimeWindows!, new DomainAggregator<EnrichedEvent>(a),
                b.Store(new WindowStore<string, DomainAccumulator>(a.Name, _options.MaxWindowEntries, StringComparer.Ordinal, valueSerde: a.Serde)),
                b.Add(new DomainRowEmitter<EnrichedEvent>(a, aggregatedSink)), late, comparer: StringComparer.Ordinal));
            yield return b.Add(new SelectKeyProcessor<string, string, EnrichedEvent>(a.GroupKey, op));
        }
    }
}
