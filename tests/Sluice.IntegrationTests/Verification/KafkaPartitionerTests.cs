using System.Text;
using Confluent.Kafka;
using Sluice.Kafka;
using Sluice.TestKit;
using Sluice.Verification;

namespace Sluice.IntegrationTests.Verification;

/// <summary><see cref="KafkaPartitioner"/> against librdkafka itself: keyed records produced with the default partitioner land where it says.</summary>
public sealed class KafkaPartitionerTests(BrokerFixture kafka) : IClassFixture<BrokerFixture>
{
    private static readonly string[] Keys =
    [
        .. Enumerable.Range(1, 300).Select(i => $"u-{i:D7}"),
        .. Enumerable.Range(1, 300).Select(i => $"s-{i * 7919:x16}"),
        "ü-ñ-日本", "k", "a|b|c", new string('x', 300),
    ];

    [Fact]
    public void records_produced_through_the_confluent_client_land_in_the_partition_computed_from_their_key()
    {
        // 1. Seven partitions (a prime, so the modulo is not a power of two) and the factory's producer settings.
        var topic = kafka.CreateTopic(7, "partitioner");
        using (var producer = kafka.Factory.CreateProducer("partitioner-test"))
        {
            foreach (var key in Keys) producer.Produce(topic, new Message<string, byte[]> { Key = key, Value = Encoding.UTF8.GetBytes(key) });
            producer.Flush(TimeSpan.FromSeconds(60));
        }

        // 2. Every record read back sits in the partition the CRC-32 of its key gives.
        AssertWhereComputed(topic, 7);
    }

    [Fact]
    public void records_produced_through_the_generators_record_producer_land_in_the_partition_computed_from_their_key()
    {
        // 1. The producer `sluice produce` uses (librdkafka's produceva, no Confluent.Kafka objects), six partitions.
        var topic = kafka.CreateTopic(6, "partitioner");
        using (var producer = kafka.Factory.CreateRecordProducer("partitioner-test"))
        {
            foreach (var key in Keys) producer.Produce(topic, key, Encoding.UTF8.GetBytes(key), 0);
            Assert.True(producer.Flush(CancellationToken.None));
        }

        // 2. As computed.
        AssertWhereComputed(topic, 6);
    }

    private void AssertWhereComputed(string topic, int partitions)
    {
        using var reader = new TopicReader(kafka.Factory, TimeSpan.FromSeconds(60));
        var read = reader.Read(reader.Logs(topic));
        Assert.Equal(Keys.Length, read.Sum(p => p.Count));
        foreach (var record in read.SelectMany(p => p))
            Assert.Equal(KafkaPartitioner.ConsistentRandom(record.Key, partitions), record.Partition);
    }
}
