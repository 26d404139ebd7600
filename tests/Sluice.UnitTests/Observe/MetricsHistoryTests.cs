using Sluice.Serve.Api;
using Xunit;

namespace Sluice.UnitTests.Observe;

/// <summary>The API's throughput history: rates from consecutive totals, an hour kept, oldest first.</summary>
public sealed class MetricsHistoryTests
{
    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static InstrumentSnapshot Totals(long recordsIn, long outputs, long deadLetters, long? lag = null, double? watermark = null) =>
        new(recordsIn, new Dictionary<string, long> { ["a"] = outputs / 2, ["b"] = outputs - outputs / 2 }, deadLetters, 0, 0, 0, lag, watermark, 0, 0, 0, null, null, []);

    [Fact]
    public void throughput_is_the_difference_of_consecutive_totals_per_second_elapsed()
    {
        var time = new ManualTime(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var totals = Totals(0, 0, 0);
        var history = new MetricsHistory(() => totals, time);
        var first = history.Sample();
        Assert.Equal((0.0, 0.0, 0.0), (first.RecordsPerSecond, first.OutputsPerSecond, first.DeadLettersPerSecond));

        time.Now += TimeSpan.FromSeconds(1);
        totals = Totals(1_000, 1_400, 20, lag: 55, watermark: 2.5);
        var second = history.Sample();
        Assert.Equal((1_000.0, 1_400.0, 20.0), (second.RecordsPerSecond, second.OutputsPerSecond, second.DeadLettersPerSecond));
        Assert.Equal(55, second.ConsumerLag);
        Assert.Equal(2.5, second.WatermarkLagSeconds);
        Assert.Equal(time.Now.ToUnixTimeMilliseconds(), second.T);

        // A late tick: the difference is spread over the seconds that passed.
        time.Now += TimeSpan.FromSeconds(2);
        totals = Totals(2_000, 1_400, 20);
        var third = history.Sample();
        Assert.Equal(500.0, third.RecordsPerSecond);
        Assert.Equal(0.0, third.OutputsPerSecond);
        Assert.Null(third.ConsumerLag);
        Assert.Same(third, history.Latest);
    }

    [Fact]
    public void the_ring_keeps_the_last_hour_oldest_first()
    {
        var time = new ManualTime(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        long n = 0;
        var history = new MetricsHistory(() => Totals(n, 0, 0), time);
        Assert.Null(history.Latest);
        Assert.Empty(history.Last(60));
        for (var i = 0; i < MetricsHistory.Capacity + 100; i++)
        {
            n += i;
            history.Sample();
            time.Now += TimeSpan.FromSeconds(1);
        }
        var all = history.Last(10_000);
        Assert.Equal(MetricsHistory.Capacity, all.Count);
        Assert.Equal(all.Select(p => p.T).Order(), all.Select(p => p.T));
        Assert.Equal(MetricsHistory.Capacity + 99, all[^1].RecordsPerSecond);
        Assert.Equal(100, all[0].RecordsPerSecond);
        var minute = history.Last(60);
        Assert.Equal(60, minute.Count);
        Assert.Equal(all.Skip(all.Count - 60), minute);
    }
}
