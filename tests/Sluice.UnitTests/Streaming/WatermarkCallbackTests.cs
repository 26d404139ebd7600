using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.Testing;
using Sluice.Streaming.Time;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Streaming;

public class WatermarkCallbackTests
{
    private static readonly WatermarkStrategy NoDelay = WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero);

    [Fact]
    public void a_listener_is_called_only_once_the_watermark_reaches_the_time_it_asked_for()
    {
        var topology = new CallbackTopology();
        using var d = new TopologyTestDriver(topology, NoDelay);
        for (var ts = 0; ts < 100; ts++) d.Pipe(BitConverter.GetBytes((long)ts)); // each asks for a call at ts + 100
        Assert.Equal(0, topology.Listener.Calls);

        d.Pipe(BitConverter.GetBytes(100L));
        Assert.Equal([100L], topology.Listener.Watermarks);

        // The call answered every request made before it; what is still pending is what the listener returned (nothing).
        d.Pipe(BitConverter.GetBytes(101L));
        Assert.Equal([100L], topology.Listener.Watermarks);
        d.AdvanceWatermarkTo(201);
        Assert.Equal([100L, 201L], topology.Listener.Watermarks);
    }

    [Fact]
    public void the_time_a_listener_returns_is_kept_until_the_watermark_reaches_it()
    {
        var topology = new CallbackTopology { NextDue = 500 };
        using var d = new TopologyTestDriver(topology, NoDelay);
        d.Pipe(BitConverter.GetBytes(0L)); // asks for 100
        d.AdvanceWatermarkTo(100);
        Assert.Equal([100L], topology.Listener.Watermarks);

        d.AdvanceWatermarkTo(499);
        Assert.Single(topology.Listener.Watermarks);
        d.AdvanceWatermarkTo(500);
        Assert.Equal([100L, 500L], topology.Listener.Watermarks);
    }

    [Fact]
    public void windows_still_fire_at_their_end_when_the_watermark_jumps_past_several()
    {
        using var d = new TopologyTestDriver(new TestTopology(TumblingWindows.Of(TimeSpan.FromMilliseconds(100))), NoDelay);
        d.Pipe(TestTopology.Input("a", 10));
        d.Pipe(TestTopology.Input("a", 150));
        d.Pipe(TestTopology.Input("a", 250));
        d.AdvanceWatermarkTo(1000);
        Assert.Equal(["a [0,100) 1", "a [100,200) 1", "a [200,300) 1"], d.Output<string>("out"));
    }

    [Theory]
    [InlineData(100, 100)]
    [InlineData(300, 100)]
    [InlineData(500, 50)]
    public void recycled_accumulators_give_the_same_results_as_fresh_ones(int sizeMs, int advanceMs)
    {
        var windows = HoppingWindows.Of(TimeSpan.FromMilliseconds(sizeMs), TimeSpan.FromMilliseconds(advanceMs));
        var recycling = new RecyclingSumAggregator();
        using var fresh = new TopologyTestDriver(new TestTopology(windows), WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(40)));
        using var reused = new TopologyTestDriver(new TestTopology(windows) { Recycling = recycling },
            WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(40)));
        PipeToBoth(fresh, reused, seed: sizeMs + advanceMs, count: 5000, keys: 7, step: r => r.Next(0, 4), maxDisorder: 30, maxValue: 100);

        Assert.True(recycling.Resets > 0, "the operator never reused an accumulator");
        Assert.Equal(fresh.Output<string>("out"), reused.Output<string>("out"));
        Assert.NotEmpty(fresh.Output<string>("out"));
    }

    [Theory]
    [InlineData(300, 100, 10_000, 50, 0)]
    [InlineData(500, 50, 10_000, 50, 0)]
    [InlineData(400, 100, 40, 50, 0)]
    // Records behind the watermark: some land in panes already in the running total (partly late), with and without
    // allowed lateness.
    [InlineData(300, 100, 10_000, 200, 0)]
    [InlineData(500, 50, 10_000, 300, 120)]
    public void sliding_totals_give_the_same_hopping_results_as_merging_panes(int sizeMs, int advanceMs, int maxEntries, int maxDisorder, int latenessMs)
    {
        // Bursts and gaps make windows skip (a rebuild) and keys come and go; a small store forces early closes.
        var windows = HoppingWindows.Of(TimeSpan.FromMilliseconds(sizeMs), TimeSpan.FromMilliseconds(advanceMs))
            .WithAllowedLateness(TimeSpan.FromMilliseconds(latenessMs));
        var strategy = WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(60));
        var invertible = new InvertibleSumAggregator();
        using var merged = new TopologyTestDriver(new TestTopology(windows, maxEntries: maxEntries), strategy);
        using var sliding = new TopologyTestDriver(new TestTopology(windows, maxEntries: maxEntries) { Invertible = invertible }, strategy);
        PipeToBoth(merged, sliding, seed: sizeMs * 7 + advanceMs + maxEntries, count: 8000, keys: 9,
            step: r => r.Next(20) == 0 ? r.Next(0, 2000) : r.Next(0, 4), maxDisorder, maxValue: 1000);

        Assert.True(invertible.Subtractions > 100, "the windows never slid");
        // A partly late record's pane is already in the running totals, which it must join directly.
        if (maxDisorder > 60) Assert.True(sliding.Task().Metrics.Get("late_partial.sum") > 50, "no record landed in a pane already in the totals");
        var expected = merged.Output<string>("out").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, sliding.Output<string>("out").Order(StringComparer.Ordinal).ToList());
        Assert.Equal(merged.Output<LateRecord<long>>("late").Count, sliding.Output<LateRecord<long>>("late").Count);
    }

    [Fact]
    public void recycled_session_state_gives_the_same_sessions_as_fresh_state()
    {
        var sessions = SessionWindows.WithGap(TimeSpan.FromMilliseconds(50));
        var recycling = new RecyclingSumAggregator();
        var strategy = WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(20));
        using var fresh = new TopologyTestDriver(new TestTopology(sessions), strategy);
        using var reused = new TopologyTestDriver(new TestTopology(sessions) { Recycling = recycling }, strategy);
        // Out-of-order times bridge sessions now and then, so merged sessions are recycled too.
        PipeToBoth(fresh, reused, seed: 11, count: 5000, keys: 20, step: r => r.Next(0, 6), maxDisorder: 15, maxValue: 100);

        Assert.True(recycling.Resets > 100, "closed sessions were not reused");
        Assert.Equal(fresh.Output<string>("out"), reused.Output<string>("out"));
    }

    /// <summary>The same seeded stream into both drivers: times advance by <paramref name="step"/> and arrive up to <paramref name="maxDisorder"/> ms out of order; then end of input.</summary>
    private static void PipeToBoth(TopologyTestDriver a, TopologyTestDriver b, int seed, int count, int keys, Func<Random, int> step, int maxDisorder, int maxValue)
    {
        var random = new Random(seed);
        long ts = 0;
        for (var i = 0; i < count; i++)
        {
            ts += step(random);
            var input = TestTopology.Input($"k{random.Next(keys)}", Math.Max(0, ts - random.Next(0, maxDisorder)), random.Next(1, maxValue));
            a.Pipe(input);
            b.Pipe(input);
        }
        a.EndOfInput();
        b.EndOfInput();
    }

    /// <summary>Payloads are a little-endian long event time; the listener asks for a call 100 ms after each one.</summary>
    private sealed class CallbackTopology : ITopology
    {
        public CountingListener Listener { get; } = new();

        public long NextDue
        {
            get => Listener.NextDue;
            init => Listener.NextDue = value;
        }

        public string Name => "callbacks";

        public IReadOnlyList<string> SourceTopics { get; } = ["in"];

        public string DeadLetterTopic => "dlq";

        public TaskTopology Build(TaskId taskId)
        {
            var b = new TaskTopologyBuilder();
            return b.Build(b.Add(Listener));
        }
    }

    private sealed class CountingListener : IProcessor<byte[]?, byte[]>, IWatermarkListener
    {
        private IProcessorContext _context = null!;

        public long NextDue { get; set; } = EventTime.EndOfTime;

        public List<long> Watermarks { get; } = [];

        public int Calls => Watermarks.Count;

        public void Init(IProcessorContext context) => _context = context;

        public void Process(in Record<byte[]?, byte[]> record)
        {
            var ts = BitConverter.ToInt64(record.Value);
            _context.ReportEventTime(ts);
            _context.RequestWatermarkCallback(ts + 100);
        }

        public long OnWatermark(long watermark)
        {
            Watermarks.Add(watermark);
            return Watermarks.Count == 1 ? NextDue : EventTime.EndOfTime;
        }

        public void Close()
        {
        }
    }
}
