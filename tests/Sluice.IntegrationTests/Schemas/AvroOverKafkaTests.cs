using Confluent.Kafka;
using Sluice.Core.Configuration;
using Sluice.Core.Events;
using Sluice.Kafka;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.IntegrationTests.Schemas;

/// <summary>Avro frames from a v1 and a v3 producer through the embedded broker, read by one v3 consumer.</summary>
public sealed class AvroOverKafkaTests
{
    [Fact]
    public async Task v1_and_v3_producers_share_a_topic_and_a_v3_consumer_reads_both_and_dead_letters_garbage()
    {
        // 1. A registry with v1 and v3 registered under the topic's subject.
        await using var registry = await EmbeddedSchemaRegistry.StartAsync();
        using var client = RegistrySchemaSource.Connect(new SchemaRegistryOptions { Url = registry.Url.ToString() });
        var v1Id = await client.Client.RegisterAvroAsync(client.Url, EventSchemas.DefaultSubject, EventSchemas.V1Json);
        var v3Id = await client.Client.RegisterAvroAsync(client.Url, EventSchemas.DefaultSubject, EventSchemas.V3Json);

        // 2. Produce one frame from each producer version, and one frame that is not Avro.
        using var broker = EmbeddedBroker.Start(1, [new TopicSpec("clicks", 1)]);
        var factory = new KafkaClientFactory(new KafkaOptions(), broker.BootstrapServers);
        var e = new ClickEvent
        {
            EventId = Guid.NewGuid(), EventType = EventType.Purchase, Timestamp = 1_763_700_000_000,
            UserId = "u-9", SessionId = "s-9", ProductId = "p-9", PriceCents = 4200, Quantity = 1, GeoCountry = "NL",
        };
        var v1Frame = new AvroBuffer();
        ConfluentWireFormat.WriteHeader(v1Frame, v1Id);
        AvroEncoder.Encode(EventSchemas.V1, ClickEventAvro.ToRecord(e, (RecordSchema)EventSchemas.V1), v1Frame);
        using (var producer = factory.CreateProducer("schemas-it"))
        {
            await producer.ProduceAsync("clicks", new Message<string, byte[]> { Key = e.PartitionKey, Value = v1Frame.ToArray() });
            await producer.ProduceAsync("clicks", new Message<string, byte[]> { Key = e.PartitionKey, Value = new ClickEventAvroSerializer(v3Id).Serialize(e) });
            await producer.ProduceAsync("clicks", new Message<string, byte[]> { Key = e.PartitionKey, Value = "{\"json\":true}"u8.ToArray() });
            producer.Flush(TimeSpan.FromSeconds(10));
        }

        // 3. Read the partition from the start (assigned, so no group rebalance) and decode every frame.
        using var consumer = factory.CreateConsumer("schemas-it");
        consumer.Assign(new TopicPartitionOffset("clicks", 0, Offset.Beginning));
        var deserializer = new ClickEventAvroDeserializer(client);
        var events = new List<ClickEvent>();
        var deadLetters = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (events.Count + deadLetters.Count < 3 && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (result?.Message is null) continue;
            if (deserializer.TryDeserialize(result.Message.Value, out var evt, out var error)) events.Add(evt!);
            else deadLetters.Add(error.ReasonCode);
        }

        // 4. Both producers' events arrive as v3 events; the JSON frame is dead-lettered with its reason.
        Assert.Equal(2, events.Count);
        Assert.Equal((e.EventId, e.PriceCents, 1), (events[0].EventId, events[0].PriceCents, events[0].SchemaVersion));
        Assert.Null(events[0].GeoCountry);
        Assert.Equal(e, events[1]);
        Assert.Equal([AvroReasonCodes.BadMagic], deadLetters);
    }
}
