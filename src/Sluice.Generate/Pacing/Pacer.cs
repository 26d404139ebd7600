using System.Globalization;
using Sluice.Core.Errors;

namespace Sluice.Generate.Pacing;

/// <summary>Paces production in wall-clock time: as fast as possible, a fixed record rate, or a multiple of real time.</summary>
/// <remarks>Pure arithmetic over what was produced and how long it took, so it is tested without sleeping.</remarks>
public sealed class Pacer
{
    private readonly double _recordsPerSecond;
    private readonly double _speed;
    private long _firstStreamTime = long.MinValue;

    private Pacer(double recordsPerSecond, double speed)
    {
        _recordsPerSecond = recordsPerSecond;
        _speed = speed;
    }

    /// <summary>No pacing: produce as fast as the writer takes records.</summary>
    public static Pacer Max { get; } = new(0, 0);

    public bool IsUnpaced => _recordsPerSecond <= 0 && _speed <= 0;

    /// <summary>A fixed number of records per wall-clock second.</summary>
    public static Pacer Rate(double recordsPerSecond)
    {
        if (!(recordsPerSecond > 0)) ThrowHelper.ThrowConfiguration("--rate", $"{recordsPerSecond} must be a positive number of events per second");
        return new Pacer(recordsPerSecond, 0);
    }

    /// <summary>The event clock runs <paramref name="factor"/> times as fast as the wall clock (1 = real time).</summary>
    public static Pacer Speed(double factor)
    {
        if (!(factor > 0) || double.IsInfinity(factor)) ThrowHelper.ThrowConfiguration("--speed", $"{factor} must be a positive factor, 'realtime' or 'max'");
        return new Pacer(0, factor);
    }

    /// <summary>From the command-line values: a positive <paramref name="rate"/> wins; else <paramref name="speed"/> is max, realtime or a factor such as 60 or 60x.</summary>
    public static Pacer Parse(string? speed, double rate)
    {
        if (rate < 0) ThrowHelper.ThrowConfiguration("--rate", $"{rate} is negative; give events per second, or 0 for no rate limit");
        if (rate > 0) return Rate(rate);
        var text = (speed ?? "max").Trim();
        if (text.Length == 0 || text.Equals("max", StringComparison.OrdinalIgnoreCase)) return Max;
        if (text.Equals("realtime", StringComparison.OrdinalIgnoreCase)) return Speed(1);
        var number = text.EndsWith('x') ? text[..^1] : text;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var factor))
            ThrowHelper.ThrowConfiguration("--speed", $"'{speed}' is not max, realtime or a factor such as 60x");
        return Speed(factor);
    }

    /// <summary>How long to wait before sending the next record, given what was sent and the time spent so far.</summary>
    /// <param name="produced">Records already sent.</param>
    /// <param name="streamTimeMs">Simulated time of the next record.</param>
    /// <param name="elapsed">Wall-clock time since the first record.</param>
    public TimeSpan DelayBefore(long produced, long streamTimeMs, TimeSpan elapsed)
    {
        if (_recordsPerSecond > 0)
            return Positive(TimeSpan.FromSeconds(produced / _recordsPerSecond) - elapsed);
        if (_speed > 0)
        {
            if (_firstStreamTime == long.MinValue) _firstStreamTime = streamTimeMs;
            return Positive(TimeSpan.FromMilliseconds((streamTimeMs - _firstStreamTime) / _speed) - elapsed);
        }
        return TimeSpan.Zero;
    }

    private static TimeSpan Positive(TimeSpan t) => t > TimeSpan.Zero ? t : TimeSpan.Zero;
}
