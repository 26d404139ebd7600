using Confluent.Kafka;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Processing;

namespace Sluice.IntegrationTests.Pipelines;

/// <summary>A record legal on its topic but too big to copy whole into a dead letter must still leave as one.</summary>
public sealed class PoisonRecordTests : IDisposable
{
    private const string Dlq = "poison-dlq";
    private readonly EmbeddedBroker _broker = EmbeddedBroker.Start(1, [new TopicSpec(Dlq, 1)]);

    public void Dispose() => _broker.Dispose();

    [Fact]
    public void the_dead_letter_of_an_800_kb_record_is_delivered_by_the_broker_with_its_default_limits()
    {
        // 1. The dead letter of an 800 KB payload, as the processor's collector writes it (base64 of the whole payload
        //    would be about 1.07 MB, past the 1 MB the producer and broker accept by default).
        var factory = new KafkaClientFactory(new KafkaOptions(), _broker.BootstrapServers);
        var payload = new byte[800_000];
        new Random(3).NextBytes(payload);
        var letter = new DeadLetterRecord(payload, [1, 2], "invalid_json", "not JSON", "clickstream.events", 4, 1234, 0);
        using (var collector = ClickstreamJson.RegisterAll(new KafkaRecordCollector(factory)))
        {
            collector.Send(Dlq, new Record<byte[]?, DeadLetterRecord>(letter.Key, letter, 0, letter.Source, null));
            collector.Flush(); // throws if the broker refused it
            Assert.Equal(0, collector.Failed);
        }

        // 2. It is there, with where it came from and the whole payload's length.
        using var consumer = factory.CreateConsumer<byte[]?, byte[]>("poison-" + Guid.NewGuid().ToString("N"));
        consumer.Assign(new TopicPartitionOffset(Dlq, 0, Offset.Beginning));
        var read = consumer.Consume(TimeSpan.FromSeconds(30));
        Assert.NotNull(read);
        using var doc = System.Text.Json.JsonDocument.Parse(read.Message.Value);
        Assert.Equal(1234, doc.RootElement.GetProperty("offset").GetInt64());
        Assert.Equal(800_000, doc.RootElement.GetProperty("payload_length").GetInt32());
        Assert.True(doc.RootElement.GetProperty("payload_truncated").GetBoolean());
    }
}
