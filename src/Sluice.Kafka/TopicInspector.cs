using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Sluice.Core.Errors;

namespace Sluice.Kafka;

/// <summary>A partition's log as the broker holds it now: the first and next offsets.</summary>
public sealed record PartitionLog(string Topic, int Partition, long LogStart, long LogEnd)
{
    /// <summary>Records the broker still holds (retention and the embedded broker's 5 MiB cap delete older ones).</summary>
    public long Held => LogEnd - LogStart;
}

/// <summary>A consumer group's committed position on one partition and how far behind the log end it is.</summary>
/// <param name="Committed">The next offset the group will read, or null when it has committed nothing there.</param>
/// <param name="Lag">Records between the committed offset (or the log start, with none) and the log end.</param>
public sealed record GroupPosition(string Group, string Topic, int Partition, long? Committed, long Lag);

/// <summary>What an operator checks on a cluster without other tools: topics, partitions, offsets, groups and lag.</summary>
/// <remarks>
/// Reads only: metadata and group offsets through the admin API, log start and end through a consumer that joins
/// no group. Works against any Kafka-protocol broker, the embedded one included.
/// </remarks>
public sealed class TopicInspector : IDisposable
{
    private readonly IAdminClient _admin;
    private readonly IConsumer<byte[], byte[]> _offsets;
    private readonly TimeSpan _timeout;

    public TopicInspector(KafkaClientFactory factory, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _timeout = timeout;
        _admin = factory.CreateAdminClient("inspect");
        // A group id is required by the client, but nothing subscribes or commits: the group never exists.
        _offsets = factory.CreateConsumer<byte[], byte[]>("sluice-inspect", "inspect-offsets",
            b => b.SetValueDeserializer(Deserializers.ByteArray).SetKeyDeserializer(Deserializers.ByteArray));
    }

    /// <summary>Every topic's partitions with their log offsets, in topic then partition order; internal topics left out.</summary>
    public IReadOnlyList<PartitionLog> Partitions(IEnumerable<string>? onlyTopics = null)
    {
        var wanted = onlyTopics?.ToHashSet(StringComparer.Ordinal);
        var metadata = _admin.GetMetadata(_timeout);
        var logs = new List<PartitionLog>();
        foreach (var topic in metadata.Topics.OrderBy(t => t.Topic, StringComparer.Ordinal))
        {
            if (topic.Topic.StartsWith("__", StringComparison.Ordinal)) continue;
            if (wanted is not null && !wanted.Contains(topic.Topic)) continue;
            if (topic.Error.IsError) ThrowHelper.Throw($"topic {topic.Topic}: {topic.Error.Reason}");
            foreach (var partition in topic.Partitions.OrderBy(p => p.PartitionId))
            {
                var marks = _offsets.QueryWatermarkOffsets(new TopicPartition(topic.Topic, partition.PartitionId), _timeout);
                logs.Add(new PartitionLog(topic.Topic, partition.PartitionId, marks.Low.Value, marks.High.Value));
            }
        }
        if (wanted is not null)
        {
            foreach (var name in wanted)
            {
                if (!logs.Exists(l => l.Topic == name))
                    ThrowHelper.Throw($"topic {name} does not exist at {_admin.Name}; `sluice topics` lists the ones that do");
            }
        }
        return logs;
    }

    /// <summary>The committed offsets and lag of <paramref name="groups"/> on the given partitions, in group, topic, partition order.</summary>
    /// <remarks>
    /// Groups are named, not listed: librdkafka's mock cluster answers ListGroups with an error and, in the same
    /// client, later crashes the process (double free), so the inspector asks only for groups it is told about.
    /// A group that has committed nothing on a partition shows no committed offset and the whole log as lag.
    /// </remarks>
    public async Task<IReadOnlyList<GroupPosition>> GroupsAsync(IEnumerable<string> groups, IReadOnlyList<PartitionLog> partitions)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(partitions);
        var positions = new List<GroupPosition>();
        foreach (var group in groups.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var offsets = await _admin.ListConsumerGroupOffsetsAsync(
                [new ConsumerGroupTopicPartitions(group, partitions.Select(p => new TopicPartition(p.Topic, p.Partition)).ToList())],
                new ListConsumerGroupOffsetsOptions { RequestTimeout = _timeout }).ConfigureAwait(false);
            var committed = offsets.SelectMany(r => r.Partitions).ToDictionary(p => (p.Topic, p.Partition.Value), p => p.Offset.Value);
            if (!committed.Values.Any(o => o >= 0)) continue;
            foreach (var log in partitions)
            {
                long? at = committed.TryGetValue((log.Topic, log.Partition), out var o) && o >= 0 ? o : null;
                if (at is null && !committed.Any(c => c.Key.Topic == log.Topic && c.Value >= 0)) continue;
                var from = Math.Max(at ?? log.LogStart, log.LogStart);
                positions.Add(new GroupPosition(group, log.Topic, log.Partition, at, Math.Max(0, log.LogEnd - from)));
            }
        }
        return positions;
    }

    public void Dispose()
    {
        _offsets.Dispose();
        _admin.Dispose();
    }
}
