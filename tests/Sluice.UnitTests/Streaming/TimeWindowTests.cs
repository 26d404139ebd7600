using Sluice.Core.Errors;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Testing;
using Sluice.Streaming.Time;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Streaming;

public class TimeWindowTests
{
    private static readonly WatermarkStrategy NoDelay = WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero);
    private static readonly WatermarkStrategy Delay10 = WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(10));

    private static TopologyTestDriver Driver(TimeWindows windows, WatermarkStrategy? strategy = null, EmitStrategy emit = EmitStrategy.OnWindowClose, int maxEntries = 10_000) =>
        new(new TestTopology(windows, emit, maxEntries), strategy ?? NoDelay);

    private static TimeWindows Tumbling100 => TumblingWindows.Of(TimeSpan.FromMilliseconds(100));

    [Fact]
    public void tumbling_window_is_emitted_once_when_the_watermark_reaches_its_end()
    {
        using var d = Driver(Tumbling100);
        d.Pipe(TestTopology.Input("a", 10));
        d.Pipe(TestTopology.Input("a", 99, 2));
        Assert.Empty(d.Output<string>("out"));

        d.Pipe(TestTopology.Input("a", 100, 5)); // watermark becomes 100 = end of [0,100)
        Assert.Equal(["a [0,100) 1,2"], d.Output<string>("out"));

        d.Pipe(TestTopology.Input("a", 150));
        d.AdvanceWatermarkTo(190);
        Assert.Single(d.Output<string>("out"));
    }

    [Fact]
    public void event_exactly_at_the_window_end_belongs_to_the_next_window()
    {
        using var d = Driver(Tumbling100);
        d.Pipe(TestTopology.Input("a", 0));
        d.Pipe(TestTopology.Input("a", 100, 7));
        d.EndOfInput();
        Assert.Equal(["a [0,100) 1", "a [100,200) 7"], d.Output<string>("out"));
    }

    [Fact]
    public void window_is_not_emitted_while_the_watermark_is_one_millisecond_before_its_end()
    {
        using var d = Driver(Tumbling100);
        d.Pipe(TestTopology.Input("a", 5));
        d.AdvanceWatermarkTo(99);
        Assert.Empty(d.Output<string>("out"));
        d.AdvanceWatermarkTo(100);
        Assert.Single(d.Output<string>("out"));
    }

    [Fact]
    public void event_exactly_at_the_watermark_is_on_time_and_one_before_is_late()
    {
        using var d = Driver(Tumbling100, Delay10);
        d.Pipe(TestTopology.Input("a", 5));
        d.Pipe(TestTopology.Input("a", 110)); // watermark 100 closes [0,100)
        d.Pipe(TestTopology.Input("a", 100, 3));
        Assert.Empty(d.Output<object>("late"));
        d.Pipe(TestTopology.Input("a", 99, 4));
        Assert.Equal(99, Assert.Single(d.Output<LateRecord<long>>("late")).EventTimestamp);
        d.EndOfInput();
        Assert.Equal(["a [0,100) 1", "a [100,200) 1,3"], d.Output<string>("out"));
    }

    [Fact]
    public void late_event_after_its_window_closed_goes_to_the_late_output_with_window_and_reason()
    {
        using var d = Driver(Tumbling100, Delay10);
        d.Pipe(TestTopology.Input("a", 50));
        d.Pipe(TestTopology.Input("a", 115)); // watermark 105 closes [0,100)
        d.Pipe(TestTopology.Input("a", 99, 9));

        var late = Assert.Single(d.Output<LateRecord<long>>("late"));
        Assert.Equal(StreamReasonCodes.WindowClosed, late.ReasonCode);
        Assert.Equal((0, 100, 99, 105, 9L), (late.WindowStart, late.WindowEnd, late.EventTimestamp, late.Watermark, late.Value));
        Assert.Equal(("in", 0, 2L), (late.Source.Topic, late.Source.Partition, late.Source.Offset));
        Assert.Equal(1, d.Task().Metrics.Get(StreamReasonCodes.LateCounterPrefix + "sum"));
        Assert.Equal(["a [0,100) 1"], d.Output<string>("out"));
    }

    [Fact]
    public void allowed_lateness_keeps_the_window_open_and_emits_once_after_end_plus_lateness()
    {
        using var d = Driver(Tumbling100.WithAllowedLateness(TimeSpan.FromMilliseconds(50)));
        d.Pipe(TestTopology.Input("a", 50));
        d.Pipe(TestTopology.Input("a", 120)); // watermark 120: past end, within lateness
        d.Pipe(TestTopology.Input("a", 60, 4));
        Assert.Empty(d.Output<string>("out"));
        d.Pipe(TestTopology.Input("a", 150)); // 150 = end + lateness
        Assert.Equal(["a [0,100) 1,4"], d.Output<string>("out"));
        d.Pipe(TestTopology.Input("a", 70));
        Assert.Single(d.Output<LateRecord<long>>("late"));
    }

    [Fact]
    public void keys_are_aggregated_separately_and_emitted_in_first_seen_order()
    {
        using var d = Driver(Tumbling100);
        d.Pipe(TestTopology.Input("b", 1));
        d.Pipe(TestTopology.Input("a", 2, 2));
        d.Pipe(TestTopology.Input("b", 3, 3));
        d.EndOfInput();
        Assert.Equal(["b [0,100) 1,3", "a [0,100) 2"], d.Output<string>("out"));
    }

    [Fact]
    public void hopping_event_counts_in_every_window_that_contains_it()
    {
        using var d = Driver(HoppingWindows.Of(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(10)));
        d.Pipe(TestTopology.Input("a", 125));
        d.EndOfInput();
        Assert.Equal(
            ["a [80,130) 1", "a [90,140) 1", "a [100,150) 1", "a [110,160) 1", "a [120,170) 1"],
            d.Output<string>("out"));
    }

    [Fact]
    public void hopping_windows_are_unions_of_their_panes()
    {
        using var d = Driver(HoppingWindows.Of(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(10)));
        d.Pipe(TestTopology.Input("a", 5, 1));
        d.Pipe(TestTopology.Input("a", 15, 2));
        d.Pipe(TestTopology.Input("a", 25, 3));
        d.EndOfInput();
        Assert.Equal(["a [-10,10) 1", "a [0,20) 1,2", "a [10,30) 2,3", "a [20,40) 3"], d.Output<string>("out"));
    }

    [Fact]
    public void hopping_event_late_for_some_windows_counts_in_the_rest_and_is_not_routed_late()
    {
        using var d = Driver(HoppingWindows.Of(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(10)));
        d.Pipe(TestTopology.Input("a", 5));
        d.Pipe(TestTopology.Input("a", 20)); // watermark 20 closes [-10,10) and [0,20)
        d.Pipe(TestTopology.Input("a", 12, 7)); // [0,20) closed, [10,30) open
        d.EndOfInput();
        Assert.Empty(d.Output<object>("late"));
        Assert.Contains("a [10,30) 1,7", d.Output<string>("out"));
        Assert.Equal(1, d.Task().Metrics.Get("late_partial.sum"));
    }

    [Fact]
    public void a_window_already_due_when_its_first_record_arrives_fires_at_once_not_at_the_next_watermark()
    {
        using var d = Driver(HoppingWindows.Of(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(10)));
        d.Pipe(TestTopology.Input("a", 35)); // watermark 35: [20,40) and [30,50) open, nothing due
        Assert.Empty(d.Output<string>("out"));
        // [10,30) ended before the watermark but never fired, having no data; b's record makes it due as it arrives.
        d.Pipe(TestTopology.Input("b", 25, 4));
        Assert.Equal(["b [10,30) 4"], d.Output<string>("out"));
        Assert.Equal(35, d.Task().Watermark);
    }

    [Fact]
    public void windows_without_data_are_not_emitted()
    {
        using var d = Driver(Tumbling100);
        d.Pipe(TestTopology.Input("a", 10));
        d.Pipe(TestTopology.Input("a", 1010));
        d.EndOfInput();
        Assert.Equal(["a [0,100) 1", "a [1000,1100) 1"], d.Output<string>("out"));
    }

    [Fact]
    public void early_updates_are_marked_not_final_and_the_final_result_comes_once()
    {
        using var d = Driver(Tumbling100, emit: EmitStrategy.OnEveryUpdate);
        d.Pipe(TestTopology.Input("a", 10));
        d.Pipe(TestTopology.Input("a", 20, 2));
        d.EndOfInput();
        Assert.Equal(["a [0,100) 1 early", "a [0,100) 1,2 early", "a [0,100) 1,2"], d.Output<string>("out"));
    }

    [Fact]
    public void full_window_store_closes_the_oldest_window_early_and_counts_it()
    {
        using var d = Driver(Tumbling100, Delay10.WithIdleness(TimeSpan.FromMinutes(1)), maxEntries: 2);
        d.Pipe(TestTopology.Input("a", 10));
        d.Pipe(TestTopology.Input("b", 20));
        d.Pipe(TestTopology.Input("c", 30)); // third entry: [0,100) closes early
        Assert.Equal(["a [0,100) 1", "b [0,100) 1", "c [0,100) 1"], d.Output<string>("out"));
        Assert.Equal(1, d.Task().Metrics.Get("windows_closed_early.sum"));
        Assert.Equal(3, d.Task().Stores[0].Evicted);
        d.Pipe(TestTopology.Input("a", 40)); // its window is gone: late, not lost
        Assert.Single(d.Output<object>("late"));
    }

    [Fact]
    public void window_definitions_are_validated()
    {
        Assert.Throws<ConfigurationException>(() => TumblingWindows.Of(TimeSpan.Zero));
        Assert.Throws<ConfigurationException>(() => HoppingWindows.Of(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2)));
        Assert.Throws<ConfigurationException>(() => TumblingWindows.Of(TimeSpan.FromMinutes(1)).WithAllowedLateness(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ConfigurationException>(() => SessionWindows.WithGap(TimeSpan.Zero));
    }

    [Fact]
    public void window_assignment_is_aligned_to_the_epoch_and_half_open()
    {
        var w = HoppingWindows.Of(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1));
        var minute = 60_000L;
        var windows = w.WindowsFor(5 * minute).ToList();
        Assert.Equal(5, windows.Count);
        Assert.Equal(new Window(minute, 6 * minute), windows[0]);
        Assert.Equal(new Window(5 * minute, 10 * minute), windows[^1]);
        Assert.All(windows, x => Assert.True(x.Contains(5 * minute)));
        Assert.False(new Window(0, 5 * minute).Contains(5 * minute));
        Assert.Equal(-100, TumblingWindows.Of(TimeSpan.FromMilliseconds(100)).LastWindowStart(-1));
    }

    [Fact]
    public void windows_at_the_ends_of_time_saturate_instead_of_wrapping_around()
    {
        var tumbling = TumblingWindows.Of(TimeSpan.FromMilliseconds(100));
        Assert.Equal([new Window(long.MaxValue - 7, long.MaxValue)], tumbling.WindowsFor(long.MaxValue - 1).Take(3));
        var hopping = HoppingWindows.Of(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(50));
        Assert.Equal(2, hopping.WindowsFor(long.MaxValue).Take(5).Count());
        Assert.All(hopping.WindowsFor(long.MaxValue).Take(5), w => Assert.True(w.Start <= w.End));
        Assert.True(tumbling.LastWindowStart(long.MinValue + 5) <= long.MinValue + 5);
    }

    [Fact]
    public void a_record_at_the_earliest_time_a_long_holds_is_late_not_counted_at_the_end_of_time()
    {
        using var d = Driver(Tumbling100);
        d.Pipe(TestTopology.Input("a", 1_000));
        d.Pipe(TestTopology.Input("a", long.MinValue + 5, 9));
        d.EndOfInput();
        Assert.Equal(["a [1000,1100) 1"], d.Output<string>("out"));
        Assert.Equal(9L, Assert.Single(d.Output<LateRecord<long>>("late")).Value);
    }

    [Fact]
    public void early_updates_for_a_record_near_the_end_of_time_stop_at_its_last_window()
    {
        using var d = Driver(HoppingWindows.Of(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(50)), emit: EmitStrategy.OnEveryUpdate);
        d.Pipe(TestTopology.Input("a", long.MaxValue - 1, 3));
        Assert.Equal([$"a [{long.MaxValue - 57},{long.MaxValue}) 3 early", $"a [{long.MaxValue - 7},{long.MaxValue}) 3 early"], d.Output<string>("out"));
    }

    [Fact]
    public void same_input_in_the_same_order_gives_identical_outputs()
    {
        static IReadOnlyList<string> Run()
        {
            using var d = new TopologyTestDriver(new TestTopology(HoppingWindows.Of(TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(10))), Delay10);
            var random = new Random(7);
            for (var i = 0; i < 500; i++) d.Pipe(TestTopology.Input(((char)('a' + random.Next(5))).ToString(), i * 3 + random.Next(20), i));
            d.EndOfInput();
            var all = new List<string>(d.Output<string>("out"));
            foreach (var late in d.Output<LateRecord<long>>("late")) all.Add(late.ToString());
            return all;
        }
        var first = Run();
        Assert.True(first.Count > 100);
        Assert.Equal(first, Run());
    }
}
