using System.Buffers;
using System.Text;
using Confluent.Kafka;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Processing;

namespace Sluice.IntegrationTests.Kafka;

public sealed class KafkaRecordCollectorTests : IDisposable
{
    private const string Topic = "collector-out";
    private readonly EmbeddedBroker _broker;
    private readonly KafkaClientFactory _factory;

    public KafkaRecordCollectorTests()
    {
        _broker = EmbeddedBroker.Start(1, [new TopicSpec(Topic, 1)]);
        _factory = new KafkaClientFactory(new KafkaOptions(), _broker.BootstrapServers);
    }

    public void Dispose() => _broker.Dispose();

    private List<ConsumeResult<byte[]?, byte[]?>> ReadAll(int expected)
    {
        using var consumer = _factory.CreateConsumer<byte[]?, byte[]?>("collector-test-" + Guid.NewGuid().ToString("N"));
        consumer.Assign(new TopicPartitionOffset(Topic, 0, Offset.Beginning));
        var results = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (results.Count < expected && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r is { IsPartitionEOF: false }) results.Add(r);
        }
        return results;
    }

    private static Record<TKey, string> Rec<TKey>(TKey key, string value, long ts, IReadOnlyList<RecordHeader>? headers = null) =>
        new(key, value, ts, new RecordSource("in", 0, 1), headers);

    [Fact]
    public void records_arrive_with_their_keys_values_timestamps_and_headers_in_order()
    {
        var guid = Guid.Parse("0b7e7dc3-3c38-4bb1-9a5e-1a2b3c4d5e6f");
        using (var collector = new KafkaRecordCollector(_factory).Register<string>(static (s, output) => output.Write(Encoding.UTF8.GetBytes(s.ToUpperInvariant()))))
        {
            collector.Send(Topic, Rec("user-ü", "first", 1_000));
            collector.Send(Topic, Rec(42, "second", 2_000, [new RecordHeader("a", [1, 2]), new RecordHeader("null", null), new RecordHeader("empty", [])]));
            collector.Send(Topic, Rec(7_000_000_000L, "third", 3_000));
            collector.Send(Topic, Rec(guid, "fourth", 4_000));
            collector.Send<string?, string>(Topic, new Record<string?, string>(null, "no key", 5_000, new RecordSource("in", 0, 2)));
            var sender = collector.SenderFor<string, string>(Topic);
            sender.Send(Rec("bound", new string('x', 600_000), 6_000));
            collector.Send(Topic, Rec("", "empty key", 7_000));
            collector.Flush();
            Assert.Equal(0, collector.Failed);
        }

        var r = ReadAll(7);
        Assert.Equal(7, r.Count);
        Assert.Equal("USER-Ü", Encoding.UTF8.GetString(r[0].Message.Key!));
        Assert.Equal("FIRST", Encoding.UTF8.GetString(r[0].Message.Value!));
        Assert.Equal(1_000, r[0].Message.Timestamp.UnixTimestampMs);
        Assert.Empty(r[0].Message.Headers ?? []);

        Assert.Equal("42", Encoding.UTF8.GetString(r[1].Message.Key!));
        var headers = r[1].Message.Headers!;
        Assert.Equal(["a", "null", "empty"], headers.Select(h => h.Key));
        Assert.Equal([1, 2], headers[0].GetValueBytes());
        Assert.Null(headers[1].GetValueBytes());
        Assert.Empty(headers[2].GetValueBytes());
        Assert.Equal(2_000, r[1].Message.Timestamp.UnixTimestampMs);

        Assert.Equal("7000000000", Encoding.UTF8.GetString(r[2].Message.Key!));
        Assert.Equal(guid.ToString(), Encoding.UTF8.GetString(r[3].Message.Key!));
        Assert.Null(r[4].Message.Key);
        Assert.Equal("NO KEY", Encoding.UTF8.GetString(r[4].Message.Value!));
        Assert.Equal("BOUND", Encoding.UTF8.GetString(r[5].Message.Key!));
        Assert.Equal(600_000, r[5].Message.Value!.Length);
        Assert.NotNull(r[6].Message.Key);
        Assert.Empty(r[6].Message.Key!);
    }

    [Fact]
    public void records_that_cannot_be_delivered_make_flush_throw_once_so_their_offsets_are_not_committed()
    {
        // Nothing listens on this port: every record times out after a second instead of the default two minutes.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var nowhere = new KafkaClientFactory(new KafkaOptions(), $"127.0.0.1:{port}");
        using var collector = new KafkaRecordCollector(nowhere, c => c.MessageTimeoutMs = 1_000);

        collector.Send(Topic, Rec("k", "lost", 0));
        collector.Send(Topic, Rec("k", "lost too", 0));
        var ex = Assert.Throws<SluiceException>(collector.Flush);
        Assert.StartsWith("2 output record(s) could not be delivered to Kafka", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.IsTransient);
        Assert.Equal(2, collector.Failed);
        collector.Flush(); // reported once: nothing new failed since
    }

    [Fact]
    public void a_value_type_without_a_serializer_fails_naming_the_type_and_the_fix()
    {
        using var collector = new KafkaRecordCollector(_factory);
        var ex = Assert.Throws<SluiceException>(() => collector.Send(Topic, new Record<string, DateTime>("k", DateTime.UnixEpoch, 0, new RecordSource("in", 0, 0))));
        Assert.Contains("no serializer registered for DateTime", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Register<DateTime>", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_record_the_client_refuses_throws_naming_the_topic_instead_of_vanishing()
    {
        // message.max.bytes bounds a single record; librdkafka refuses a larger one when it is queued.
        using var collector = new KafkaRecordCollector(_factory);
        var ex = Assert.Throws<SluiceException>(() => collector.Send(Topic, Rec("k", new string('x', 20_000_000), 0)));
        Assert.Contains(Topic, ex.Message, StringComparison.Ordinal);
    }
}
