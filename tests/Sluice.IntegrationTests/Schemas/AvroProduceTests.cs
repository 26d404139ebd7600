using Confluent.Kafka;
using Sluice.Core.Configuration;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Manifests;
using Sluice.Generate.Writers;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.IntegrationTests.Schemas;

public sealed class AvroProduceTests : IAsyncLifetime
{
    private const int Partitions = 2;
    private static readonly GeneratorSettings Settings = new()
    {
        Users = 300, Products = 100, MaxEvents = 4_000, MalformedRate = 0.1, Cdc = false,
    };

    private EmbeddedBroker _broker = null!;
    private EmbeddedSchemaRegistry _registry = null!;

    public async Task InitializeAsync()
    {
        _broker = EmbeddedBroker.Start(1, [new TopicSpec(Settings.EventsTopic, Partitions)]);
        _registry = await EmbeddedSchemaRegistry.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _broker.Dispose();
    }

    [Fact]
    public async Task generator_in_avro_mode_sends_frames_that_decode_or_fail_as_the_manifest_says()
    {
        var factory = new KafkaClientFactory(new KafkaOptions(), _broker.BootstrapServers);
        using var client = SchemaRegistryClients.Create(_registry.Url.ToString());
        var schemaId = await client.RegisterAvroAsync(_registry.Url.ToString(), Settings.EventsTopic + "-value", EventSchemas.V3Json);
        var manifest = new ManifestBuilder { Format = PayloadFormat.Avro };
        RunSummary summary;
        using (var sink = new AvroTrafficWriter(new KafkaTrafficWriter(factory.CreateProducer("avro-test")), schemaId))
        {
            summary = GeneratorRunner.Run(new ClickstreamGenerator(Settings), sink, manifest: manifest);
        }

        using var consumer = factory.CreateConsumer("avro-test-" + Guid.NewGuid().ToString("N"));
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Settings.EventsTopic, p, Offset.Beginning)));
        using var readerClient = RegistrySchemaSource.Connect(new SchemaRegistryOptions { Url = _registry.Url.ToString() });
        var decoder = new ClickEventDecoder(readerClient);
        var seen = new long[FaultKinds.Count];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long consumed = 0;
        while (consumed < summary.ClickRecords && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r is null || r.IsPartitionEOF) continue;
            consumed++;
            var kind = KafkaTrafficWriter.LabelOf(r.Message.Headers);
            seen[(int)kind]++;
            var ok = decoder.TryDecode(r.Message.Value, out var e, out var error);
            var expected = kind.ExpectedReasonCode(PayloadFormat.Avro);
            if (kind is FaultKind.NegativePrice or FaultKind.ZeroQuantity || expected is null)
            {
                // Valid Avro: validation-level faults are caught after decoding, not by it.
                Assert.True(ok, $"{kind.ToLabel()}: {error.ReasonCode} {error.Detail}");
                Assert.Equal(r.Message.Key, e!.PartitionKey);
                if (kind == FaultKind.None) Assert.Equal(schemaId, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(r.Message.Value.AsSpan(1)));
            }
            else
            {
                Assert.False(ok, kind.ToLabel());
                Assert.Equal(expected, error.ReasonCode);
            }
        }

        Assert.Equal(4_000, consumed);
        for (var k = 0; k < FaultKinds.Count; k++) Assert.Equal(manifest.FaultCount((FaultKind)k), seen[k]);
        foreach (var kind in FaultKinds.Malformed) Assert.True(seen[(int)kind] > 0, kind.ToLabel());
        Assert.Equal(AvroReasonCodes.UnknownSchema, FaultKind.WrongTypes.ExpectedReasonCode(PayloadFormat.Avro));
    }
}
