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
    public async Task disposing_commits_what_was_processed_then_leaves_the_group_without_hanging()
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
        // Processed but never committed by a runner: only Dispose can commit these.
        while (processed.Values.Sum() < 120)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {processed.Values.Sum()} records arrived within {Timeout}");
            if (source.Poll(TimeSpan.FromMilliseconds(200)) is not { } record) continue;
            source.MarkProcessed(record);
            processed[record.Partition] = record.Offset + 1;
        }

        // Close revokes the assignment through the rebalance callback; a synchronous commit made there used to wait forever.
        var dispose = Task.Run(source.Dispose);
        Assert.True(await Task.WhenAny(dispose, Task.Delay(Timeout)) == dispose, $"Dispose did not return within {Timeout}");
        await dispose;

        Assert.Equal(processed.Keys.Order(), listener.Revoked.Select(p => p.Partition).Distinct().Order());
        using var reader = fixture.Factory.CreateConsumer(group);
        var committed = reader.Committed(processed.Keys.Select(p => new Confluent.Kafka.TopicPartition(topic, p)), TimeSpan.FromSeconds(30));
        foreach (var c in committed) Assert.Equal(processed[c.Partition.Value], c.Offset.Value);
    }

    private sealed class Listener : IAssignmentListener
    {
        public List<StreamTopicPartition> Revoked { get; } = [];

        public void OnAssigned(IReadOnlyCollection<StreamTopicPartition> partitions)
        {
        }

        public void OnRevoked(IReadOnlyCollection<StreamTopicPartition> partitions) => Revoked.AddRange(partitions);
    }
}
