using Confluent.Kafka;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Manifests;
using Sluice.Generate.Writers;
using Sluice.Kafka;

namespace Sluice.IntegrationTests.Generate;

public sealed class KafkaTrafficWriterTests : IDisposable
{
    private const int Partitions = 3;
    private readonly EmbeddedBroker _broker;
    private readonly KafkaClientFactory _factory;

    private static readonly GeneratorSettings Settings = new() { Users = 500, Products = 100, MaxEvents = 3_000, CdcRate = 0.01 };

    public KafkaTrafficWriterTests()
    {
        _broker = EmbeddedBroker.Start(1, [new TopicSpec(Settings.EventsTopic, Partitions), new TopicSpec(Settings.CdcTopic, Partitions)]);
        _factory = new KafkaClientFactory(new KafkaOptions(), _broker.BootstrapServers);
    }

    public void Dispose() => _broker.Dispose();

    private List<ConsumeResult<string, byte[]>> ReadAll(string topic, long expected)
    {
        using var consumer = _factory.CreateConsumer("generator-test-" + Guid.NewGuid().ToString("N"));
        // Assigning partitions directly skips the mock coordinator's slow rebalance.
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var results = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (results.Count < expected && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r is { IsPartitionEOF: false }) results.Add(r);
        }
        return results;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void every_record_arrives_keyed_timestamped_and_labelled_as_in_the_manifest(bool recordProducer)
    {
        var manifest = new ManifestBuilder();
        RunSummary summary;
        using (var writer = recordProducer
                   ? KafkaTrafficWriter.Create(_factory, "generator-test")
                   : new KafkaTrafficWriter(_factory.CreateProducer("generator-test", KafkaTrafficWriter.Tune)))
        {
            summary = GeneratorRunner.Run(new ClickstreamGenerator(Settings), writer, manifest: manifest);
            Assert.Equal(summary.Records, writer.Delivered);
            Assert.Equal(0, writer.Failed);
        }

        var clicks = ReadAll(Settings.EventsTopic, summary.ClickRecords);
        Assert.Equal(3_000, clicks.Count);
        // Byte for byte what the generator wrote, in order within each key.
        var expected = new List<byte[]>();
        var again = new ClickstreamGenerator(Settings);
        while (again.MoveNext())
            if (again.Current.Kind == RecordKind.Click) expected.Add(again.Current.Payload.ToArray());
        Assert.Equal(expected.OrderBy(Convert.ToHexString), clicks.Select(c => c.Message.Value).OrderBy(Convert.ToHexString));
        var byLabel = clicks.GroupBy(c => KafkaTrafficWriter.LabelOf(c.Message.Headers)).ToDictionary(g => g.Key, g => g.Count());
        for (var k = 0; k < FaultKinds.Count; k++)
        {
            var kind = (FaultKind)k;
            Assert.Equal(manifest.FaultCount(kind), byLabel.GetValueOrDefault(kind));
        }
        // Faulty records carry the header; clean ones go without it.
        Assert.All(clicks.Where(c => KafkaTrafficWriter.LabelOf(c.Message.Headers) != FaultKind.None),
            c => Assert.NotNull(c.Message.Headers.GetLastBytes(FaultKinds.HeaderName)));
        foreach (var c in clicks.Where(c => KafkaTrafficWriter.LabelOf(c.Message.Headers) == FaultKind.None))
        {
            Assert.True(Sluice.Core.Events.ClickEventJson.TryRead(c.Message.Value, out var e, out _));
            Assert.Equal(e!.PartitionKey, c.Message.Key);
            Assert.Equal(e.Timestamp, c.Message.Timestamp.UnixTimestampMs);
        }
        // Keyed by user: one user's events all land in one partition.
        foreach (var user in clicks.GroupBy(c => c.Message.Key))
            Assert.Single(user.Select(c => c.Partition.Value).Distinct());

        var changes = ReadAll(Settings.CdcTopic, summary.CdcRecords);
        Assert.All(changes, c => Assert.Equal(FaultKind.None, KafkaTrafficWriter.LabelOf(c.Message.Headers)));
        Assert.Equal(summary.CdcRecords, changes.Count);
        Assert.Equal(manifest.CdcRecords, changes.Count);
    }
}

public sealed class KafkaTrafficWriterLabelAllTests : IDisposable
{
    private readonly EmbeddedBroker _broker = EmbeddedBroker.Start(1, [new TopicSpec("labels", 1)]);

    public void Dispose() => _broker.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void label_clean_records_puts_none_on_every_clean_message(bool recordProducer)
    {
        var factory = new KafkaClientFactory(new KafkaOptions(), _broker.BootstrapServers);
        var settings = new GeneratorSettings { Users = 100, MaxEvents = 200, Cdc = false, EventsTopic = "labels" };
        using (var writer = recordProducer
                   ? KafkaTrafficWriter.Create(factory, labelCleanRecords: true)
                   : new KafkaTrafficWriter(factory.CreateProducer(), labelCleanRecords: true))
        {
            GeneratorRunner.Run(new ClickstreamGenerator(settings), writer);
        }
        using var consumer = factory.CreateConsumer("labels-" + Guid.NewGuid().ToString("N"));
        consumer.Assign(new TopicPartitionOffset("labels", 0, Offset.Beginning));
        var seen = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (seen < 200 && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r is null || r.IsPartitionEOF) continue;
            Assert.NotNull(r.Message.Headers.GetLastBytes(FaultKinds.HeaderName));
            seen++;
        }
        Assert.Equal(200, seen);
    }
}

public sealed class KafkaTrafficWriterDeliveryFailureTests : IDisposable
{
    private readonly EmbeddedBroker _broker = EmbeddedBroker.Start(1, [new TopicSpec("unreachable", 1)]);

    public void Dispose() => _broker.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void records_a_down_broker_never_acknowledged_fail_the_flush_with_their_count(bool recordProducer)
    {
        var factory = new KafkaClientFactory(new KafkaOptions(), _broker.BootstrapServers);
        factory.EnsureReachable();
        _broker.SetBrokerDown(1);
        var settings = new GeneratorSettings { Users = 100, MaxEvents = 50, Cdc = false, EventsTopic = "unreachable" };
        // Idempotence needs a producer id from the broker; a short timeout fails the queued messages quickly.
        Action<ProducerConfig> quick = c => c.MessageTimeoutMs = 1_500;
        using var writer = recordProducer
            ? KafkaTrafficWriter.Create(factory, "down-test", configure: quick)
            : new KafkaTrafficWriter(factory.CreateProducer("down-test", c => { KafkaTrafficWriter.Tune(c); quick(c); }));
        var ex = Assert.Throws<SluiceException>(() => GeneratorRunner.Run(new ClickstreamGenerator(settings), writer));

        Assert.Equal(50, writer.Failed);
        Assert.Equal(0, writer.Delivered);
        Assert.StartsWith("50 of 50 records were not delivered to Kafka (unreachable: ", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.IsTransient);
    }
}
