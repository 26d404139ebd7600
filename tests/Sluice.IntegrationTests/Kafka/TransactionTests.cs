using System.Buffers;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.Streaming.Checkpoints;
using Sluice.Streaming.Kafka;
using Xunit.Abstractions;
using StreamTopicPartition = Sluice.Streaming.Processing.TopicPartition;

namespace Sluice.IntegrationTests.Kafka;

/// <summary>
/// The transactional collector exactly-once uses: an aborted transaction's records and offsets, then a committed one's.
/// What isolation means is checked against a real broker (<c>SLUICE_TEST_KAFKA_BOOTSTRAP</c>); the embedded broker runs
/// the same calls and its documented limits are asserted, so a librdkafka that changes them fails here.
/// </summary>
public sealed class TransactionTests(ITestOutputHelper output)
{
    public const string RealBrokerVariable = "SLUICE_TEST_KAFKA_BOOTSTRAP";

    private sealed record Outcome(IReadOnlyList<string> ReadCommitted, long? Committed, long TransactionsCommitted);

    [Fact]
    public async Task on_a_real_broker_read_committed_never_sees_an_aborted_transaction_and_offsets_commit_only_with_their_transaction()
    {
        var bootstrap = Environment.GetEnvironmentVariable(RealBrokerVariable);
        if (string.IsNullOrWhiteSpace(bootstrap))
        {
            output.WriteLine($"not run: no real broker (set {RealBrokerVariable})");
            return;
        }
        var factory = new KafkaClientFactory(new KafkaOptions { BootstrapServers = bootstrap }, bootstrap, embedded: false);
        var topic = $"sluice-txn-test.{Guid.NewGuid():N}";
        using (var admin = factory.CreateAdminClient("txn-test"))
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = -1 }]);

        var outcome = AbortThenCommit(factory, topic);

        output.WriteLine($"ran against {bootstrap}: read_committed saw [{string.Join(", ", outcome.ReadCommitted)}], committed offset {outcome.Committed}");
        Assert.Equal(["committed"], outcome.ReadCommitted);
        Assert.Equal(7, outcome.Committed);
        Assert.Equal(1, outcome.TransactionsCommitted);
    }

    [Fact]
    public void the_embedded_broker_runs_transactions_but_shows_aborted_records_and_does_not_store_their_offsets()
    {
        using var broker = EmbeddedBroker.Start(1);
        var topic = $"txn.{Guid.NewGuid():N}";
        broker.CreateTopic(topic, 1);
        var factory = new KafkaClientFactory(new KafkaOptions(), broker.BootstrapServers);

        var outcome = AbortThenCommit(factory, topic);

        // Every transactional call succeeded and the committed records arrived; isolation is what the mock cluster lacks.
        Assert.Equal(1, outcome.TransactionsCommitted);
        Assert.Equal(["aborted", "committed"], outcome.ReadCommitted);
        Assert.Null(outcome.Committed);
    }

    // 1. A record and an input offset (5) in a transaction that is aborted; 2. a record and an offset (7) in one that commits;
    // 3. what a read_committed reader of the topic sees, and what the group has committed for the input.
    private static Outcome AbortThenCommit(KafkaClientFactory factory, string topic)
    {
        var group = $"txn-group-{Guid.NewGuid():N}";
        var input = new StreamTopicPartition(topic, 0); // any existing partition: the group never reads it
        using var consumer = factory.CreateConsumer<byte[]?, byte[]>(group, "txn-test");
        long transactions;
        using (var collector = KafkaRecordCollector.Transactional(factory, $"sluice-txn-test-{Guid.NewGuid():N}", () => consumer.ConsumerGroupMetadata, TimeSpan.FromSeconds(30)))
        {
            collector.Register<string>(static (s, o) => o.Write(Encoding.UTF8.GetBytes(s)));
            collector.Send(topic, new Streaming.Processing.Record<string, string>("k", "aborted", 1_000, default));
            collector.Flush();
            collector.AbortTransaction();
            collector.Send(topic, new Streaming.Processing.Record<string, string>("k", "committed", 2_000, default));
            collector.CommitTransaction([new PartitionOffset(input, 7)]);
            transactions = collector.TransactionsCommitted;
        }

        var seen = new List<string>();
        using (var reader = factory.CreateConsumer<byte[]?, byte[]>($"txn-reader-{Guid.NewGuid():N}", "txn-test"))
        {
            reader.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            // Records arrive in offset order and the committed one is last: once it is read, nothing is still to come.
            while (!seen.Contains("committed") && DateTime.UtcNow < deadline)
                if (reader.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } r) seen.Add(Encoding.UTF8.GetString(r.Message.Value));
        }
        var committed = consumer.Committed([new Confluent.Kafka.TopicPartition(input.Topic, input.Partition)], TimeSpan.FromSeconds(10))[0].Offset;
        return new Outcome(seen, committed.Value >= 0 ? committed.Value : null, transactions);
    }
}
