namespace Sluice.Streaming.Testing;

/// <summary>A processing-time clock that moves only when told to.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public ManualClock() : this(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(by), "a clock does not go back");
        _now += by;
    }

    public void Set(DateTimeOffset now)
    {
        if (now < _now) throw new ArgumentOutOfRangeException(nameof(now), "a clock does not go back");
        _now = now;
    }
}
