using Sluice.Core.Events;

namespace Sluice.Pipelines.Slice;

/// <summary>A closed or open 1-window count row: valid events per type in <c>[Start, End)</c> from one partition.</summary>
public sealed class WindowCountRow(DateTimeOffset start, DateTimeOffset end, int partition)
{
    public DateTimeOffset Start { get; } = start;
    public DateTimeOffset End { get; } = end;
    public int Partition { get; } = partition;
    public long[] ByType { get; } = new long[EventTypes.All.Count];
    public long Total => ByType.Sum();
}

/// <summary>Counts valid events per event type in event-time tumbling windows, per partition.</summary>
/// <remarks>
/// Each partition keeps its own watermark: the newest event time seen minus the allowed out-of-orderness.
/// A window is final once that partition's watermark passes its end; its row is emitted once, then
/// forgotten, so memory holds only open windows. An event whose window has already closed is counted as
/// late, never added to a closed row. Rows are partial, keyed by (window, partition); the reader sums
/// them. This is the first slice; the stream engine generalises it.
/// </remarks>
public sealed class WindowCounts
{
    private readonly long _windowMs;
    private readonly long _outOfOrdernessMs;
    private readonly Dictionary<int, PartitionState> _partitions = [];

    public WindowCounts(TimeSpan windowSize, TimeSpan maxOutOfOrderness)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(windowSize, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOutOfOrderness, TimeSpan.Zero);
        _windowMs = (long)windowSize.TotalMilliseconds;
        _outOfOrdernessMs = (long)maxOutOfOrderness.TotalMilliseconds;
    }

    /// <summary>Events that arrived after their window closed.</summary>
    public long LateEvents { get; private set; }

    /// <summary>Adds one valid event; returns false when it was late (its window already final).</summary>
    public bool Add(int partition, long eventTimeMs, EventType type, List<WindowCountRow> closed)
    {
        if (!_partitions.TryGetValue(partition, out var p)) _partitions[partition] = p = new PartitionState();
        var start = eventTimeMs - Mod(eventTimeMs, _windowMs);
        if (start + _windowMs <= p.Watermark)
        {
            LateEvents++;
            return false;
        }
        if (!p.Open.TryGetValue(start, out var row))
        {
            row = new WindowCountRow(DateTimeOffset.FromUnixTimeMilliseconds(start), DateTimeOffset.FromUnixTimeMilliseconds(start + _windowMs), partition);
            p.Open.Add(start, row);
        }
        row.ByType[(int)type]++;

        if (eventTimeMs - _outOfOrdernessMs > p.Watermark)
        {
            p.Watermark = eventTimeMs - _outOfOrdernessMs;
            CloseUpTo(p, p.Watermark, closed);
        }
        return true;
    }

    /// <summary>The watermark of a partition (epoch ms), or null before its first event.</summary>
    public long? Watermark(int partition) =>
        _partitions.TryGetValue(partition, out var p) && p.Watermark != long.MinValue ? p.Watermark : null;

    /// <summary>Open rows, oldest first, for a live view; they may still change.</summary>
    public IEnumerable<WindowCountRow> OpenRows() => _partitions.Values.SelectMany(p => p.Open.Values);

    /// <summary>Closes every open window (end of input): each is emitted once, as final.</summary>
    public void Flush(List<WindowCountRow> closed)
    {
        foreach (var p in _partitions.Values) CloseUpTo(p, long.MaxValue, closed);
    }

    /// <summary>
    /// Hands a partition over: its open rows are emitted as partial rows (the next owner resumes from the
    /// committed offset and counts the rest into rows of its own, which the reader adds), then forgotten.
    /// </summary>
    public void Revoke(int partition, List<WindowCountRow> closed)
    {
        if (!_partitions.Remove(partition, out var p)) return;
        closed.AddRange(p.Open.Values);
    }

    private void CloseUpTo(PartitionState p, long watermark, List<WindowCountRow> closed)
    {
        while (p.Open.Count > 0)
        {
            var first = p.Open.Keys[0];
            if (first + _windowMs > watermark) break;
            closed.Add(p.Open.Values[0]);
            p.Open.RemoveAt(0);
        }
    }

    private static long Mod(long value, long m) => ((value % m) + m) % m;

    private sealed class PartitionState
    {
        public long Watermark = long.MinValue;
        public readonly SortedList<long, WindowCountRow> Open = [];
    }
}
