using Sluice.Core.Events;
using Sluice.Pipelines.Slice;

namespace Sluice.UnitTests.Slice;

public sealed class WindowCountsTests
{
    private static readonly long T0 = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private const long Minute = 60_000;

    private readonly WindowCounts _counts = new(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2));
    private readonly List<WindowCountRow> _closed = [];

    [Fact]
    public void event_exactly_at_window_end_belongs_to_the_next_window()
    {
        _counts.Add(0, T0 + Minute, EventType.PageView, _closed);
        _counts.Flush(_closed);
        var row = Assert.Single(_closed);
        Assert.Equal(T0 + Minute, row.Start.ToUnixTimeMilliseconds());
        Assert.Equal(T0 + 2 * Minute, row.End.ToUnixTimeMilliseconds());
    }

    [Fact]
    public void window_closes_once_when_the_watermark_reaches_its_end()
    {
        _counts.Add(0, T0, EventType.Search, _closed);
        _counts.Add(0, T0 + 3 * Minute - 1, EventType.PageView, _closed); // watermark = T0 + 1 min - 1 ms
        Assert.Empty(_closed);
        _counts.Add(0, T0 + 3 * Minute, EventType.PageView, _closed);     // watermark = T0 + 1 min = end of [T0, T0+1m)
        var row = Assert.Single(_closed);
        Assert.Equal(T0, row.Start.ToUnixTimeMilliseconds());
        Assert.Equal(1, row.ByType[(int)EventType.Search]);
        Assert.Equal(1, row.Total);

        _counts.Add(0, T0 + 3 * Minute + 1, EventType.PageView, _closed);
        Assert.Single(_closed); // not emitted twice
    }

    [Fact]
    public void event_exactly_at_the_watermark_is_still_counted_when_its_window_is_open()
    {
        _counts.Add(0, T0 + 3 * Minute + 30_000, EventType.PageView, _closed); // watermark T0 + 1m30s
        Assert.True(_counts.Add(0, T0 + Minute + 30_000, EventType.Purchase, _closed)); // at the watermark, window [T0+1m, T0+2m) open
        Assert.Equal(0, _counts.LateEvents);
    }

    [Fact]
    public void event_for_a_closed_window_is_late_and_not_added()
    {
        _counts.Add(0, T0, EventType.PageView, _closed);
        _counts.Add(0, T0 + 4 * Minute, EventType.PageView, _closed);
        var closedBefore = _closed.Sum(r => r.Total);
        Assert.False(_counts.Add(0, T0 + 10, EventType.Purchase, _closed));
        Assert.Equal(1, _counts.LateEvents);
        Assert.Equal(closedBefore, _closed.Sum(r => r.Total));
    }

    [Fact]
    public void partitions_keep_their_own_watermarks()
    {
        _counts.Add(0, T0 + 10 * Minute, EventType.PageView, _closed);
        Assert.True(_counts.Add(1, T0, EventType.PageView, _closed)); // partition 1 has not advanced
        Assert.Equal(T0 + 8 * Minute, _counts.Watermark(0));
        Assert.Equal(T0 - 2 * Minute, _counts.Watermark(1));
        Assert.Null(_counts.Watermark(2));
    }

    [Fact]
    public void revoked_partition_hands_over_its_open_rows_and_keeps_others()
    {
        _counts.Add(0, T0, EventType.PageView, _closed);
        _counts.Add(1, T0, EventType.Search, _closed);
        _counts.Revoke(0, _closed);
        var handed = Assert.Single(_closed);
        Assert.Equal(0, handed.Partition);
        Assert.Single(_counts.OpenRows());
        Assert.Null(_counts.Watermark(0));
    }

    [Fact]
    public void flush_emits_every_open_window_once_in_order()
    {
        for (var i = 0; i < 5; i++) _counts.Add(0, T0 + i * 10_000, EventType.PageView, _closed); // all in one window
        _counts.Add(0, T0 + Minute, EventType.AddToCart, _closed);
        _counts.Flush(_closed);
        _counts.Flush(_closed);
        Assert.Equal(2, _closed.Count);
        Assert.Equal([5L, 1L], _closed.Select(r => r.Total));
        Assert.True(_closed[0].Start < _closed[1].Start);
    }

    [Fact]
    public void events_before_1970_land_in_the_right_window()
    {
        _counts.Add(0, -1, EventType.PageView, _closed);
        _counts.Flush(_closed);
        Assert.Equal(-Minute, Assert.Single(_closed).Start.ToUnixTimeMilliseconds());
    }
}
