using Confluent.Kafka;
using Sluice.Core.Errors;
using Sluice.Kafka;

namespace Sluice.Verification;

/// <summary>Reads whole topics from their first offset to their end as they are now, joining no consumer group.</summary>
/// <remarks>Partitions are assigned, not subscribed: nothing rebalances and nothing is committed.</remarks>
public sealed class TopicReader(KafkaClientFactory factory, TimeSpan timeout) : IDisposable
{
    private readonly TopicInspector _inspector = new(factory, timeout);

    /// <summary>The partitions of <paramref name="topic"/> with their log start and end offsets.</summary>
    public IReadOnlyList<PartitionLog> Logs(string topic) => _inspector.Partitions([topic]);

    /// <summary>Every record of <paramref name="logs"/>' partitions from <paramref name="from"/> (default each log's start) to its end, per partition in offset order.</summary>
    public List<TopicRecord>[] Read(IReadOnlyList<PartitionLog> logs, Func<PartitionLog, long>? from = null)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var result = logs.Select(_ => new List<TopicRecord>()).ToArray();
        var remaining = new Dictionary<int, PartitionLog>();
        var starts = new List<TopicPartitionOffset>();
        for (var i = 0; i < logs.Count; i++)
        {
            var log = logs[i];
            var start = from?.Invoke(log) ?? log.LogStart;
            if (start >= log.LogEnd) continue;
            remaining[log.Partition] = log;
            starts.Add(new TopicPartitionOffset(log.Topic, log.Partition, start));
        }
        if (remaining.Count == 0) return result;
        using var consumer = AssignedConsumer(factory, "verify");
        consumer.Assign(starts);
        var index = logs.Select((l, i) => (l.Partition, i)).ToDictionary(x => x.Partition, x => x.i);
        var deadline = DateTime.UtcNow + timeout;
        while (remaining.Count > 0)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r is null || r.IsPartitionEOF)
            {
                if (DateTime.UtcNow > deadline)
                    ThrowHelper.Throw($"reading {logs[0].Topic}: partitions {string.Join(", ", remaining.Keys)} did not reach their end offsets within {timeout.TotalSeconds:0} s", isTransient: true);
                continue;
            }
            deadline = DateTime.UtcNow + timeout;
            var p = r.Partition.Value;
            result[index[p]].Add(new TopicRecord(r.Topic, p, r.Offset.Value, r.Message.Key, r.Message.Value ?? [], r.Message.Timestamp.UnixTimestampMs));
            if (remaining.TryGetValue(p, out var log) && r.Offset.Value + 1 >= log.LogEnd) remaining.Remove(p);
        }
        consumer.Close();
        return result;
    }

    /// <summary>A consumer for partitions assigned by hand: it joins no group and commits nothing; keys and values stay bytes.</summary>
    public static IConsumer<byte[]?, byte[]?> AssignedConsumer(KafkaClientFactory factory, string clientIdSuffix, Action<ConsumerConfig>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var config = factory.ConsumerConfig("sluice-verify", clientIdSuffix);
        config.EnableAutoCommit = false;
        configure?.Invoke(config);
        return new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetKeyDeserializer(Deserializers.ByteArray!).SetValueDeserializer(Deserializers.ByteArray!).Build();
    }

    public void Dispose() => _inspector.Dispose();
}
