using Confluent.Kafka;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Processing;
using Sluice.TestKit;
using StreamTopicPartition = Sluice.Streaming.Processing.TopicPartition;

namespace Sluice.IntegrationTests.Kafka;

/// <summary>The engine's consumer-group source against the embedded broker.</summary>
public sealed class KafkaPartitionSourceTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task stopping_commits_what_was_processed_then_disposing_leaves_the_group_without_hanging()
    {
        var topic = fixture.CreateTopic(partitions: 2);
        using (var producer = fixture.Factory.CreateProducer())
        {
            for (var i = 0; i < 200; i++) producer.Produce(topic, new Message<string, byte[]> { Key = $"u{i % 13}", Value = BitConverter.GetBytes(i) });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        var group = $"source-{Guid.NewGuid():N}";
        var listener = new Listener();
        var source = new KafkaPartitionSource(fixture.Factory, group);
        source.Subscribe([topic], listener);
        var processed = new Dictionary<int, long>();
        var deadline = DateTime.UtcNow + Timeout;
        // Processed but never committed by a runner: only the last commit on stop can commit these.
        while (processed.Values.Sum() < 120)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {processed.Values.Sum()} records arrived within {Timeout}");
            if (source.Poll(TimeSpan.FromMilliseconds(200)) is not { } record) continue;
            source.MarkProcessed(record);
            processed[record.Partition] = record.Offset + 1;
        }

        // The runner's coordinator commits on stop; Close then revokes the assignment through the rebalance callback,
        // where a synchronous commit used to wait forever, so those revocations are reported as lost.
        source.Commit();
        var dispose = Task.Run(source.Dispose);
        Assert.True(await Task.WhenAny(dispose, Task.Delay(Timeout)) == dispose, $"Dispose did not return within {Timeout}");
        await dispose;

        Assert.Equal(processed.Keys.Order(), listener.Lost.Select(p => p.Partition).Distinct().Order());
        using var reader = fixture.Factory.CreateConsumer(group);
        var committed = reader.Committed(processed.Keys.Select(p => new Confluent.Kafka.TopicPartition(topic, p)), TimeSpan.FromSeconds(30));
        foreach (var c in committed) Assert.Equal(processed[c.Partition.Value], c.Offset.Value);
    }

    [Fact]
    public void a_restoring_listener_chooses_where_each_assigned_partition_starts_under_cooperative_assignment()
    {
        // 1. Two partitions with 50 records each.
        var topic = fixture.CreateTopic(partitions: 2);
        using (var producer = fixture.Factory.CreateProducer())
        {
            for (var i = 0; i < 100; i++)
                producer.Produce(new Confluent.Kafka.TopicPartition(topic, i % 2), new Message<string, byte[]> { Key = "k", Value = BitConverter.GetBytes(i) });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        // 2. The listener (as the commit coordinator does after restoring a checkpoint) starts partition 0 at 20, partition 1 at 35.
        var listener = new RestoringListener(new Dictionary<int, long> { [0] = 20, [1] = 35 });
        using var source = new KafkaPartitionSource(fixture.Factory, $"restore-{Guid.NewGuid():N}");
        source.Subscribe([topic], listener);
        var first = new Dictionary<int, long>();
        var deadline = DateTime.UtcNow + Timeout;
        while (first.Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"records of {2 - first.Count} partition(s) did not arrive within {Timeout}");
            if (source.Poll(TimeSpan.FromMilliseconds(200)) is { } record) first.TryAdd(record.Partition, record.Offset);
        }

        // 3. The consumer started where the listener said, and the source was told what the broker holds.
        Assert.Equal(20, first[0]);
        Assert.Equal(35, first[1]);
        Assert.All(listener.Starts, s => Assert.Equal((0L, 50L, (long?)null), (s.LogStart, s.LogEnd, s.Committed)));
        // Nothing was marked processed: the positions a checkpoint would record are still the starts.
        Assert.Equal(20, source.PositionOf(new StreamTopicPartition(topic, 0)));
        Assert.Equal(35, source.PositionOf(new StreamTopicPartition(topic, 1)));
    }

    private sealed class Listener : IAssignmentListener
    {
        public List<StreamTopicPartition> Revoked { get; } = [];
        public List<StreamTopicPartition> Lost { get; } = [];

        public void OnAssigned(IReadOnlyCollection<StreamTopicPartition> partitions)
        {
        }

        public void OnRevoked(IReadOnlyCollection<StreamTopicPartition> partitions) => Revoked.AddRange(partitions);

        public void OnLost(IReadOnlyCollection<StreamTopicPartition> partitions) => Lost.AddRange(partitions);
    }

    private sealed class RestoringListener(Dictionary<int, long> startAt) : IRestoringAssignmentListener
    {
        public List<PartitionStart> Starts { get; } = [];

        public IReadOnlyDictionary<StreamTopicPartition, long> OnAssigned(IReadOnlyList<PartitionStart> partitions)
        {
            Starts.AddRange(partitions);
            return partitions.ToDictionary(p => p.Partition, p => startAt[p.Partition.Partition]);
        }

        public void OnAssigned(IReadOnlyCollection<StreamTopicPartition> partitions) => throw new InvalidOperationException("the source must ask where to start");

        public void OnRevoked(IReadOnlyCollection<StreamTopicPartition> partitions)
        {
        }
    }
}
