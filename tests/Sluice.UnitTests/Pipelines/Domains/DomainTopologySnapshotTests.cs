using System.Buffers;
using System.Text;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Topology;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Testing;
using static Sluice.UnitTests.Pipelines.Domains.IotDomain;

namespace Sluice.UnitTests.Pipelines.Domains;

public class DomainTopologySnapshotTests
{
    private static readonly RecordSerializers Serializers = DomainJson.RegisterAll(new RecordSerializers());
    private static readonly List<IotReading> Traffic = IotTraffic.Generate(count: 3_000, partitions: 1, devices: 12, seed: 23, lateRate: 0.01);

    [Fact]
    public void a_task_restored_from_snapshots_at_three_cuts_writes_the_same_bytes_as_one_uninterrupted_task()
    {
        var uninterrupted = Run([], out _);
        var restored = Run([700, 1_500, 2_600], out var snapshots);

        Assert.Equal(3, snapshots);
        Assert.Equal(uninterrupted.Count, restored.Count);
        for (var i = 0; i < uninterrupted.Count; i++)
            Assert.True(uninterrupted[i] == restored[i], $"output {i} of {uninterrupted.Count} differs:\n expected {uninterrupted[i]}\n actual   {restored[i]}");
        // Every kind of state had to cross the cuts for that to mean something: open windows and sessions, dedup ids, late and dead letters.
        foreach (var topic in new[] { "iot.valid", "iot.late", "iot.dlq", "iot.aggregated" }) Assert.Contains(uninterrupted, o => o.StartsWith(topic + " ", StringComparison.Ordinal));
        foreach (var aggregate in new[] { "device_stats_1m", "site_stats_15m", "device_sessions" })
            Assert.Contains(uninterrupted, o => o.Contains($" key={aggregate}|", StringComparison.Ordinal));
        Assert.True(Traffic.Skip(700).Count(r => r.Copy) > 10);
    }

    // The traffic through one task, or through a new task (and topology) per piece between the cuts, each restored from
    // the snapshot the one before it took; every output as its topic, key and value bytes, in order.
    private static List<string> Run(IReadOnlyList<int> cuts, out int snapshots)
    {
        var outputs = new List<string>();
        var boundaries = new List<int>(cuts) { Traffic.Count };
        byte[]? snapshot = null;
        snapshots = 0;
        var from = 0;
        foreach (var to in boundaries)
        {
            var topology = new DomainTopology(Definition);
            using var driver = new TopologyTestDriver(topology, topology.WatermarkStrategy, new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 2 * 24 * 60 * Minute)));
            if (snapshot is null) driver.Assign(0);
            else driver.AssignFromSnapshot(0, snapshot, nextOffset: from);
            for (var i = from; i < to; i++) driver.Pipe(Input, 0, Traffic[i].Payload);
            if (to == Traffic.Count) driver.EndOfInput();
            else
            {
                snapshot = driver.Task().Snapshot();
                snapshots++;
            }
            outputs.AddRange(driver.Collector.All.Select(Written));
            from = to;
        }
        return outputs;
    }

    private static string Written(CapturedRecord r)
    {
        var key = r.Key switch
        {
            string s => s,
            AggregateRowKey k => Bytes(k),
            null => "null",
            var other => throw new InvalidOperationException($"no serializer for key {other.GetType()}"),
        };
        var value = r.Value switch
        {
            DomainRecord x => Bytes(x),
            LateRecord<DomainRecord> x => Bytes(x),
            DeadLetterRecord x => Bytes(x),
            AggregateRow x => Bytes(x),
            var other => throw new InvalidOperationException($"no serializer for value {other?.GetType()}"),
        };
        return $"{r.Topic} @{r.Timestamp} key={key} value={value}";
    }

    private static string Bytes<T>(T value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Serializers.For<T>()(value, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
