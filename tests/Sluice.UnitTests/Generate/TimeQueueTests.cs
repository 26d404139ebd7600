using Sluice.Generate;

namespace Sluice.UnitTests.Generate;

public class TimeQueueTests
{
    [Theory]
    [InlineData(1, 50)]
    [InlineData(100, 1_000)]
    [InlineData(1_000, 1_000_000)]
    public void items_come_out_in_the_same_order_as_from_priority_queue_ties_included(int slots, int spread)
    {
        // The generator's stream depends on which of two sessions due at the same millisecond goes first.
        var random = new Random(slots);
        var ours = new TimeQueue<int>(slots);
        var framework = new PriorityQueue<int, long>(slots);
        for (var i = 0; i < slots; i++)
        {
            long time = random.Next(spread);
            ours.Enqueue(i, time);
            framework.Enqueue(i, time);
        }
        for (var step = 0; step < 20_000; step++)
        {
            Assert.True(ours.TryPeekTime(out var peeked));
            var item = ours.Dequeue(out var time);
            Assert.True(framework.TryDequeue(out var expected, out var expectedTime));
            Assert.Equal((expected, expectedTime), (item, time));
            Assert.Equal(time, peeked);
            // Mostly put back later, sometimes at the same time, sometimes one more item or one fewer.
            var next = time + random.Next(spread / 10 + 1);
            if (random.Next(20) != 0)
            {
                ours.Enqueue(item, next);
                framework.Enqueue(item, next);
            }
            if (random.Next(20) == 0 || ours.Count == 0)
            {
                ours.Enqueue(step, next);
                framework.Enqueue(step, next);
            }
            Assert.Equal(framework.Count, ours.Count);
        }
    }

    [Fact]
    public void empty_queue_has_no_time_and_cannot_be_dequeued()
    {
        var queue = new TimeQueue<string>();
        Assert.False(queue.TryPeekTime(out _));
        Assert.Throws<InvalidOperationException>(() => queue.Dequeue(out _));
        queue.Enqueue("a", 5);
        Assert.Equal("a", queue.Dequeue(out var time));
        Assert.Equal(5, time);
        Assert.False(queue.TryPeekTime(out _));
    }
}
