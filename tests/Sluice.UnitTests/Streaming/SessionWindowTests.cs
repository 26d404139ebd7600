using Sluice.Streaming.Errors;
using Sluice.Streaming.Testing;
using Sluice.Streaming.Time;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Streaming;

public class SessionWindowTests
{
    private static readonly WatermarkStrategy NoDelay = WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero);

    private static TopologyTestDriver Driver(SessionWindows windows, EmitStrategy emit = EmitStrategy.OnWindowClose, int maxEntries = 10_000) =>
        new(new TestTopology(windows, emit, maxEntries), NoDelay);

    private static SessionWindows Gap100 => SessionWindows.WithGap(TimeSpan.FromMilliseconds(100));

    [Fact]
    public void events_closer_than_the_gap_share_a_session_whose_window_ends_gap_after_the_last()
    {
        using var d = Driver(Gap100);
        d.Pipe(TestTopology.Input("u", 0));
        d.Pipe(TestTopology.Input("u", 99, 2));
        d.Pipe(TestTopology.Input("u", 150, 3));
        d.AdvanceWatermarkTo(249);
        Assert.Empty(d.Output<string>("out"));
        d.AdvanceWatermarkTo(250);
        Assert.Equal(["u [0,250) 1,2,3"], d.Output<string>("out"));
    }

    [Fact]
    public void event_exactly_one_gap_after_the_last_starts_a_new_session_and_both_are_emitted()
    {
        using var d = Driver(Gap100);
        d.Pipe(TestTopology.Input("u", 0));
        d.Pipe(TestTopology.Input("u", 100, 2));
        d.EndOfInput();
        Assert.Equal(["u [0,100) 1", "u [100,200) 2"], d.Output<string>("out"));
    }

    [Fact]
    public void an_out_of_order_event_that_bridges_two_sessions_merges_them()
    {
        using var d = new TopologyTestDriver(new TestTopology(Gap100), WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromSeconds(1)));
        d.Pipe(TestTopology.Input("u", 0, 1));
        d.Pipe(TestTopology.Input("u", 180, 3));
        d.Pipe(TestTopology.Input("u", 400, 4));
        d.Pipe(TestTopology.Input("u", 90, 2)); // [90,190) overlaps [0,100) and [180,280), not [400,500)
        d.EndOfInput();
        Assert.Equal(["u [0,280) 1,2,3", "u [400,500) 4"], d.Output<string>("out"));
        Assert.Equal(0, d.Task().Stores[0].Count);
    }

    [Fact]
    public void sessions_of_different_keys_are_independent_and_close_in_end_order()
    {
        using var d = Driver(Gap100);
        d.Pipe(TestTopology.Input("a", 0));
        d.Pipe(TestTopology.Input("b", 10));
        d.Pipe(TestTopology.Input("a", 50));
        d.EndOfInput();
        Assert.Equal(["b [10,110) 1", "a [0,150) 1,1"], d.Output<string>("out"));
    }

    [Fact]
    public void event_for_a_session_that_already_closed_goes_to_the_late_output()
    {
        using var d = Driver(Gap100);
        d.Pipe(TestTopology.Input("u", 0));
        d.Pipe(TestTopology.Input("v", 500)); // watermark 500 closes u's session [0,100)
        d.Pipe(TestTopology.Input("u", 50, 9));
        var late = Assert.Single(d.Output<LateRecord<long>>("late"));
        Assert.Equal((StreamReasonCodes.SessionClosed, 50L, 150L, 500L), (late.ReasonCode, late.WindowStart, late.WindowEnd, late.Watermark));
        Assert.Equal(["u [0,100) 1"], d.Output<string>("out"));
    }

    [Fact]
    public void event_within_a_session_closed_moments_ago_is_late_and_does_not_open_an_overlapping_session()
    {
        using var d = Driver(Gap100);
        d.Pipe(TestTopology.Input("u", 0));
        d.Pipe(TestTopology.Input("v", 120)); // watermark 120 closes u's session [0,100)
        // 50 is within u's closed session; a session [50,150) of its own would overlap the one already emitted.
        d.Pipe(TestTopology.Input("u", 50, 9));
        var late = Assert.Single(d.Output<LateRecord<long>>("late"));
        Assert.Equal((StreamReasonCodes.SessionClosed, 50L, 0L, 100L, 120L), (late.ReasonCode, late.EventTimestamp, late.WindowStart, late.WindowEnd, late.Watermark));
        // At the closed session's end, the gap has passed: a new session, and the closed one is not in its way.
        d.Pipe(TestTopology.Input("u", 100, 7));
        d.EndOfInput();
        Assert.Equal(["u [0,100) 1", "u [100,200) 7", "v [120,220) 1"], d.Output<string>("out"));
        Assert.Equal(1, d.Task().Metrics.Get(StreamReasonCodes.LateCounterPrefix + "sum"));
    }

    [Fact]
    public void event_before_the_end_event_of_a_closed_ended_session_is_late_and_one_after_it_opens_a_new_session()
    {
        using var d = Driver(SessionWindows.WithGap(TimeSpan.FromMilliseconds(1000)).WithEndEvent(TimeSpan.FromMilliseconds(20)));
        d.Pipe(TestTopology.Input("u", 0));
        d.Pipe(TestTopology.End("u", 100));
        d.AdvanceWatermarkTo(120); // the ended session [0,120) closes
        d.Pipe(TestTopology.Input("u", 90, 9));
        d.Pipe(TestTopology.Input("u", 110, 5));
        d.EndOfInput();
        Assert.Equal(90L, Assert.Single(d.Output<LateRecord<long>>("late")).EventTimestamp);
        Assert.Equal(["u [0,120) -1,1", "u [110,1110) 5"], d.Output<string>("out"));
    }

    [Fact]
    public void an_event_at_the_watermark_and_at_the_end_event_of_a_session_closed_without_timeout_is_late()
    {
        // Without a timeout the session closes when the watermark reaches its end event: a record stamped exactly there
        // (at the watermark, not behind it) still belongs to the closed session.
        using var d = Driver(SessionWindows.WithGap(TimeSpan.FromMilliseconds(1000)).WithEndEvent(TimeSpan.Zero));
        d.Pipe(TestTopology.Input("u", 0));
        d.Pipe(TestTopology.End("u", 100));
        d.AdvanceWatermarkTo(100);
        Assert.Equal(["u [0,100) -1,1"], d.Output<string>("out"));
        d.Pipe(TestTopology.Input("u", 100, 7));
        d.Pipe(TestTopology.Input("u", 101, 5));
        d.EndOfInput();
        Assert.Equal(100L, Assert.Single(d.Output<LateRecord<long>>("late")).EventTimestamp);
        Assert.Equal(["u [0,100) -1,1", "u [101,1101) 5"], d.Output<string>("out"));
    }

    [Fact]
    public void a_session_closed_early_for_the_store_limit_does_not_turn_its_key_s_next_events_late()
    {
        using var d = Driver(Gap100, maxEntries: 1);
        d.Pipe(TestTopology.Input("u", 0));
        d.Pipe(TestTopology.Input("v", 10)); // over the limit: u's session closes early
        d.Pipe(TestTopology.Input("u", 20, 2));
        d.EndOfInput();
        Assert.Empty(d.Output<LateRecord<long>>("late"));
        Assert.Equal(3, d.Output<string>("out").Count);
    }

    [Fact]
    public void end_event_closes_the_session_after_its_timeout_and_later_events_start_a_new_one()
    {
        using var d = Driver(SessionWindows.WithGap(TimeSpan.FromMilliseconds(1000)).WithEndEvent(TimeSpan.FromMilliseconds(20)));
        d.Pipe(TestTopology.Input("u", 0));
        d.Pipe(TestTopology.End("u", 100));
        d.AdvanceWatermarkTo(119);
        Assert.Empty(d.Output<string>("out"));
        d.AdvanceWatermarkTo(120);
        Assert.Equal(["u [0,120) -1,1"], d.Output<string>("out"));
        d.Pipe(TestTopology.Input("u", 130, 5));
        d.EndOfInput();
        Assert.Equal("u [130,1130) 5", d.Output<string>("out")[^1]);
    }

    [Fact]
    public void straggler_before_the_end_event_joins_the_ended_session_within_the_timeout()
    {
        using var d = new TopologyTestDriver(
            new TestTopology(SessionWindows.WithGap(TimeSpan.FromMilliseconds(1000)).WithEndEvent(TimeSpan.FromMilliseconds(50))),
            WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(40)));
        d.Pipe(TestTopology.Input("u", 0));
        d.Pipe(TestTopology.End("u", 100));
        d.Pipe(TestTopology.Input("u", 90, 7));
        d.EndOfInput();
        Assert.Equal(["u [0,150) -1,1,7"], d.Output<string>("out"));
    }

    [Theory]
    [InlineData(0, 150, 60)]
    [InlineData(150, 0, 60)]
    [InlineData(150, 60, 0)]
    [InlineData(60, 150, 0)]
    public void a_straggler_bridging_an_open_session_and_the_end_event_after_it_makes_one_session_in_any_arrival_order(long first, long second, long third)
    {
        // 0 and 60 are within the gap of each other, 60 and the end event at 150 too: one session, ended at 150.
        using var d = new TopologyTestDriver(
            new TestTopology(SessionWindows.WithGap(TimeSpan.FromMilliseconds(100)).WithEndEvent(TimeSpan.FromMilliseconds(20))),
            WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(1000)));
        foreach (var at in new[] { first, second, third })
            d.Pipe(at == 150 ? TestTopology.End("u", 150) : TestTopology.Input("u", at, at == 0 ? 1 : 2));
        d.EndOfInput();
        Assert.Equal(["u [0,170) -1,1,2"], d.Output<string>("out"));
    }

    [Fact]
    public void an_ended_session_does_not_take_in_an_open_session_after_its_end_event()
    {
        using var d = new TopologyTestDriver(
            new TestTopology(SessionWindows.WithGap(TimeSpan.FromMilliseconds(100)).WithEndEvent(TimeSpan.FromMilliseconds(20))),
            WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(1000)));
        d.Pipe(TestTopology.End("u", 150));
        d.Pipe(TestTopology.Input("u", 180, 3)); // after the end event: a new session
        d.Pipe(TestTopology.Input("u", 140, 2)); // before it: the ended session, though within the gap of 180 too
        d.EndOfInput();
        Assert.Equal(["u [140,170) -1,2", "u [180,280) 3"], d.Output<string>("out"));
    }

    [Fact]
    public void early_session_updates_are_not_final_and_the_final_comes_once()
    {
        using var d = Driver(Gap100, EmitStrategy.OnEveryUpdate);
        d.Pipe(TestTopology.Input("u", 0));
        d.Pipe(TestTopology.Input("u", 10, 2));
        d.EndOfInput();
        Assert.Equal(["u [0,100) 1 early", "u [0,110) 1,2 early", "u [0,110) 1,2"], d.Output<string>("out"));
    }

    [Fact]
    public void full_session_store_closes_the_earliest_ending_session_early_and_counts_it()
    {
        using var d = Driver(Gap100, maxEntries: 2);
        d.Pipe(TestTopology.Input("a", 0));
        d.Pipe(TestTopology.Input("b", 10));
        d.Pipe(TestTopology.Input("c", 20));
        Assert.Equal(["a [0,100) 1"], d.Output<string>("out"));
        Assert.Equal(1, d.Task().Metrics.Get("sessions_closed_early.sum"));
        Assert.Equal(1, d.Task().Stores[0].Evicted);
        Assert.Equal(2, d.Task().Stores[0].Count);
    }
}
