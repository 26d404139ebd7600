using System.Text.Json;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Sluice.Core.Events;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;

namespace Sluice.App.Hosting;

/// <summary>What the pipeline's output topics hold, as a reader of those topics sees it.</summary>
/// <param name="EventsJoined">Enriched events that carry a user profile (joined as of their time).</param>
/// <param name="ProfileVersions">Distinct rows of dim_users: (user, source position) ids.</param>
/// <param name="CurrentUsers">dim_users rows whose latest record is current.</param>
/// <param name="Corrections">Events whose joined profile a later change corrected (distinct event ids).</param>
public sealed record OutputCounts(
    long Enriched, long DeadLettered, long Late, long Bots, long AggregateRows, long Sessions,
    IReadOnlyDictionary<string, long> DeadLettersByReason,
    IReadOnlyDictionary<long, long[]> EventsPerMinute,
    long EventsJoined = 0, long ProfileVersions = 0, long CurrentUsers = 0, long Corrections = 0);

/// <summary>
/// Reads every output topic of the clickstream topology and keeps counts: records per topic, dead letters per
/// reason code, and the 1-minute per-event-type rows of <c>clickstream.aggregated</c> summed over partitions
/// (rows are partial, one per partition; a reader adds them up). This is how a serving layer sees the pipeline.
/// </summary>
/// <param name="observe">Called for every output record read, on the reader's thread (a measuring point); null for none.</param>
public sealed class OutputTally(KafkaClientFactory factory, ClickstreamOptions topics, Action<ConsumeResult<string, byte[]>>? observe = null)
{
    private readonly Lock _gate = new();
    private long _enriched, _dlq, _late, _bots, _aggregates, _sessions;
    private readonly Dictionary<string, long> _reasons = new(StringComparer.Ordinal);
    private readonly SortedDictionary<long, long[]> _perMinute = [];
    private long _joined;
    private readonly Dictionary<string, bool> _versions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _corrected = new(StringComparer.Ordinal);

    private IReadOnlyList<string> Topics =>
    [
        topics.EnrichedTopic, topics.DeadLetterTopic, topics.LateTopic, topics.BotsTopic, topics.AggregatedTopic, topics.SessionsTopic,
        .. topics.JoinsUsers ? new[] { topics.UserVersionsTopic, topics.CorrectionsTopic } : [],
    ];

    /// <summary>Output records read so far, over every output topic.</summary>
    public long Read => Interlocked.Read(ref _read);

    private long _read;

    public OutputCounts Snapshot()
    {
        lock (_gate)
        {
            return new OutputCounts(_enriched, _dlq, _late, _bots, _aggregates, _sessions,
                new Dictionary<string, long>(_reasons),
                _perMinute.ToDictionary(kv => kv.Key, kv => (long[])kv.Value.Clone()),
                _joined, _versions.Count, _versions.Values.Count(current => current), _corrected.Count);
        }
    }

    /// <summary>Reads the output topics as records arrive, until cancelled or, after <see cref="RequestDrain"/>, until their ends.</summary>
    /// <remarks>
    /// The reader follows the topics live rather than re-reading them at the end: a broker may already have
    /// deleted old records by then (the embedded broker keeps only 5 MiB per partition, like a topic with
    /// retention.bytes set), and a reader that kept up has counted them.
    /// </remarks>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Asks the reader to stop once it has read every output topic up to its current end.</summary>
    public void RequestDrain() => Volatile.Write(ref _drainRequested, true);

    private bool _drainRequested;

