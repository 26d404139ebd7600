using Sluice.Streaming.Processing;

namespace Sluice.UnitTests.Streaming;

public class FanOutTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(9)]
    public void every_child_gets_every_record_in_the_order_given(int children)
    {
        var seen = new List<(int Child, long Timestamp)>();
        var fanOut = new FanOutProcessor<string, int>(Enumerable.Range(0, children).Select(i => (IProcessor<string, int>)new Recorder(i, seen)).ToArray());
        fanOut.Process(new Record<string, int>("k", 1, 10, new RecordSource("t", 0, 0)));
        fanOut.Process(new Record<string, int>("k", 2, 20, new RecordSource("t", 0, 1)));
        var expected = new[] { 10L, 20L }.SelectMany(ts => Enumerable.Range(0, children).Select(i => (i, ts)));
        Assert.Equal(expected, seen);
    }

    [Fact]
    public void a_fan_out_without_children_or_with_a_null_child_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new FanOutProcessor<string, int>());
        Assert.Throws<ArgumentNullException>(() => new FanOutProcessor<string, int>(new Recorder(0, []), null!));
    }

    private sealed class Recorder(int id, List<(int, long)> seen) : IProcessor<string, int>
    {
        public void Init(IProcessorContext context)
        {
        }

        public void Process(in Record<string, int> record) => seen.Add((id, record.Timestamp));

        public void Close()
        {
        }
    }
}
