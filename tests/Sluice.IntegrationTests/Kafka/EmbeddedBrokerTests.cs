using Confluent.Kafka;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Kafka;

public sealed class EmbeddedBrokerTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public void cluster_reports_its_brokers_and_the_topics_with_their_partition_counts()
    {
        var topic = fixture.CreateTopic(partitions: 6);
        var metadata = fixture.Factory.EnsureReachable();
        Assert.Equal(3, metadata.Brokers.Count);
        var described = Assert.Single(metadata.Topics, t => t.Topic == topic);
        Assert.Equal(6, described.Partitions.Count);
        Assert.Equal(3, fixture.Broker.BootstrapServers.Split(',').Length);
    }

    [Fact]
    public void records_with_the_same_key_land_in_one_partition_and_keep_their_order()
    {
        var topic = fixture.CreateTopic(partitions: 6);
        using (var producer = fixture.Factory.CreateProducer())
        {
            for (var i = 0; i < 600; i++)
                producer.Produce(topic, new Message<string, byte[]> { Key = $"user-{i % 20}", Value = BitConverter.GetBytes(i) });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        var seen = Drain(topic, expected: 600);
        Assert.Equal(600, seen.Count);
        foreach (var user in seen.GroupBy(r => r.Message.Key))
        {
            Assert.Single(user.Select(r => r.Partition.Value).Distinct());
            var values = user.Select(r => BitConverter.ToInt32(r.Message.Value)).ToList();
            Assert.Equal(values.Order(), values);
        }
        Assert.True(seen.Select(r => r.Partition.Value).Distinct().Count() > 1, "20 keys should spread over several of 6 partitions");
    }

    [Fact]
    public void creating_a_topic_twice_with_the_same_partitions_is_a_no_op_and_with_others_an_error()
    {
        var topic = fixture.CreateTopic(partitions: 2);
        fixture.Broker.CreateTopic(topic, 2);
        var ex = Assert.Throws<SluiceException>(() => fixture.Broker.CreateTopic(topic, 4));
        Assert.Contains("2 partitions", ex.Message);
    }

    [Fact]
    public void unreachable_broker_fails_with_an_error_that_says_what_to_do()
    {
        var options = new KafkaOptions { BootstrapServers = "127.0.0.1:1", ConnectTimeout = TimeSpan.FromSeconds(2) };
        var factory = new KafkaClientFactory(options, options.BootstrapServers);
        var ex = Assert.Throws<SluiceException>(() => factory.EnsureReachable());
        Assert.True(ex.IsTransient);
        Assert.Contains("127.0.0.1:1", ex.Message);
        Assert.Contains("kafka.bootstrapServers", ex.Message);
    }

    [Fact]
    public void a_broker_set_down_refuses_clients_until_set_up_again()
    {
        using var single = EmbeddedBroker.Start(brokers: 1);
        var options = new KafkaOptions { ConnectTimeout = TimeSpan.FromSeconds(2) };
        var factory = new KafkaClientFactory(options, single.BootstrapServers);
        factory.EnsureReachable();
        single.SetBrokerDown(1);
        Assert.Throws<SluiceException>(() => factory.EnsureReachable());
        single.SetBrokerUp(1);
        Assert.Single(factory.EnsureReachable().Brokers);
    }

    [Fact]
    public void producer_defaults_are_idempotent_acks_all_lz4_and_consumers_store_offsets_explicitly()
    {
        var producer = fixture.Factory.ProducerConfig();
        Assert.True(producer.EnableIdempotence);
        Assert.Equal(Acks.All, producer.Acks);
        Assert.Equal(CompressionType.Lz4, producer.CompressionType);
        var consumer = fixture.Factory.ConsumerConfig("g");
        Assert.False(consumer.EnableAutoOffsetStore);
        Assert.Equal(PartitionAssignmentStrategy.CooperativeSticky, consumer.PartitionAssignmentStrategy);
    }

    [Fact]
    public void security_settings_reach_every_client_configuration()
    {
        var options = new KafkaOptions { SaslMechanism = "scram-sha-512", SaslUsername = "svc", SaslPassword = "hunter2", SecurityProtocol = "sasl_ssl" };
        var factory = new KafkaClientFactory(options, "127.0.0.1:9092");
        foreach (ClientConfig config in new ClientConfig[] { factory.ProducerConfig(), factory.ConsumerConfig("g") })
        {
            Assert.Equal(SecurityProtocol.SaslSsl, config.SecurityProtocol);
            Assert.Equal("SCRAM-SHA-512", config.Get("sasl.mechanism"));
            Assert.Equal("svc", config.SaslUsername);
            Assert.Equal("hunter2", config.SaslPassword);
        }
    }

    private List<ConsumeResult<string, byte[]>> Drain(string topic, int expected)
    {
        using var consumer = fixture.Factory.CreateConsumer($"drain-{Guid.NewGuid():N}");
        consumer.Subscribe(topic);
        var seen = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (seen.Count < expected && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } r) seen.Add(r);
        consumer.Close();
        return seen;
    }
}