    private void Run(CancellationToken ct)
    {
        GeneratorService.NameThread("sl-reader");
        // A private group and no commits: each reader sees everything from the start.
        var consumer = factory.CreateConsumer($"sluice-tally-{Guid.NewGuid():N}", "tally");
        try
        {
            consumer.Subscribe(Topics);
            Dictionary<TopicPartition, long>? ends = null;
            while (!ct.IsCancellationRequested)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } r)
                {
                    Count(r);
                    observe?.Invoke(r);
                }
                if (!Volatile.Read(ref _drainRequested)) continue;
                ends ??= EndOffsets(consumer);
                if (ends.All(e => consumer.Position(e.Key) is var p && p != Offset.Unset && p.Value >= e.Value)) break;
            }
        }
        finally
        {
            factory.Close(consumer);
        }
    }

    // The end of every output partition now; a partition with nothing in it has nothing to wait for. One ListOffsets
    // request through an admin client of its own: asked through the reader's consumer, each partition's query would queue
    // behind the consumer's pending fetch (up to fetch.wait.max.ms on the embedded broker), 36 partitions one after another.
    private Dictionary<TopicPartition, long> EndOffsets(IConsumer<string, byte[]> consumer)
    {
        using var admin = factory.CreateAdminClient("tally");
        var partitions = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Where(t => Topics.Contains(t.Topic))
            .SelectMany(t => t.Partitions.Select(p => new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(t.Topic, p.PartitionId), OffsetSpec = OffsetSpec.Latest() }))
            .ToList();
        var result = admin.ListOffsetsAsync(partitions, new ListOffsetsOptions { RequestTimeout = TimeSpan.FromSeconds(10) }).GetAwaiter().GetResult();
        return result.ResultInfos.Where(r => r.TopicPartitionOffsetError.Offset.Value > 0)
            .ToDictionary(r => r.TopicPartitionOffsetError.TopicPartition, r => r.TopicPartitionOffsetError.Offset.Value);
    }

    private void Count(ConsumeResult<string, byte[]> r)
    {
        var topic = r.Topic;
        Interlocked.Increment(ref _read);
        lock (_gate)
        {
            if (topic == topics.EnrichedTopic)
            {
                _enriched++;
                if (!r.Message.Value.AsSpan().EndsWith("\"profile_version\":null,\"profile_position\":null,\"profile_segment\":null,\"profile_country\":null,\"signup_date\":null}"u8)
                    && r.Message.Value.AsSpan().IndexOf("\"profile_version\":"u8) >= 0) _joined++;
            }
            else if (topic == topics.UserVersionsTopic) AddVersion(r.Message.Value);
            else if (topic == topics.CorrectionsTopic) _corrected.Add(ReadString(r.Message.Value, "event_id"u8) ?? "");
            else if (topic == topics.LateTopic) _late++;
            else if (topic == topics.BotsTopic) _bots++;
            else if (topic == topics.SessionsTopic) _sessions++;
            else if (topic == topics.DeadLetterTopic)
            {
                _dlq++;
                var reason = ReadString(r.Message.Value, "reason_code"u8) ?? "?";
                _reasons[reason] = _reasons.GetValueOrDefault(reason) + 1;
            }
            else if (topic == topics.AggregatedTopic)
            {
                _aggregates++;
                AddAggregate(r.Message.Value);
            }
        }
    }

    // A version is written again when it closes: the latest record of its id says whether it is current.
    private void AddVersion(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        _versions[$"{root.GetProperty("user_id").GetString()}|{root.GetProperty("source_position").GetInt64()}"] = root.GetProperty("is_current").GetBoolean();
    }

    private void AddAggregate(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.GetProperty("aggregate").GetString() != "events_1m" || root.GetProperty("dimension").GetString() != "event_type") return;
        if (root.GetProperty("metric").GetString() != "events") return;
        if (!EventTypes.TryParse(root.GetProperty("dimension_value").GetString(), out var type)) return;
        var start = root.GetProperty("window_start").GetInt64();
        if (!_perMinute.TryGetValue(start, out var counts)) _perMinute[start] = counts = new long[EventTypes.All.Count];
        counts[(int)type] += (long)root.GetProperty("value").GetDouble();
    }

    private static string? ReadString(byte[] json, ReadOnlySpan<byte> property)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals(property) && reader.Read())
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        }
        return null;
    }
}
