using Confluent.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Processing;
using Sluice.TestKit;
using TopicPartition = Confluent.Kafka.TopicPartition;

namespace Sluice.IntegrationTests.Pipelines;

/// <summary>What integration tests do with the clickstream topology over the embedded broker: run it in a group, read its outputs.</summary>
internal static class PipelineRun
{
    /// <summary>Runs the topology through the real Kafka binding until it has processed <paramref name="expected"/> input records.</summary>
    public static long RunTopology(BrokerFixture broker, ClickstreamOptions options, long expected, TimeSpan timeout)
    {
        var topology = new ClickstreamTopology(options);
        using var collector = ClickstreamJson.RegisterAll(new KafkaRecordCollector(broker.Factory));
        using var source = new KafkaPartitionSource(broker.Factory, "clickstream-it-" + Guid.NewGuid().ToString("N"));
        using var tasks = new TaskManager(topology, topology.WatermarkStrategy, TimeProvider.System, collector);
        StreamRunner? runner = null;
        runner = new StreamRunner(source, tasks, [options.InputTopic], TimeProvider.System, outputs: collector);
        using var cts = new CancellationTokenSource(timeout);
        runner.Run(cts.Token, endOfInput: () => runner.Processed >= expected);
        if (runner.Processed < expected)
            throw new TimeoutException($"the topology processed {runner.Processed:N0} of {expected:N0} input records within {timeout.TotalMinutes} min");
        return runner.Processed;
    }

    /// <summary>Every record a topic holds, read by direct assignment (no group, so no slow rebalance), each mapped by <paramref name="map"/>.</summary>
    public static List<T> ReadAll<T>(BrokerFixture broker, string topic, Func<ConsumeResult<byte[], byte[]>, T> map, TimeSpan timeout)
    {
        using var consumer = broker.Factory.CreateConsumer<byte[], byte[]>("clickstream-it-reader-" + Guid.NewGuid().ToString("N"));
        var partitions = broker.Broker.Topics[topic];
        var remaining = new Dictionary<int, long>();
        for (var p = 0; p < partitions; p++)
        {
            var high = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(30)).High.Value;
            if (high > 0) remaining[p] = high;
        }
        consumer.Assign(remaining.Keys.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var values = new List<T>();
        var deadline = DateTime.UtcNow + timeout;
        while (remaining.Count > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"reading {topic}: {values.Count:N0} records read, partitions {string.Join(",", remaining.Keys)} not at their end within {timeout.TotalMinutes} min");
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r is null || r.IsPartitionEOF) continue;
            values.Add(map(r));
            if (r.Offset.Value + 1 >= remaining.GetValueOrDefault(r.Partition.Value, long.MaxValue)) remaining.Remove(r.Partition.Value);
        }
        return values;
    }
}
