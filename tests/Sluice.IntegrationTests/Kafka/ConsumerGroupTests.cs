using System.Collections.Concurrent;
using Confluent.Kafka;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Kafka;

public sealed class ConsumerGroupTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task second_member_joining_the_group_takes_over_part_of_the_partitions_and_nothing_is_lost()
    {
        // 1. Six partitions, 3,000 keyed records.
        var topic = fixture.CreateTopic(partitions: 6);
        const int total = 3000;
        using (var producer = fixture.Factory.CreateProducer())
        {
            for (var i = 0; i < total; i++)
                producer.Produce(topic, new Message<string, byte[]> { Key = $"u{i % 97}", Value = BitConverter.GetBytes(i) });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        // 2. Member A joins alone and owns all six partitions; it consumes slowly so work remains.
        var group = $"group-{Guid.NewGuid():N}";
        var consumed = new ConcurrentDictionary<int, int>();
        // Kafka consumer groups are at-least-once: a partition that moves may be read again from its last
        // committed offset. Repeats are recorded with their partition to check they come only from moved ones.
        var repeatedPartitions = new ConcurrentDictionary<int, int>();
        var assignedA = new ConcurrentDictionary<int, bool>();
        var assignedB = new ConcurrentDictionary<int, bool>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var memberA = Task.Run(() => ConsumeLoop("a", assignedA, delayMs: 5), stop.Token);
        await WaitFor(() => assignedA.Count == 6, "member A to own all 6 partitions");

        // 3. Member B joins: a cooperative rebalance moves some partitions to it.
        var memberB = Task.Run(() => ConsumeLoop("b", assignedB, delayMs: 0), stop.Token);
        await WaitFor(() => !assignedB.IsEmpty, "member B to receive partitions in the rebalance");

        // 4. Every record is consumed exactly once across both members.
        await WaitFor(() => consumed.Count == total && assignedA.Count + assignedB.Count == 6, "all records to be consumed");
        var finalA = assignedA.Keys.ToHashSet();
        var finalB = assignedB.Keys.ToHashSet();
        await stop.CancelAsync();
        await Task.WhenAll(memberA, memberB);

        Assert.Equal(total, consumed.Count); // every record seen, none lost
        Assert.All(repeatedPartitions.Keys, p => Assert.Contains(p, finalB));
        Assert.Empty(finalA.Intersect(finalB));
        Assert.Equal(6, finalA.Count + finalB.Count);
        Assert.NotEmpty(finalA);
        Assert.NotEmpty(finalB);

        void ConsumeLoop(string name, ConcurrentDictionary<int, bool> assigned, int delayMs)
        {
            using var consumer = fixture.Factory.CreateConsumer(group, name, b => b
                .SetPartitionsAssignedHandler((_, ps) => { foreach (var p in ps) assigned[p.Partition.Value] = true; })
                .SetPartitionsRevokedHandler((c, ps) =>
                {
                    foreach (var p in ps) assigned.TryRemove(p.Partition.Value, out _);
                    try { c.Commit(); } catch (KafkaException) { }
                }));
            consumer.Subscribe(topic);
            while (!stop.IsCancellationRequested)
            {
                var r = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (r is null || r.IsPartitionEOF) continue;
                if (!consumed.TryAdd(BitConverter.ToInt32(r.Message.Value), 1)) repeatedPartitions[r.Partition.Value] = 1;
                consumer.StoreOffset(new TopicPartitionOffset(r.TopicPartition, r.Offset + 1));
                if (delayMs > 0) Thread.Sleep(delayMs);
            }
            consumer.Close();
        }
    }

    private static async Task WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
