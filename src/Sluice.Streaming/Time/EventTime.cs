namespace Sluice.Streaming.Time;

/// <summary>Event-time arithmetic that never overflows: the watermark starts at <see cref="long.MinValue"/> and ends at <see cref="long.MaxValue"/>.</summary>
public static class EventTime
{
    /// <summary>The watermark before any event was seen.</summary>
    public const long NoWatermark = long.MinValue;

    /// <summary>The watermark that closes everything (end of input).</summary>
    public const long EndOfTime = long.MaxValue;

    public static long Add(long time, long delta)
    {
        var sum = unchecked(time + delta);
        // Overflow happened when both operands share a sign that the sum does not.
        if (((time ^ sum) & (delta ^ sum)) < 0) return delta > 0 ? long.MaxValue : long.MinValue;
        return sum;
    }

    /// <summary>The largest multiple of <paramref name="step"/> not greater than <paramref name="time"/> (correct for negative times too); <see cref="long.MinValue"/> when that multiple is below it.</summary>
    public static long FloorTo(long time, long step)
    {
        var rem = time % step;
        if (rem >= 0) return time - rem;
        // Saturates like Add: wrapping around would put a record from the far past in a window at the end of time.
        var up = time - rem;
        return up < long.MinValue + step ? long.MinValue : up - step;
    }

    /// <summary>Human-readable UTC time for details and logs.</summary>
    public static string Format(long time) => time switch
    {
        NoWatermark => "-inf",
        EndOfTime => "+inf",
        _ when time is >= -62135596800000 and <= 253402300799999 => DateTimeOffset.FromUnixTimeMilliseconds(time).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
        _ => time.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
