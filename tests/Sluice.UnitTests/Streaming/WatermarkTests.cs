using Sluice.Core.Errors;
using Sluice.Streaming.Time;

namespace Sluice.UnitTests.Streaming;

public class WatermarkTests
{
    [Fact]
    public void watermark_is_the_max_event_time_minus_the_out_of_orderness_default_two_minutes()
    {
        var generator = WatermarkStrategy.ForBoundedOutOfOrderness(WatermarkStrategy.DefaultOutOfOrderness).CreateGenerator();
        Assert.Equal(EventTime.NoWatermark, generator.OnPeriodicEmit());
        generator.OnEvent(1_000_000);
        generator.OnEvent(900_000); // older events do not pull it back
        Assert.Equal(1_000_000 - 120_000, generator.OnPeriodicEmit());
    }

    [Fact]
    public void task_watermark_is_the_minimum_over_its_partitions()
    {
        var w = new TaskWatermark(WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero));
        w.AddPartition("a", 0);
        w.AddPartition("b", 0);
        w.OnEvent("a", 500, 0);
        Assert.Equal(EventTime.NoWatermark, w.Current); // b has said nothing yet
        w.OnEvent("b", 300, 0);
        Assert.Equal(300, w.Current);
        w.OnEvent("b", 800, 0);
        Assert.Equal(500, w.Current);
    }

    [Fact]
    public void idle_partition_stops_holding_the_task_back_and_rejoins_when_it_speaks()
    {
        var w = new TaskWatermark(WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero).WithIdleness(TimeSpan.FromSeconds(10)));
        w.AddPartition("a", 0);
        w.AddPartition("b", 0);
        w.OnEvent("b", 100, 0);
        w.OnEvent("a", 1000, 5_000);
        Assert.Equal(100, w.Current);

        Assert.True(w.OnPeriodicEmit(10_000)); // b silent for 10 s: idle
        Assert.True(w.IsIdle("b"));
        Assert.Equal(1000, w.Current);

        w.OnEvent("b", 200, 11_000); // back, but the watermark never goes back
        Assert.False(w.IsIdle("b"));
        Assert.Equal(1000, w.Current);
    }

    [Fact]
    public void watermark_strategy_rejects_negative_and_zero_settings()
    {
        Assert.Throws<ConfigurationException>(() => WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ConfigurationException>(() => WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero).WithIdleness(TimeSpan.Zero));
    }

    [Fact]
    public void event_time_arithmetic_saturates_instead_of_overflowing()
    {
        Assert.Equal(long.MaxValue, EventTime.Add(long.MaxValue - 5, 10));
        Assert.Equal(long.MinValue, EventTime.Add(long.MinValue, -1));
        Assert.Equal(-10, EventTime.FloorTo(-1, 10));
        Assert.Equal(10, EventTime.FloorTo(19, 10));
        // A floor below the earliest time a long holds saturates there, as Add does, instead of wrapping to the far future.
        Assert.Equal(long.MinValue, EventTime.FloorTo(long.MinValue, 100));
        Assert.Equal(long.MinValue, EventTime.FloorTo(long.MinValue + 5, 100));
        Assert.Equal(-9_223_372_036_854_775_700, EventTime.FloorTo(long.MinValue + 150, 100));
        Assert.Equal(long.MaxValue - 7, EventTime.FloorTo(long.MaxValue, 100));
    }
}
