using System.Text.Json;
using Confluent.Kafka;
using Sluice.Core.Events;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;

namespace Sluice.Pipelines.Hosting;

/// <summary>What the pipeline's output topics hold, as a reader of those topics sees it.</summary>
public sealed record OutputCounts(
    long Enriched, long DeadLettered, long Late, long Bots, long AggregateRows, long Sessions,
    IReadOnlyDictionary<string, long> DeadLettersByReason,
    IReadOnlyDictionary<long, long[]> EventsPerMinute);

/// <summary>
/// Reads every output topic of the clickstream topology and keeps counts: records per topic, dead letters per
/// reason code, and the 1-minute per-event-type rows of <c>clickstream.aggregated</c> summed over partitions
/// (rows are partial, one per partition; a reader adds them up). This is how a serving layer sees the pipeline.
/// </summary>
public sealed class OutputTally(KafkaClientFactory factory, ClickstreamOptions topics)
{
    private readonly Lock _gate = new();
    private long _enriched, _dlq, _late, _bots, _aggregates, _sessions;
    private readonly Dictionary<string, long> _reasons = new(StringComparer.Ordinal);
    private readonly SortedDictionary<long, long[]> _perMinute = [];

    private IReadOnlyList<string> Topics =>
        [topics.EnrichedTopic, topics.DeadLetterTopic, topics.LateTopic, topics.BotsTopic, topics.AggregatedTopic, topics.SessionsTopic];

    public OutputCounts Snapshot()
    {
        lock (_gate)
        {
            return new OutputCounts(_enriched, _dlq, _late, _bots, _aggregates, _sessions,
                new Dictionary<string, long>(_reasons),
                _perMinute.ToDictionary(kv => kv.Key, kv => (long[])kv.Value.Clone()));
        }
    }

    /// <summary>Reads until cancelled; then, when <paramref name="drain"/> is set, up to the topics' current ends.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken ct)
    {
        // A private group and no commits: each reader sees everything from the start.
        using var consumer = factory.CreateConsumer($"sluice-tally-{Guid.NewGuid():N}", "tally");
        consumer.Subscribe(Topics);
        while (!ct.IsCancellationRequested)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } r) Count(r);
        }
        consumer.Close();
    }

    /// <summary>Reads every output topic from the beginning up to its current end, then returns (a finished run's final tally).</summary>
    public void ReadToEnd(TimeSpan timeout)
    {
        using var consumer = factory.CreateConsumer($"sluice-tally-{Guid.NewGuid():N}", "tally-final");
        var ends = new Dictionary<TopicPartition, long>();
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = factory.BootstrapServers }).Build())
        {
            var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
            foreach (var topic in metadata.Topics.Where(t => Topics.Contains(t.Topic)))
            {
                foreach (var p in topic.Partitions)
                {
                    var tp = new TopicPartition(topic.Topic, p.PartitionId);
                    var high = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value;
                    if (high > 0) ends[tp] = high;
                }
            }
        }
        lock (_gate)
        {
            _enriched = _dlq = _late = _bots = _aggregates = _sessions = 0;
            _reasons.Clear();
            _perMinute.Clear();
        }
        consumer.Assign(ends.Keys.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        var deadline = DateTime.UtcNow + timeout;
        while (ends.Count > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new Core.Errors.SluiceException($"reading the output topics did not reach their ends within {timeout.TotalSeconds:0} s", isTransient: true);
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { IsPartitionEOF: false } r) continue;
            Count(r);
            if (ends.TryGetValue(r.TopicPartition, out var end) && r.Offset.Value + 1 >= end) ends.Remove(r.TopicPartition);
        }
        consumer.Close();
    }

    private void Count(ConsumeResult<string, byte[]> r)
    {
        var topic = r.Topic;
        lock (_gate)
        {
            if (topic == topics.EnrichedTopic) _enriched++;
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
